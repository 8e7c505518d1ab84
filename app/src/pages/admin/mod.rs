mod login;
mod promos;
mod shell;
mod tariffs;

pub use login::LoginPage;
pub use promos::AdminPromos;
pub use shell::AdminShell;
pub use tariffs::AdminTariffs;
