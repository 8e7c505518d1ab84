mod login;
mod shell;
mod tariffs;

pub use login::LoginPage;
pub use shell::AdminShell;
pub use tariffs::AdminTariffs;
