use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::SiteHeader;
use crate::api::billing::{StartCheckout, checkout_preview};
use crate::components::{ErrorState, LoadingRows, encode_query_value};
use crate::error::AppError;

/// Checkout: what exactly will be charged (the server's quote for this customer), an
/// option to save the card for renewals, and the button that goes to the provider.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("tariff").and_then(|t| Uuid::parse_str(&t).ok()),
                q.get("months")
                    .and_then(|m| m.parse::<u32>().ok())
                    .unwrap_or(1),
                q.get("promo").filter(|p| !p.trim().is_empty()),
            )
        })
    };
    let preview = Resource::new(params, |(tariff, months, promo)| async move {
        match tariff {
            Some(t) => checkout_preview(t, months, promo).await,
            None => Err(AppError::NotFound),
        }
    });
    let here = move || {
        let (t, m, p) = params();
        let mut url = format!(
            "/checkout?tariff={}&months={m}",
            t.map(|t| t.to_string()).unwrap_or_default()
        );
        if let Some(p) = p {
            url.push_str(&format!("&promo={}", encode_query_value(&p)));
        }
        url
    };

    view! {
        <Title text="Checkout" />
        <div class="site">
            <SiteHeader />
            <main class="narrow checkout">
                <h1>"Checkout"</h1>
                <Suspense fallback=|| view! { <LoadingRows rows=3 label="Pricing your order…" /> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Ok(p) => view! { <CheckoutForm preview=p sign_in=format!("/sign-in?next={}", encode_query_value(&here())) /> }.into_any(),
                            Err(AppError::NotFound) => view! {
                                <div class="error-state" role="alert">
                                    <p class="error-title">"This tariff is not on sale."</p>
                                    <a class="button" href="/">"See the tariffs"</a>
                                </div>
                            }.into_any(),
                            Err(error) => view! {
                                <ErrorState error />
                                <p><a href="/">"Back to the tariffs"</a></p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[component]
fn CheckoutForm(preview: crate::dto::CheckoutPreviewDto, sign_in: String) -> impl IntoView {
    let action = ServerAction::<StartCheckout>::new();
    // The provider's page is another site as far as the router is concerned: leave the
    // app with a full navigation, never a client-side route change.
    Effect::new(move |_| {
        if let Some(Ok(url)) = action.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    let q = preview.quote.clone();
    let months = q.months;
    let leaving = move || matches!(action.value().get(), Some(Ok(_)));
    let error = move || {
        if action.pending().get() {
            return None;
        }
        action.value().get().and_then(|r| r.err()).map(|e| match e {
            AppError::Validation { fields, message } => {
                fields.values().flatten().next().cloned().unwrap_or(message)
            }
            other => other.to_string(),
        })
    };
    let discount = q.applied_discount.clone();
    let total = q.total.display();
    let promo_code = use_query_map().with_untracked(|m| m.get("promo"));

    view! {
        <section class="panel order" aria-labelledby="order-heading">
            <h2 id="order-heading">{format!("{} · {} month{}", preview.tariff.name, months, if months == 1 { "" } else { "s" })}</h2>
            <dl class="order-lines">
                <div><dt>"List price"</dt><dd class="money">{q.list_price.display()}</dd></div>
                {discount.map(|d| view! {
                    <div class="discount-line">
                        <dt>{match d.kind.as_str() {
                            "personal" => "Your personal discount".to_string(),
                            "promo" => "Promo code".to_string(),
                            _ => format!("{months}-month discount"),
                        }}{d.percent.map(|p| format!(" (−{p} %)"))}</dt>
                        <dd class="money">{format!("−{}", d.amount.display())}</dd>
                    </div>
                })}
                <div class="total"><dt>"Total"</dt><dd class="money" data-testid="checkout-total">{total.clone()}</dd></div>
            </dl>
            {match preview.customer {
                None => view! {
                    <p>"Sign in with your cinema account to pay."</p>
                    <a class="button" href=sign_in>"Sign in to continue"</a>
                }.into_any(),
                Some(customer) => view! {
                    <ActionForm action=action attr:class="checkout-form">
                        <input type="hidden" name="tariff_id" value=preview.tariff.id.to_string() />
                        <input type="hidden" name="months" value=months.to_string() />
                        <input type="hidden" name="key" value=preview.key.clone() />
                        {promo_code.map(|code| view! { <input type="hidden" name="promo_code" value=code /> })}
                        <label class="check">
                            <input type="checkbox" name="save_card" value="true" checked=true />
                            " Save the card and renew automatically (you can turn this off any time)"
                        </label>
                        <p class="form-error" role="alert" hidden=move || error().is_none()>{error}</p>
                        <button type="submit" class="button primary" disabled=move || action.pending().get() || leaving()>
                            {move || if action.pending().get() || leaving() { "Going to payment…".to_string() } else { format!("Pay {total}") }}
                        </button>
                        <p class="muted">{format!("Paying as {}. You can ask for a full refund within an hour.", customer.display_name())}</p>
                    </ActionForm>
                }.into_any(),
            }}
        </section>
    }
}
