use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::pages::admin::{
    AdminAccount, AdminAudit, AdminCustomer, AdminCustomers, AdminDashboard, AdminDiscounts,
    AdminFilms, AdminIntegrity, AdminInvoice, AdminInvoices, AdminMonthDiscounts, AdminOutbox,
    AdminPayment, AdminPayments, AdminPromos, AdminShell, AdminStaff, AdminSubscriptions,
    AdminTariffEdit, AdminTariffs, LoginPage, SetupPasswordPage,
};
use crate::pages::customer::{AccountPage, CheckoutPage, CheckoutReturnPage, Landing, SignInPage};
use crate::pages::not_found::NotFound;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::security_headers::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%234338ca'/%3E%3Ctext x='16' y='22' font-size='16' font-family='sans-serif' font-weight='700' fill='white' text-anchor='middle'%3EK%3C/text%3E%3C/svg%3E";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this attribute says "hydrated, clicks work now".
    Effect::new(move |_| mark_hydrated());

    view! {
        <Stylesheet id="leptos" href="/pkg/kinobill.css" />
        <Link rel="icon" href=FAVICON />
        <Title formatter=|text: String| if text.is_empty() { "Kinobill".to_string() } else { format!("{text} · Kinobill") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=Landing />
                <Route path=path!("/sign-in") view=SignInPage />
                <Route path=path!("/checkout") view=CheckoutPage />
                <Route path=path!("/checkout/return") view=CheckoutReturnPage />
                <Route path=path!("/account") view=AccountPage />
                <Route path=path!("/admin/login") view=LoginPage />
                <Route path=path!("/admin/setup-password") view=SetupPasswordPage />
                <ParentRoute path=path!("/admin") view=AdminShell>
                    <Route path=path!("") view=AdminDashboard />
                    <Route path=path!("customers") view=AdminCustomers />
                    <Route path=path!("subscriptions") view=AdminSubscriptions />
                    <Route path=path!("invoices") view=AdminInvoices />
                    <Route path=path!("invoices/:id") view=AdminInvoice />
                    <Route path=path!("audit") view=AdminAudit />
                    <Route path=path!("films") view=AdminFilms />
                    <Route path=path!("tariffs") view=AdminTariffs />
                    <Route path=path!("tariffs/:id") view=AdminTariffEdit />
                    <Route path=path!("promo-codes") view=AdminPromos />
                    <Route path=path!("personal-discounts") view=AdminDiscounts />
                    <Route path=path!("month-discounts") view=AdminMonthDiscounts />
                    <Route path=path!("payments") view=AdminPayments />
                    <Route path=path!("outbox") view=AdminOutbox />
                    <Route path=path!("integrity") view=AdminIntegrity />
                    <Route path=path!("payments/:id") view=AdminPayment />
                    <Route path=path!("customers/:id") view=AdminCustomer />
                    <Route path=path!("staff") view=AdminStaff />
                    <Route path=path!("account") view=AdminAccount />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
