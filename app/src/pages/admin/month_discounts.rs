use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::month_discounts::{AdminSaveMonthDiscounts, admin_month_discounts};
use crate::api::staff_session::current_staff;
use crate::components::{ErrorState, FormErrors, LoadingRows};
use crate::domain::pricing::validate_month_table;
use crate::dto::MonthDiscountDto;

#[derive(Clone, Copy)]
struct Row {
    key: usize,
    months: RwSignal<String>,
    percent: RwSignal<String>,
}

/// The month-discount table as an editable grid: add and remove rows, save all at once.
#[component]
pub fn AdminMonthDiscounts() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_staff());
    let table = Resource::new(|| (), |_| admin_month_discounts());
    view! {
        <Title text="Month discounts" />
        <div class="page-head">
            <h1>"Month discounts"</h1>
            <p class="page-lead">"Paying for several months at once earns the discount of the largest threshold reached. It never combines with a promo code or a personal discount: the best single one applies."</p>
        </div>
        <Suspense fallback=|| view! { <LoadingRows rows=3 /> }>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                match table.await {
                    Ok(rows) => view! { <Editor rows can_edit /> }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(rows: Vec<MonthDiscountDto>, can_edit: bool) -> impl IntoView {
    let next_key = StoredValue::new(rows.len());
    let to_row = |(key, d): (usize, &MonthDiscountDto)| Row {
        key,
        months: RwSignal::new(d.months.to_string()),
        percent: RwSignal::new(d.percent.clone()),
    };
    let rows = RwSignal::new(rows.iter().enumerate().map(to_row).collect::<Vec<_>>());
    let save = ServerAction::<AdminSaveMonthDiscounts>::new();
    let server_error = Signal::derive(move || {
        if save.pending().get() {
            None
        } else {
            save.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let saved = move || !save.pending().get() && matches!(save.value().get(), Some(Ok(_)));

    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| {
            r.push(Row {
                key,
                months: RwSignal::new(String::new()),
                percent: RwSignal::new(String::new()),
            })
        });
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let values: Vec<(String, String)> = rows
            .get_untracked()
            .iter()
            .map(|r| (r.months.get_untracked(), r.percent.get_untracked()))
            .collect();
        let problems = validate_month_table(&values).err().unwrap_or_default();
        if errors.check(&problems) {
            save.dispatch(AdminSaveMonthDiscounts { rows: values });
        }
    };

    view! {
        <form class="card form-card month-editor" on:submit=on_submit novalidate>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || saved().then(|| view! { <p class="notice" role="status">"Saved. New quotes use this table now."</p> })}
            <table class="data-table editable">
                <caption class="visually-hidden">"Month discounts"</caption>
                <thead><tr>
                    <th scope="col">"From (months)"</th>
                    <th scope="col">"Discount, %"</th>
                    <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.key let:row>
                        {
                            let index = move || rows.with(|rs| rs.iter().position(|r| r.key == row.key).unwrap_or(0));
                            let months_error = move || errors.get(&format!("rows[{}].months", index()));
                            let percent_error = move || errors.get(&format!("rows[{}].percent", index()));
                            let months_id = format!("md-months-{}", row.key);
                            let percent_id = format!("md-percent-{}", row.key);
                            view! {
                                <tr class="md-row">
                                    <td data-label="From (months)">
                                        <div class="field" class:invalid=move || months_error().is_some()>
                                            <label class="visually-hidden" for=months_id.clone()>{move || format!("Months, row {}", index() + 1)}</label>
                                            <input id=months_id inputmode="numeric" bind:value=row.months disabled=!can_edit aria-invalid=move || months_error().is_some().to_string() />
                                            <p class="field-error">{months_error}</p>
                                        </div>
                                    </td>
                                    <td data-label="Discount, %">
                                        <div class="field" class:invalid=move || percent_error().is_some()>
                                            <label class="visually-hidden" for=percent_id.clone()>{move || format!("Percent, row {}", index() + 1)}</label>
                                            <input id=percent_id inputmode="decimal" bind:value=row.percent disabled=!can_edit aria-invalid=move || percent_error().is_some().to_string() />
                                            <p class="field-error">{percent_error}</p>
                                        </div>
                                    </td>
                                    <td class="actions">
                                        {can_edit.then(|| view! {
                                            <button type="button" class="button ghost small danger"
                                                aria-label=move || format!("Remove row {}", index() + 1)
                                                on:click=move |_| rows.update(|rs| rs.retain(|r| r.key != row.key))>
                                                "Remove"
                                            </button>
                                        })}
                                    </td>
                                </tr>
                            }
                            .into_any()
                        }
                    </For>
                </tbody>
            </table>
            {move || rows.with(Vec::is_empty).then(|| view! { <p class="empty-hint">"No month discounts: every purchase pays the full monthly price."</p> })}
            {can_edit.then(|| view! {
                <div class="form-actions">
                    <button type="button" class="button" on:click=add>"Add row"</button>
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save changes"</button>
                </div>
            })}
        </form>
    }
}
