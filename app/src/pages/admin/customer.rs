use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::catalog::list_tariffs;
use crate::api::support::{AdminAdjustLedger, AdminChangeTariff, AdminGrant, admin_customer};
use crate::components::{
    EmptyState, ErrorState, FormErrors, LoadingRows, TextField, input_value, when,
};
use crate::domain::DomainError;
use crate::dto::AdminCustomerDto;
use crate::error::AppError;

/// One customer as support sees them: subscription and access, invoices, payments and
/// the ledger, with a ledger correction and a tariff change.
#[component]
pub fn AdminCustomer() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|i| Uuid::parse_str(&i).ok()));
    let adjust = ServerAction::<AdminAdjustLedger>::new();
    let change = ServerAction::<AdminChangeTariff>::new();
    let grant = ServerAction::<AdminGrant>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                adjust.version().get(),
                change.version().get(),
                grant.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => admin_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Customer" />
        <p class="breadcrumb"><a href="/admin/customers">"Customers"</a></p>
        <Transition fallback=|| view! { <LoadingRows rows=5 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <CustomerView data=c.data form_key=c.form_key adjust change grant /> }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CustomerView(
    data: AdminCustomerDto,
    /// Sent with each money form: a double submit is one correction or change.
    form_key: String,
    adjust: ServerAction<AdminAdjustLedger>,
    change: ServerAction<AdminChangeTariff>,
    grant: ServerAction<AdminGrant>,
) -> impl IntoView {
    let customer_id = data.customer.id;
    let grant_key = format!("{form_key}-grant");
    let current_tariff_id = data.subscription.tariff.as_ref().map(|t| t.id);
    let sub = data.subscription.clone();
    let server_error = Signal::derive(move || {
        if adjust.pending().get() {
            None
        } else {
            adjust.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (amount, reason) = (NodeRef::new(), NodeRef::new());
    let adjust_key = form_key.clone();
    let on_adjust = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (a, r) = (input_value(&amount), input_value(&reason));
        let mut problems = Vec::new();
        if a.trim().is_empty() {
            problems.push(DomainError::invalid(
                "amount",
                "Enter an amount, e.g. -150.00.",
            ));
        }
        if r.trim().len() < 3 {
            problems.push(DomainError::invalid(
                "reason",
                "Say why (at least 3 characters).",
            ));
        }
        if errors.check(&problems) {
            adjust.dispatch(AdminAdjustLedger {
                customer_id,
                amount: a,
                reason: r,
                key: adjust_key.clone(),
            });
        }
    };
    let tariffs = Resource::new(|| (), |_| list_tariffs());
    let change_error = move || match change.value().get() {
        Some(Err(e)) => Some(e.field_error("tariff_id").unwrap_or_else(|| e.to_string())),
        _ => None,
    };
    let can_change = matches!(sub.status.as_str(), "active" | "grace");
    let current_tariff = sub.tariff.as_ref().map(|t| t.id);

    view! {
        <div class="page-head">
            <h1>{data.customer.display_name()}</h1>
            <p class="page-lead">{data.customer.email.clone().unwrap_or_default()}" · "<code>{customer_id.to_string()}</code></p>
        </div>
        <div class="card">
            <h2>"Subscription"</h2>
            <dl class="facts">
                <div><dt>"Status"</dt><dd data-testid="subscription-status">{sub.status.clone()}</dd></div>
                <div><dt>"Tariff"</dt><dd>{sub.tariff.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"Period ends"</dt><dd>{sub.current_period_end.as_deref().map(when).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"Access"</dt><dd>{match data.entitlement.roles.first() {
                    Some(r) => format!("{} until {}", r.role, when(&r.valid_until)),
                    None => "none".to_string(),
                }}</dd></div>
                <div><dt>"Auto-renew"</dt><dd>{if sub.auto_renew { "on" } else { "off" }}</dd></div>
                {sub.next_tariff.as_ref().map(|t| view! {
                    <div><dt>"Scheduled switch"</dt><dd data-testid="scheduled-switch">{format!("to {} from the next period", t.name)}</dd></div>
                })}
            </dl>
            {can_change.then(|| view! {
                <ActionForm action=change attr:class="filters">
                    <input type="hidden" name="customer_id" value=customer_id.to_string() />
                    <input type="hidden" name="key" value=form_key.clone() />
                    <div class="field inline">
                        <label for="change-tariff">"Change tariff of the current period"</label>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let list = tariffs.await.unwrap_or_default();
                                view! {
                                    <select id="change-tariff" name="tariff_id">
                                        {list.into_iter().map(|t| view! { <option value=t.id.to_string() selected=Some(t.id) == current_tariff>{t.name}</option> }).collect_view()}
                                    </select>
                                }
                            })}
                        </Suspense>
                    </div>
                    <button type="submit" class="button">"Change tariff"</button>
                    <p class="field-error" role="alert" hidden=move || change_error().is_none()>{change_error}</p>
                </ActionForm>
            })}
        </div>
        <h2 class="section-title">"Invoices"</h2>
        {if data.invoices.is_empty() {
            view! { <EmptyState title="No invoices".to_string() /> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table" data-testid="customer-invoices">
                    <caption class="visually-hidden">"Invoices"</caption>
                    <thead><tr><th scope="col">"Number"</th><th scope="col">"What"</th><th scope="col" class="num">"Total"</th><th scope="col">"Status"</th><th scope="col">"Created"</th></tr></thead>
                    <tbody>
                        {data.invoices.iter().map(|i| view! {
                            <tr>
                                <td data-label="Number"><a href=format!("/admin/invoices/{}", i.id)>{i.number.clone()}</a></td>
                                <td data-label="What">{format!("{} × {} mo", i.tariff_name, i.months)}</td>
                                <td data-label="Total" class="num money">{i.total.display()}</td>
                                <td data-label="Status"><span class=format!("badge inv-{}", i.status)>{i.status.clone()}</span></td>
                                <td data-label="Created">{when(&i.created_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <h2 class="section-title">"Payments"</h2>
        {if data.payments.is_empty() {
            view! { <EmptyState title="No payments".to_string() /> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table">
                    <thead><tr><th scope="col">"Created"</th><th scope="col">"Invoice"</th><th scope="col">"What"</th><th scope="col" class="num">"Amount"</th><th scope="col">"Status"</th></tr></thead>
                    <tbody>
                        {data.payments.into_iter().map(|p| view! {
                            <tr>
                                <td data-label="Created"><a href=format!("/admin/payments/{}", p.id)>{when(&p.created_at)}</a></td>
                                <td data-label="Invoice">{p.invoice_number}</td>
                                <td data-label="What">{p.description}</td>
                                <td data-label="Amount" class="num money">{p.amount.display()}</td>
                                <td data-label="Status"><span class=format!("badge pay-{}", p.status)>{p.status.clone()}</span></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <h2 class="section-title">"Ledger"</h2>
        {if data.ledger.is_empty() {
            view! { <EmptyState title="No ledger entries".to_string() /> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table ledger">
                    <thead><tr><th scope="col">"Date"</th><th scope="col">"Entry"</th><th scope="col" class="num">"Amount"</th><th scope="col" class="num">"Balance"</th></tr></thead>
                    <tbody>
                        {data.ledger.into_iter().map(|l| view! {
                            <tr>
                                <td data-label="Date">{when(&l.date)}</td>
                                <td data-label="Entry">{l.description}</td>
                                <td data-label="Amount" class="num money">{l.amount.display()}</td>
                                <td data-label="Balance" class="num money">{l.balance.display()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <h2 class="section-title">"Notifications"</h2>
        {if data.notifications.is_empty() {
            view! { <EmptyState title="No notifications".to_string() hint="Receipts, reminders and renewal notices sent to this customer appear here." /> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table" data-testid="customer-notifications">
                    <thead><tr><th scope="col">"Sent"</th><th scope="col">"Kind"</th><th scope="col">"Message"</th></tr></thead>
                    <tbody>
                        {data.notifications.into_iter().map(|n| {
                            let sent = when(&n.created_at);
                            view! {
                                <tr data-kind=n.kind.clone()>
                                    <td data-label="Sent">{sent}</td>
                                    <td data-label="Kind"><code>{n.kind.clone()}</code></td>
                                    <td data-label="Message">{n.message}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <form class="card form-card" on:submit=on_adjust novalidate aria-labelledby="adjust-title">
            <h2 id="adjust-title">"Ledger correction"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <div class="field-row">
                <TextField id="adjust-amount" label="Amount, ₽" name="amount" errors node_ref=amount inputmode="decimal" placeholder="-150.00" hint="Negative is in the customer's favour" />
                <TextField id="adjust-reason" label="Reason" name="reason" errors node_ref=reason placeholder="Goodwill for the outage on 12.11" />
            </div>
            <button type="submit" class="button primary" disabled=move || adjust.pending().get()>"Add correction"</button>
        </form>
        <GrantForm customer_id current_tariff_id form_key=grant_key action=grant />
    }
}

/// A complimentary period: a tariff, a number of days, a reason; no payment.
#[component]
fn GrantForm(
    customer_id: Uuid,
    current_tariff_id: Option<Uuid>,
    form_key: String,
    action: ServerAction<AdminGrant>,
) -> impl IntoView {
    let server_error = Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (days, reason) = (NodeRef::new(), NodeRef::new());
    let tariff = NodeRef::<leptos::html::Select>::new();
    let tariffs = Resource::new(|| (), |_| list_tariffs());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (d, r) = (input_value(&days), input_value(&reason));
        let chosen = tariff
            .get_untracked()
            .and_then(|s| Uuid::parse_str(&s.value()).ok());
        let mut problems = Vec::new();
        if !matches!(d.trim().parse::<i64>(), Ok(1..=366)) {
            problems.push(DomainError::invalid(
                "days",
                "Enter a number of days from 1 to 366.",
            ));
        }
        if let Err(e) = crate::domain::validation::required_reason(&r) {
            problems.push(e);
        }
        if let (true, Some(tariff_id)) = (errors.check(&problems), chosen) {
            action.dispatch(AdminGrant {
                customer_id,
                tariff_id,
                days: d,
                reason: r,
                key: form_key.clone(),
            });
        }
    };
    view! {
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="grant-title">
            <h2 id="grant-title">"Complimentary period"</h2>
            <p class="muted small">"Free access with no payment: opens a subscription, or runs the current one longer. The customer is told."</p>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <div class="field">
                <label for="grant-tariff">"Tariff"</label>
                <Suspense fallback=|| view! { <select id="grant-tariff" disabled=true><option>"…"</option></select> }>
                    {move || Suspend::new(async move {
                        let list = tariffs.await.unwrap_or_default();
                        view! {
                            <select id="grant-tariff" name="tariff_id" node_ref=tariff>
                                {list.into_iter().map(|t| view! { <option value=t.id.to_string() selected=Some(t.id) == current_tariff_id>{t.name}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
            </div>
            <div class="field-row">
                <TextField id="grant-days" label="Days" name="days" errors node_ref=days inputmode="numeric" placeholder="14" />
                <TextField id="grant-reason" label="Reason" name="reason" errors node_ref=reason placeholder="Apology for the outage on 12.11" />
            </div>
            {move || action.value().get().and_then(|r| r.ok()).map(|g| view! {
                <p class="notice" role="status">{format!("Granted until {}.", when(&g.grant.ends_at))}</p>
            })}
            <button type="submit" class="button" disabled=move || action.pending().get()>"Grant"</button>
        </form>
    }
}
