use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::system::admin_integrity;
use crate::components::{ErrorState, LoadingRows, when};

/// What each audit rule means, in words for the person reading the report.
fn rule_text(rule: &str) -> &'static str {
    match rule {
        "known_status" => "A row holds a status the billing rules do not know.",
        "one_succeeded_payment_per_invoice" => "An invoice was paid more than once.",
        "paid_invoice_has_payment" => "An invoice is marked paid without a successful payment.",
        "one_open_invoice_per_customer" => "A customer has more than one open checkout invoice.",
        "ledger_matches_payments" => "The ledger does not mirror a payment or its refund.",
        "refund_matches_payment" => "A payment's status disagrees with its refund.",
        "ledger_balance" => "A customer's balance is not explained by ledger corrections.",
        "paid_payment_has_period" => "A successful payment bought no period of access.",
        "access_has_paid_period" => "A customer can watch beyond what they paid for.",
        "redemptions_within_limit" => "A promo code was redeemed more often than allowed.",
        "redemption_count_matches" => "A promo code's counter disagrees with its redemptions.",
        "refund_within_payment" => "A refund exceeds its payment.",
        "one_refund_per_payment" => "A payment was refunded more than once.",
        _ => "An invariant of the billing rules is broken.",
    }
}

/// The money invariants checked on the live database, run on every visit and on demand.
#[component]
pub fn AdminIntegrity() -> impl IntoView {
    let (runs, set_runs) = signal(0_u32);
    let report = Resource::new(move || runs.get(), |_| admin_integrity());
    view! {
        <Title text="Integrity" />
        <div class="page-head">
            <h1>"Integrity"</h1>
            <p class="page-lead">"The money rules checked against the live database: ledger, payments, refunds, access and promo codes. The same check runs as "<code>"server audit"</code>"."</p>
        </div>
        <p>
            <button type="button" class="button" data-testid="run-audit"
                on:click=move |_| set_runs.update(|n| *n += 1)>
                "Check again"
            </button>
        </p>
        <Transition fallback=|| view! { <LoadingRows rows=3 label="Checking the database…" /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) if r.ok => view! {
                        <div class="notice" role="status" data-testid="integrity-ok">
                            <p><strong>"Every invariant holds."</strong></p>
                            <p class="muted small">"Checked "{when(&r.checked_at)}</p>
                        </div>
                    }.into_any(),
                    Ok(r) => {
                        let n = r.violations.len();
                        view! {
                            <div class="alert" role="alert" data-testid="integrity-broken">
                                <p><strong>{format!("{n} violation{} found", if n == 1 { "" } else { "s" })}</strong>" — checked "{when(&r.checked_at)}</p>
                            </div>
                            <div class="table-wrap"><table class="data-table integrity">
                                <caption class="visually-hidden">"Violations"</caption>
                                <thead><tr>
                                    <th scope="col">"Rule"</th>
                                    <th scope="col">"Row"</th>
                                    <th scope="col">"Found"</th>
                                </tr></thead>
                                <tbody>
                                    {r.violations.into_iter().map(|v| view! {
                                        <tr data-rule=v.rule.clone()>
                                            <td data-label="Rule"><code>{v.rule.clone()}</code><span class="muted small block">{rule_text(&v.rule)}</span></td>
                                            <td data-label="Row">{v.entity.clone()}" "<code>{v.id.clone()}</code></td>
                                            <td data-label="Found">{v.detail.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
