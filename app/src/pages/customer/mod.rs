mod account;
mod checkout;
mod checkout_return;
mod landing;
mod sign_in;
mod site_header;

pub use account::AccountPage;
pub use checkout::CheckoutPage;
pub use checkout_return::CheckoutReturnPage;
pub use landing::Landing;
pub use sign_in::SignInPage;
pub use site_header::SiteHeader;
