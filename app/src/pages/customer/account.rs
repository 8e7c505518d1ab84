use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

use super::SiteHeader;
use crate::api::billing::{RequestRefund, ScheduleTariffSwitch, SetAutoRenew, my_account};
use crate::components::{EmptyState, ErrorState, LoadingRows};
use crate::dto::{
    AccountDto, NotificationDto, PaymentDto, StatementLineDto, SubscriptionDto, TariffSummaryDto,
};
use crate::error::AppError;

fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn day(t: &str) -> String {
    parse(t)
        .map(|t| t.format("%d.%m.%Y").to_string())
        .unwrap_or_default()
}

fn day_time(t: &str) -> String {
    parse(t)
        .map(|t| t.format("%d.%m.%Y %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// "My subscription": the subscription with its auto-renew switch, the payment history
/// with a refund button while the window is open, and the statement.
#[component]
pub fn AccountPage() -> impl IntoView {
    let refund = ServerAction::<RequestRefund>::new();
    let renew = ServerAction::<SetAutoRenew>::new();
    let switch = ServerAction::<ScheduleTariffSwitch>::new();
    let account = Resource::new(
        move || {
            (
                refund.version().get(),
                renew.version().get(),
                switch.version().get(),
            )
        },
        |_| my_account(),
    );

    view! {
        <Title text="My subscription" />
        <div class="site">
            <SiteHeader />
            <main class="account">
                <h1>"My subscription"</h1>
                <Transition fallback=|| view! { <LoadingRows rows=4 label="Loading your account…" /> }>
                    {move || Suspend::new(async move {
                        match account.await {
                            Ok(a) => view! { <Account account=a refund renew switch /> }.into_any(),
                            Err(AppError::Unauthorized(_)) => view! {
                                <div class="error-state" role="alert">
                                    <p class="error-title">"Please sign in to see your subscription."</p>
                                    <a class="button" href="/sign-in?next=/account">"Sign in"</a>
                                </div>
                            }.into_any(),
                            Err(error) => view! { <ErrorState error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </div>
    }
}

#[component]
fn Account(
    account: AccountDto,
    refund: ServerAction<RequestRefund>,
    renew: ServerAction<SetAutoRenew>,
    switch: ServerAction<ScheduleTariffSwitch>,
) -> impl IntoView {
    let now = parse(&account.now).unwrap_or_default();
    let refund_error = move || action_error(refund.value().get());
    let renew_error = move || {
        action_error(renew.value().get().map(|r| r.map(|_| ())))
            .or_else(|| action_error(switch.value().get().map(|r| r.map(|_| ()))))
    };
    view! {
        <Subscription sub=account.subscription renew switch tariffs=account.tariffs />
        <p class="form-error" role="alert" hidden=move || renew_error().is_none()>{renew_error}</p>
        <Notifications items=account.notifications />
        <section class="panel" aria-labelledby="payments-heading">
            <h2 id="payments-heading">"Payments"</h2>
            <p class="form-error" role="alert" hidden=move || refund_error().is_none()>{refund_error}</p>
            {if account.payments.is_empty() {
                view! { <EmptyState title="No payments yet".to_string() hint="Your payments will appear here." /> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table payments">
                            <thead><tr><th>"Date"</th><th>"What"</th><th>"Invoice"</th><th class="num">"Amount"</th><th>"Status"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {account.payments.into_iter().map(|p| view! { <PaymentRow payment=p now refund /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
        <Statement lines=account.statement />
    }
}

fn action_error<T>(v: Option<Result<T, AppError>>) -> Option<String> {
    match v {
        Some(Err(AppError::Validation { fields, message })) => {
            Some(fields.values().flatten().next().cloned().unwrap_or(message))
        }
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    }
}

#[component]
fn Subscription(
    sub: SubscriptionDto,
    renew: ServerAction<SetAutoRenew>,
    switch: ServerAction<ScheduleTariffSwitch>,
    tariffs: Vec<TariffSummaryDto>,
) -> impl IntoView {
    let status_text = match sub.status.as_str() {
        "active" => "Active",
        "grace" => "Renewal overdue (grace period)",
        "expired" => "Ended",
        "canceled" => "Canceled",
        _ => "No subscription",
    };
    let has = sub.status != "none";
    let can_renew = matches!(sub.status.as_str(), "active" | "grace");
    let auto = sub.auto_renew;
    let current_id = sub.tariff.as_ref().map(|t| t.id);
    let current_name = sub
        .tariff
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let next_id = sub.next_tariff.as_ref().map(|t| t.id);
    let next_name = sub.next_tariff.as_ref().map(|t| t.name.clone());
    view! {
        <section class="panel subscription" aria-labelledby="sub-heading" data-status=sub.status.clone() data-period-end=sub.current_period_end.clone().unwrap_or_default()>
            <h2 id="sub-heading">{sub.tariff.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "Subscription".to_string())}</h2>
            <p><span class="badge status" data-testid="subscription-status">{status_text}</span></p>
            {if has {
                view! {
                    <dl class="facts">
                        <div><dt>"Current period"</dt><dd>{format!("{} – {}", sub.current_period_start.as_deref().map(day).unwrap_or_default(), sub.current_period_end.as_deref().map(day).unwrap_or_default())}</dd></div>
                        <div><dt>"Access until"</dt><dd data-testid="access-until">{sub.access_until.as_deref().map(day_time).unwrap_or_else(|| "—".to_string())}</dd></div>
                        <div><dt>"Auto-renew"</dt><dd>{if auto { "On" } else { "Off" }}</dd></div>
                        {next_name.clone().map(|n| view! {
                            <div><dt>"From the next period"</dt><dd data-testid="next-tariff">{n}</dd></div>
                        })}
                    </dl>
                    {can_renew.then(|| view! {
                        <ActionForm action=renew attr:class="inline-form">
                            <input type="hidden" name="on" value=(!auto).to_string() />
                            <button type="submit" class="button ghost">{if auto { "Turn auto-renew off" } else { "Turn auto-renew on" }}</button>
                        </ActionForm>
                        <ActionForm action=switch attr:class="inline-form switch-form">
                            <div class="field inline">
                                <label for="next-tariff">"From the next period"</label>
                                <select id="next-tariff" name="next_tariff_id">
                                    <option value="" selected=next_id.is_none()>{format!("Keep {current_name}")}</option>
                                    {tariffs.iter().filter(|t| Some(t.id) != current_id).map(|t| {
                                        let selected = next_id == Some(t.id);
                                        view! { <option value=t.id.to_string() selected=selected>{t.name.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="button ghost">"Save"</button>
                        </ActionForm>
                    })}
                }.into_any()
            } else {
                view! { <p>"You have no subscription yet. "<a href="/">"Choose a tariff"</a></p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn PaymentRow(
    payment: PaymentDto,
    now: DateTime<Utc>,
    refund: ServerAction<RequestRefund>,
) -> impl IntoView {
    // Seconds left in the refund window, counted down in the browser.
    let until = payment.refundable_until.as_deref().and_then(parse);
    let left = RwSignal::new(until.map(|u| (u - now).num_seconds()).unwrap_or(0));
    Effect::new(move |_| {
        if left.get_untracked() > 0 {
            let handle = set_interval_with_handle(
                move || left.update(|l| *l -= 1),
                std::time::Duration::from_secs(1),
            );
            if let Ok(h) = handle {
                on_cleanup(move || h.clear());
            }
        }
    });
    let status = payment.status.clone();
    let refundable = status == "succeeded";
    let id = payment.id;
    view! {
        <tr data-payment=id.to_string() data-status=status.clone()>
            <td data-label="Date">{day_time(&payment.created_at)}</td>
            <td data-label="What">{payment.description}</td>
            <td data-label="Invoice">{payment.invoice_number}</td>
            <td data-label="Amount" class="num money">{payment.amount.display()}</td>
            <td data-label="Status"><span class="badge status">{status.clone()}</span>
                {payment.failure_message.map(|m| view! { <span class="muted failure">{m}</span> })}
            </td>
            <td data-label="">
                {refundable.then(|| view! {
                    <div class="refund" hidden=move || left.get() <= 0>
                        <ActionForm action=refund attr:class="inline-form">
                            <input type="hidden" name="payment_id" value=id.to_string() />
                            <button type="submit" class="button ghost danger" disabled=move || refund.pending().get()>"Refund"</button>
                        </ActionForm>
                        <span class="muted countdown" aria-live="off">{move || {
                            let l = left.get().max(0);
                            format!("{:02}:{:02} left", l / 60, l % 60)
                        }}</span>
                    </div>
                })}
            </td>
        </tr>
    }
}

#[component]
fn Statement(lines: Vec<StatementLineDto>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="statement-heading">
            <div class="page-head">
                <h2 id="statement-heading">"Statement"</h2>
                <a class="download-link" href="/account/statement.csv" download="kinobill-statement.csv" rel="external">"Download CSV"</a>
            </div>
            {if lines.is_empty() {
                view! { <EmptyState title="Nothing on your account yet".to_string() /> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table statement">
                            <thead><tr><th>"Date"</th><th>"Entry"</th><th class="num">"Amount"</th><th class="num">"Balance"</th></tr></thead>
                            <tbody>
                                {lines.into_iter().map(|l| view! {
                                    <tr>
                                        <td data-label="Date">{day_time(&l.date)}</td>
                                        <td data-label="Entry">{l.description}</td>
                                        <td data-label="Amount" class="num money">{l.amount.display()}</td>
                                        <td data-label="Balance" class="num money">{l.balance.display()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Notifications(items: Vec<NotificationDto>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Notifications"</h2>
            {if items.is_empty() {
                view! { <EmptyState title="No notifications".to_string() hint="Reminders and receipts will appear here." /> }.into_any()
            } else {
                view! {
                    <ul class="notifications" data-testid="notifications">
                        {items.into_iter().map(|n| view! {
                            <li data-kind=n.kind.clone()>
                                <time class="muted small" datetime=n.created_at.clone()>{day_time(&n.created_at)}</time>
                                <span class="notification-text">{n.message}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
