use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::catalog::list_tariffs;
use crate::components::{EmptyState, ErrorState, LoadingRows};
use crate::dto::TariffDto;

/// The customer landing page: the active tariffs, their films and monthly price.
#[component]
pub fn Landing() -> impl IntoView {
    let tariffs = Resource::new(|| (), |_| list_tariffs());
    view! {
        <Title text="Priority films by subscription" />
        <div class="site">
            <header class="site-header">
                <a class="brand" href="/">"Kinobill"</a>
                <nav aria-label="Site">
                    <a href="/admin">"Staff console"</a>
                </nav>
            </header>
            <main class="landing">
                <section class="hero">
                    <h1>"Priority films, one subscription"</h1>
                    <p>"Choose a tariff, pay for as many months as you like, and cancel within an hour for a full refund."</p>
                </section>
                <section aria-labelledby="tariffs-heading">
                    <h2 id="tariffs-heading" class="section-title">"Tariffs"</h2>
                    <Suspense fallback=|| view! { <LoadingRows rows=3 label="Loading tariffs…" /> }>
                        {move || Suspend::new(async move {
                            match tariffs.await {
                                Ok(list) if list.is_empty() => view! {
                                    <EmptyState title="No tariffs on sale right now".to_string() hint="Please come back soon." />
                                }.into_any(),
                                Ok(list) => view! {
                                    <div class="tariff-grid">
                                        {list.into_iter().map(|t| view! { <TariffCard tariff=t /> }).collect_view()}
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
fn TariffCard(tariff: TariffDto) -> impl IntoView {
    let (open, set_open) = signal(false);
    let count = tariff.films.len();
    let list_id = format!("films-{}", tariff.code);
    let films = tariff.films;
    view! {
        <article class="tariff-card" data-code=tariff.code.clone() class:open=open>
            <h3 class="tariff-name">{tariff.name}</h3>
            <p class="tariff-price">
                <span class="amount">{tariff.monthly_price.display()}</span>
                <span class="per">" per month"</span>
            </p>
            <p class="tariff-description">{tariff.description}</p>
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
