use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::SiteHeader;
use crate::api::billing::check_payment;
use crate::components::LoadingRows;
use crate::dto::PaymentDto;
use crate::error::AppError;

/// Where the provider sends the customer back. While the payment is pending the page
/// asks the server every two seconds, and the server asks the provider, so the outcome
/// shows up even if the provider's webhook is late or never comes.
#[component]
pub fn CheckoutReturnPage() -> impl IntoView {
    let query = use_query_map();
    let payment_id =
        move || query.with(|q| q.get("payment").and_then(|p| Uuid::parse_str(&p).ok()));
    let tick = RwSignal::new(0_u32);
    let payment = Resource::new(
        move || (payment_id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => check_payment(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // Poll while pending (browser only; the first answer comes with the page).
    Effect::new(move |_| {
        let pending = payment
            .get()
            .is_some_and(|r| r.is_ok_and(|p| p.status == "pending"));
        if pending {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_secs(2),
            );
        }
    });

    view! {
        <Title text="Payment" />
        <div class="site">
            <SiteHeader />
            <main class="narrow">
                <Transition fallback=|| view! { <LoadingRows rows=2 label="Checking your payment…" /> }>
                    {move || Suspend::new(async move {
                        match payment.await {
                            Ok(p) => view! { <Outcome payment=p /> }.into_any(),
                            Err(AppError::Unauthorized(_)) => view! {
                                <div class="error-state" role="alert">
                                    <p class="error-title">"Please sign in to see this payment."</p>
                                    <a class="button" href="/sign-in">"Sign in"</a>
                                </div>
                            }.into_any(),
                            Err(_) => view! {
                                <div class="error-state" role="alert">
                                    <p class="error-title">"We could not find this payment."</p>
                                    <a class="button" href="/account">"Your account"</a>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </div>
    }
}

#[component]
fn Outcome(payment: PaymentDto) -> impl IntoView {
    let retry = format!(
        "/checkout?tariff={}&months={}",
        payment.tariff_id, payment.months
    );
    match payment.status.as_str() {
        "succeeded" => view! {
            <section class="outcome success" data-status="succeeded">
                <h1>"Payment received"</h1>
                <p>{format!("{} paid for {} (invoice {}).", payment.amount.display(), payment.description, payment.invoice_number)}</p>
                <p>"Your priority films are unlocked. Enjoy!"</p>
                <a class="button primary" href="/account">"Go to my subscription"</a>
            </section>
        }.into_any(),
        "pending" => view! {
            <section class="outcome pending" data-status="pending" aria-live="polite">
                <h1>"Waiting for the payment to be confirmed…"</h1>
                <p>"This usually takes a few seconds. You can stay on this page; it updates by itself."</p>
                {payment.confirmation_url.map(|u| view! { <p><a href=u rel="external">"Not paid yet? Open the payment page again"</a></p> })}
            </section>
        }.into_any(),
        "refunded" => view! {
            <section class="outcome" data-status="refunded">
                <h1>"This payment was refunded"</h1>
                <a class="button" href="/account">"Your account"</a>
            </section>
        }.into_any(),
        _ => view! {
            <section class="outcome failure" data-status=payment.status.clone() role="alert">
                <h1>"The payment did not go through"</h1>
                <p class="failure-reason">{payment.failure_message.clone().unwrap_or_else(|| "The payment was not completed.".to_string())}</p>
                <p>"Nothing was charged. You can try again with another card."</p>
                <a class="button primary" href=retry>"Try again"</a>
            </section>
        }.into_any(),
    }
}
