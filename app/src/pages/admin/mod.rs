mod discounts;
mod login;
mod month_discounts;
mod promos;
mod shell;
mod tariff_edit;
mod tariff_form;
mod tariffs;

pub use discounts::AdminDiscounts;
pub use login::LoginPage;
pub use month_discounts::AdminMonthDiscounts;
pub use promos::AdminPromos;
pub use shell::AdminShell;
pub use tariff_edit::AdminTariffEdit;
pub use tariffs::AdminTariffs;
