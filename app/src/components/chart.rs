//! Charts drawn as SVG on the server: they show before (and without) any JavaScript,
//! and each carries a title, a description and the table of its numbers, so a screen
//! reader user gets the same figures as everyone else. Geometry is integer arithmetic
//! on the values (minor units or counts): no floats near money.

use leptos::prelude::*;

/// One bar: its label on the axis, its value, and the value as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 220;
const LEFT: i64 = 8;
const BOTTOM: i64 = 28;
const TOP: i64 = 16;

/// A vertical bar chart (a value per day), with every n-th label on the x axis so they
/// never overlap, and the largest value marked on the y axis.
#[component]
pub fn BarChart(
    id: &'static str,
    title: String,
    description: String,
    x_label: &'static str,
    y_label: &'static str,
    bars: Vec<Bar>,
) -> impl IntoView {
    let n = i64::try_from(bars.len()).unwrap_or(1).max(1);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let max_shown = bars
        .iter()
        .max_by_key(|b| b.value)
        .map(|b| b.shown.clone())
        .unwrap_or_default();
    let plot_w = WIDTH - LEFT * 2;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = plot_w / n;
    let bar_w = (slot * 3 / 4).max(1);
    let every = (n / 10).max(1);
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let i = i64::try_from(i).unwrap_or(0);
            let h = i64::try_from(i128::from(b.value.max(0)) * i128::from(plot_h) / i128::from(max)).unwrap_or(0);
            let x = LEFT + i * slot + (slot - bar_w) / 2;
            let y = TOP + plot_h - h;
            let label = (i % every == 0).then(|| {
                let short: String = b.label.chars().skip(5).collect();
                view! {
                    <text x=x + bar_w / 2 y=HEIGHT - 10 text-anchor="middle" class="chart-axis">{short}</text>
                }
            });
            view! {
                <g>
                    <rect x=x y=y width=bar_w height=h.max(if b.value > 0 { 1 } else { 0 }) class="chart-bar">
                        <title>{format!("{}: {}", b.label, b.shown)}</title>
                    </rect>
                    {label}
                </g>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .map(|b| view! { <tr><th scope="row">{b.label.clone()}</th><td class="num">{b.shown.clone()}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-labelledby=labelled_by
                class="chart-svg"
            >
                <title id=title_id.clone()>{title.clone()}</title>
                <desc id=desc_id>{description}</desc>
                <line x1=LEFT y1=TOP + plot_h x2=WIDTH - LEFT y2=TOP + plot_h class="chart-baseline" />
                <text x=LEFT y=TOP - 4 class="chart-axis">{format!("{y_label}: max {max_shown}")}</text>
                {rects}
            </svg>
            <figcaption>
                <details>
                    <summary>{format!("{title} — data table")}</summary>
                    <table class="data-table compact">
                        <thead><tr><th scope="col">{x_label}</th><th scope="col" class="num">{y_label}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </details>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Horizontal bars (a count per tariff): label, bar, value on each row. It is itself a
/// list, so it needs no separate table.
#[component]
pub fn HBars(title: String, bars: Vec<Bar>) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    view! {
        <ul class="hbars" aria-label=title>
            {bars.into_iter().map(|b| {
                let pct = i64::try_from(i128::from(b.value.max(0)) * 100 / i128::from(max)).unwrap_or(0);
                view! {
                    <li>
                        <span class="hbar-label">{b.label}</span>
                        <span class="hbar-track" aria-hidden="true"><span class="hbar-fill" style=format!("width: {pct}%")></span></span>
                        <span class="hbar-value num">{b.shown}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
