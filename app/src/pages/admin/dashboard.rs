use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::console::admin_dashboard;
use crate::components::{Bar, BarChart, ErrorState, HBars, LoadingRows};
use crate::dto::{DashboardDto, MoneyDto};

/// "+12 % vs previous period", or nothing to compare with.
fn change(now: i64, before: i64) -> (String, &'static str) {
    if before == 0 {
        return if now == 0 {
            ("no change".into(), "flat")
        } else {
            ("new this period".into(), "up")
        };
    }
    let pct = i128::from(now - before) * 100 / i128::from(before);
    let class = match pct {
        p if p > 0 => "up",
        p if p < 0 => "down",
        _ => "flat",
    };
    let sign = if pct > 0 {
        "+"
    } else if pct < 0 {
        "−"
    } else {
        "±"
    };
    (format!("{sign}{} % vs previous period", pct.abs()), class)
}

fn minor(m: &Option<MoneyDto>) -> i64 {
    m.as_ref().and_then(MoneyDto::minor).unwrap_or(0)
}

/// One figure with its comparison. `good_when_up: false` for churn and refunds.
#[component]
fn Kpi(
    label: &'static str,
    value: String,
    now: i64,
    before: i64,
    #[prop(default = true)] good_when_up: bool,
) -> impl IntoView {
    let (text, dir) = change(now, before);
    let tone = match (dir, good_when_up) {
        ("up", true) | ("down", false) => "good",
        ("down", true) | ("up", false) => "bad",
        _ => "neutral",
    };
    view! {
        <div class="kpi">
            <p class="kpi-label">{label}</p>
            <p class="kpi-value">{value}</p>
            <p class=format!("kpi-change {tone}")>{text}</p>
        </div>
    }
}

fn body(d: DashboardDto) -> AnyView {
    let p = d.previous.clone();
    let active_total: u64 = d.active_subscribers.iter().map(|t| t.count).sum();
    let money = d.mrr.is_some();
    let revenue_now = d
        .revenue
        .as_ref()
        .map(|r| r.iter().filter_map(|x| x.amount.minor()).sum::<i64>())
        .unwrap_or(0);
    let revenue_total = d.revenue.as_ref().map(|r| {
        let currency = r
            .first()
            .and_then(|x| x.amount.currency.parse().ok())
            .unwrap_or_default();
        crate::domain::Money::from_minor(revenue_now, currency).display()
    });
    let tariff_bars: Vec<Bar> = d
        .active_subscribers
        .iter()
        .map(|t| Bar {
            label: t.tariff_name.clone(),
            value: i64::try_from(t.count).unwrap_or(i64::MAX),
            shown: t.count.to_string(),
        })
        .collect();
    let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let kpis = view! {
        <section class="kpis" aria-label="Key figures">
            {d.mrr.clone().map(|m| view! {
                <div class="kpi">
                    <p class="kpi-label">"MRR"</p>
                    <p class="kpi-value">{m.display()}</p>
                    <p class="kpi-change neutral">{format!("from {active_total} active subscription{}", if active_total == 1 { "" } else { "s" })}</p>
                </div>
            })}
            {revenue_total.map(|total| view! {
                <Kpi label="Revenue" value=total now=revenue_now before=minor(&p.revenue) />
            })}
            <Kpi label="New subscribers" value=d.new_subscribers.to_string() now=count(d.new_subscribers) before=count(p.new_subscribers) />
            <Kpi label="Churned" value=d.churned_subscribers.to_string() now=count(d.churned_subscribers) before=count(p.churned_subscribers) good_when_up=false />
            <Kpi
                label="Refunds"
                value=match &d.refunds.amount { Some(a) => format!("{} · {}", d.refunds.count, a.display()), None => d.refunds.count.to_string() }
                now=count(d.refunds.count)
                before=count(p.refunds.count)
                good_when_up=false
            />
            <Kpi label="Promo redemptions" value=d.promo_redemptions.to_string() now=count(d.promo_redemptions) before=count(p.promo_redemptions) />
        </section>
    }
    .into_any();
    let revenue_chart = d.revenue.clone().map(|days| {
        let bars: Vec<Bar> = days
            .iter()
            .map(|x| Bar {
                label: x.date.clone(),
                value: x.amount.minor().unwrap_or(0),
                shown: x.amount.display(),
            })
            .collect();
        view! {
            <section class="card">
                <h2 class="section-title">"Revenue per day"</h2>
                <BarChart
                    id="revenue-chart"
                    title=format!("Revenue per day, {} to {}", d.from, d.to)
                    description="Payments taken each day; refunds are counted on the day they were made.".to_string()
                    x_label="Day"
                    y_label="Revenue"
                    bars=bars
                />
            </section>
        }
        .into_any()
    });
    let (from, to) = (d.from.clone(), d.to.clone());
    let range_form = view! {
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="dash-from">"From"</label>
                <input id="dash-from" type="date" name="from" value=from />
            </div>
            <div class="field inline">
                <label for="dash-to">"To"</label>
                <input id="dash-to" type="date" name="to" value=to />
            </div>
            <button type="submit" class="button">"Show"</button>
        </Form>
    }
    .into_any();
    view! {
        {range_form}
        {kpis}
        {(!money).then(|| view! {
            <p class="muted">"Money figures are hidden for your role."</p>
        })}
        <div class="dash-grid">
            {revenue_chart}
            <section class="card">
                <h2 class="section-title">"Active subscribers by tariff"</h2>
                {if tariff_bars.is_empty() {
                    view! { <p class="muted">"No active subscribers yet."</p> }.into_any()
                } else {
                    view! { <HBars title="Active subscribers by tariff".to_string() bars=tariff_bars /> }.into_any()
                }}
            </section>
        </div>
        <p class="muted small">{format!("{} to {}, compared with {} to {}.", d.from, d.to, p.from, p.to)}</p>
    }
    .into_any()
}

/// The console's home: MRR, subscribers, revenue, churn, refunds and promo use for a
/// range of days, each against the range before.
#[component]
pub fn AdminDashboard() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let data = Resource::new(
        move || (get("from"), get("to")),
        |(f, t)| admin_dashboard(f, t),
    );
    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <p class="page-lead">"How the cinema's subscriptions are doing, against the period before."</p>
        </div>
        <Transition fallback=|| view! { <LoadingRows rows=4 label="Loading figures…" /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => body(d),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
