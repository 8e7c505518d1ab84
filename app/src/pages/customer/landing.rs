use leptos::prelude::*;
use leptos_meta::Title;

use super::SiteHeader;
use crate::api::catalog::list_tariffs;
use crate::api::pricing::{CheckPromoCode, pricing_context};
use crate::components::{EmptyState, ErrorState, LoadingRows};
use crate::domain::pricing::{
    self, Discount, DiscountKind, MonthDiscount, Months, Percent, PromoCode, QuoteInput,
};
use crate::dto::{MonthDiscountDto, PromoCheckDto, TariffDto};

/// The choices of the months selector.
const MONTH_CHOICES: [u32; 8] = [1, 2, 3, 6, 9, 12, 24, 36];

fn to_domain_table(rows: &[MonthDiscountDto]) -> Vec<MonthDiscount> {
    // Rows come from the server's own table, already valid; anything else is skipped.
    rows.iter()
        .filter_map(|r| {
            Some(MonthDiscount {
                months: Months::new(r.months).ok()?,
                percent: Percent::parse(&r.percent, "percent").ok()?,
            })
        })
        .collect()
}

fn months_label(m: u32, table: &[MonthDiscount]) -> String {
    let unit = if m == 1 { "month" } else { "months" };
    match Months::new(m)
        .ok()
        .and_then(|mm| pricing::month_discount_for(table, mm))
    {
        Some(d) => format!("{m} {unit} (−{} %)", d.percent),
        None => format!("{m} {unit}"),
    }
}

/// The customer landing page: the active tariffs with their films, and live prices for
/// any number of months and a promo code. Prices are computed in the browser by the same
/// `domain::pricing` code the server uses; only the promo code check asks the server.
#[component]
pub fn Landing() -> impl IntoView {
    let tariffs = Resource::new(|| (), |_| list_tariffs());
    let context = Resource::new(|| (), |_| pricing_context());
    let months = RwSignal::new(1_u32);
    let promo = RwSignal::new(None::<PromoCheckDto>);

    view! {
        <Title text="Priority films by subscription" />
        <div class="site">
            <SiteHeader />
            <main class="landing">
                <section class="hero">
                    <h1>"Priority films, one subscription"</h1>
                    <p>"Choose a tariff, pay for as many months as you like, and cancel within an hour for a full refund."</p>
                </section>
                <section aria-labelledby="tariffs-heading">
                    <h2 id="tariffs-heading" class="section-title">"Tariffs"</h2>
                    <Suspense fallback=|| view! { <LoadingRows rows=3 label="Loading tariffs…" /> }>
                        {move || Suspend::new(async move {
                            let context = context.await.ok();
                            let table = to_domain_table(context.as_ref().map(|c| c.month_discounts.as_slice()).unwrap_or_default());
                            let personal = context
                                .as_ref()
                                .and_then(|c| c.personal_percent.as_deref())
                                .and_then(|p| Percent::parse(p, "percent").ok());
                            match tariffs.await {
                                Ok(list) if list.is_empty() => view! {
                                    <EmptyState title="No tariffs on sale right now".to_string() hint="Please come back soon." />
                                }.into_any(),
                                Ok(list) => view! {
                                    <p class="personal-discount-note" hidden=personal.is_none()>
                                        {personal.map(|p| format!("Your personal discount of {p} % is taken into account below."))}
                                    </p>
                                    <PricingControls months promo table=table.clone() />
                                    <div class="tariff-grid">
                                        {list.into_iter().map(|t| view! { <TariffCard tariff=t months promo personal table=table.clone() /> }).collect_view()}
                                    </div>
                                }.into_any(),
                                Err(error) => view! { <ErrorState error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </section>
            </main>
            <footer class="site-footer">"Kinobill · prices include VAT"</footer>
        </div>
    }
}

#[component]
fn PricingControls(
    months: RwSignal<u32>,
    promo: RwSignal<Option<PromoCheckDto>>,
    table: Vec<MonthDiscount>,
) -> impl IntoView {
    let check = ServerAction::<CheckPromoCode>::new();
    let code_input = NodeRef::<leptos::html::Input>::new();
    let client_error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(Ok(p)) = check.value().get() {
            promo.set(Some(p));
        }
    });
    let error = move || {
        client_error.get().or_else(|| match check.value().get() {
            Some(Err(e)) if !check.pending().get() => {
                Some(e.field_error("promo_code").unwrap_or_else(|| e.to_string()))
            }
            _ => None,
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = code_input.get().map(|i| i.value()).unwrap_or_default();
        match PromoCode::parse(&raw) {
            Ok(code) => {
                client_error.set(None);
                promo.set(None);
                check.dispatch(CheckPromoCode {
                    code: code.as_str().to_string(),
                });
            }
            Err(e) => client_error.set(Some(e.message().to_string())),
        }
    };
    let remove = move |_| {
        promo.set(None);
        check.value().set(None);
        if let Some(i) = code_input.get() {
            i.set_value("");
        }
    };
    let options = MONTH_CHOICES
        .iter()
        .map(|m| {
            let m = *m;
            view! { <option value=m.to_string() selected=move || months.get() == m>{months_label(m, &table)}</option> }
        })
        .collect_view();

    view! {
        <div class="pricing-controls">
            <div class="field inline">
                <label for="months">"Pay for"</label>
                <select
                    id="months"
                    name="months"
                    on:change=move |ev| {
                        if let Ok(m) = event_target_value(&ev).parse::<u32>() {
                            months.set(m);
                        }
                    }
                >
                    {options}
                </select>
            </div>
            <form class="promo-form" on:submit=on_submit novalidate>
                <div class="field inline" class:invalid=move || error().is_some()>
                    <label for="promo-code">"Promo code"</label>
                    <div class="input-row">
                        <input
                            id="promo-code"
                            node_ref=code_input
                            name="code"
                            autocomplete="off"
                            autocapitalize="characters"
                            spellcheck="false"
                            aria-invalid=move || error().is_some().to_string()
                            aria-describedby="promo-code-status"
                        />
                        <button type="submit" class="button" disabled=move || check.pending().get()>
                            {move || if check.pending().get() { "Checking…" } else { "Apply" }}
                        </button>
                    </div>
                    <p class="field-status" id="promo-code-status" role="status">
                        <span class="field-error">{move || error()}</span>
                        <span class="promo-ok" hidden=move || promo.with(Option::is_none)>
                            <span class="promo-ok-text">{move || promo.get().map(|p| format!("{} applied: {}", p.code, promo_value_text(&p)))}</span>
                            " "
                            <button type="button" class="link-button" on:click=remove>"Remove"</button>
                        </span>
                    </p>
                </div>
            </form>
        </div>
    }
}

fn promo_value_text(p: &PromoCheckDto) -> String {
    match (&p.percent, &p.amount) {
        (Some(percent), _) => format!("−{percent} %"),
        (None, Some(amount)) => format!("−{}", amount.display()),
        (None, None) => String::new(),
    }
}

fn discount_text(d: &Discount, months: u32, promo: Option<&PromoCheckDto>) -> String {
    let what = match d.kind {
        DiscountKind::Personal => "your personal discount".to_string(),
        DiscountKind::Months => format!("paying for {months} months"),
        DiscountKind::Promo => format!(
            "promo code {}",
            promo.map(|p| p.code.as_str()).unwrap_or("")
        ),
    };
    match d.percent {
        Some(p) => format!("You save {} (−{p} %, {what})", d.amount.display()),
        None => format!("You save {} ({what})", d.amount.display()),
    }
}

#[component]
fn TariffCard(
    tariff: TariffDto,
    months: RwSignal<u32>,
    promo: RwSignal<Option<PromoCheckDto>>,
    personal: Option<Percent>,
    table: Vec<MonthDiscount>,
) -> impl IntoView {
    let (open, set_open) = signal(false);
    let count = tariff.films.len();
    let list_id = format!("films-{}", tariff.code);
    let films = tariff.films;
    let tariff_id = tariff.id;
    let monthly = tariff.monthly_price.to_money();
    let monthly_text = tariff.monthly_price.display();

    // Recomputed in the browser whenever the months or the promo code change.
    let quote = Memo::new(move |_| {
        let m = Months::new(months.get()).ok()?;
        let promo_value = promo.with(|p| {
            p.as_ref()
                .filter(|p| p.applies_to(tariff_id))
                .and_then(|p| p.value())
        });
        Some(pricing::quote(&QuoteInput {
            monthly_price: monthly?,
            months: m,
            personal,
            promo: promo_value,
            month_discounts: &table,
        }))
    });
    let has_discount = move || quote.with(|q| q.as_ref().is_some_and(|q| q.applied.is_some()));
    let promo_not_here = move || {
        promo.with(|p| {
            p.as_ref()
                .filter(|p| !p.applies_to(tariff_id))
                .map(|p| p.code.clone())
        })
    };

    view! {
        <article class="tariff-card" data-code=tariff.code.clone() class:open=open>
            <h3 class="tariff-name">{tariff.name}</h3>
            <p class="tariff-price">
                <span class="amount">
                    {move || match quote.get() {
                        Some(q) if months.get() > 1 || q.applied.is_some() => q.total.display(),
                        _ => monthly_text.clone(),
                    }}
                </span>
                <span class="per">
                    {move || match months.get() {
                        1 if quote.with(|q| q.as_ref().is_some_and(|q| q.applied.is_some())) => " for 1 month".to_string(),
                        1 => " per month".to_string(),
                        m => format!(" for {m} months"),
                    }}
                </span>
            </p>
            <p class="tariff-saving">
                <s class="list-price" hidden=move || !has_discount()>
                    {move || quote.get().filter(|q| q.applied.is_some()).map(|q| q.list_price.display())}
                </s>
                <span class="saving" hidden=move || !has_discount()>
                    {move || quote.get().and_then(|q| q.applied).map(|d| promo.with(|p| discount_text(&d, months.get(), p.as_ref())))}
                </span>
                <span class="muted not-applicable" hidden=move || promo_not_here().is_none()>
                    {move || promo_not_here().map(|code| format!("Promo code {code} does not apply to this tariff."))}
                </span>
            </p>
            <p class="tariff-description">{tariff.description}</p>
            <a class="button primary buy" href=move || {
                let mut url = format!("/checkout?tariff={tariff_id}&months={}", months.get());
                if let Some(code) = promo.with(|p| p.as_ref().filter(|p| p.applies_to(tariff_id)).map(|p| p.code.clone())) {
                    url.push_str(&format!("&promo={}", crate::components::encode_query_value(&code)));
                }
                url
            }>
                "Buy"
            </a>
            <button
                type="button"
                class="button ghost films-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls=list_id.clone()
                on:click=move |_| set_open.update(|o| *o = !*o)
            >
                {move || {
                    let films_word = if count == 1 { "film" } else { "films" };
                    if open.get() { format!("Hide {films_word}") } else { format!("Show {count} {films_word}") }
                }}
            </button>
            <ul id=list_id class="film-list" hidden=move || !open.get()>
                {films
                    .into_iter()
                    .map(|f| view! {
                        <li>
                            <span class="film-title">{f.title}</span>
                            <span class="film-year">{f.year}</span>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </article>
    }
}
