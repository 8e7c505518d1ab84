use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use super::test_clock::TestClockControl;
use crate::api::staff_session::{StaffLogout, current_staff};

/// The console frame: header with who is signed in, the section nav, the page.
/// Only sections that exist are listed.
#[component]
pub fn AdminShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_staff());
    let logout = ServerAction::<StaffLogout>::new();
    view! {
        <div class="admin">
            <header class="admin-header">
                <a class="brand" href="/admin">"Kinobill" <span class="brand-sub">"console"</span></a>
                <TestClockControl />
                <Suspense fallback=|| view! { <span class="who muted">"…"</span> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(staff)) => view! {
                                <div class="who">
                                    <a class="who-name" href="/admin/account" title=staff.email.clone()>{staff.name.clone()}</a>
                                    <span class="role-badge" data-role=staff.role.as_str()>{staff.role.label()}</span>
                                    <ActionForm action=logout>
                                        <button type="submit" class="button ghost small">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }.into_any(),
                            _ => view! { <a class="button small" href="/admin/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </header>
            <nav class="admin-nav" aria-label="Console sections">
                <A href="/admin" exact=true>"Dashboard"</A>
                <p class="nav-group" aria-hidden="true">"Customers"</p>
                <A href="/admin/customers">"Customers"</A>
                <A href="/admin/subscriptions">"Subscriptions"</A>
                <A href="/admin/invoices">"Invoices"</A>
                <A href="/admin/payments">"Payments"</A>
                <p class="nav-group" aria-hidden="true">"Catalogue"</p>
                <A href="/admin/tariffs">"Tariffs"</A>
                <A href="/admin/films">"Films"</A>
                <A href="/admin/month-discounts">"Month discounts"</A>
                <A href="/admin/promo-codes">"Promo codes"</A>
                <A href="/admin/personal-discounts">"Personal discounts"</A>
                <p class="nav-group" aria-hidden="true">"System"</p>
                // Listed for everyone: the pages and their server functions refuse anyone
                // without the role. (A second Suspense on the staff resource here hung
                // server rendering under load.)
                <A href="/admin/audit">"Audit log"</A>
                <A href="/admin/outbox">"Outbox"</A>
                <A href="/admin/integrity">"Integrity"</A>
                <A href="/admin/staff">"Staff"</A>
            </nav>
            <main class="admin-main" id="main">
                <Outlet />
            </main>
        </div>
    }
}
