use leptos::prelude::*;

use crate::api::system::{AdminAdvanceClock, admin_clock};
use crate::components::when;

const STEPS: [(&str, &str); 7] = [
    ("PT1H", "1 hour"),
    ("P1D", "1 day"),
    ("P2D", "2 days"),
    ("P3D", "3 days"),
    ("P7D", "7 days"),
    ("P27D", "27 days"),
    ("P30D", "30 days"),
];

/// The test clock in the console header (admins only, and only when it is enabled):
/// shows the server's "now" and moves it forward; the worker reacts at once.
#[component]
pub fn TestClockControl() -> impl IntoView {
    let advance = ServerAction::<AdminAdvanceClock>::new();
    let clock = Resource::new(move || advance.version().get(), |_| admin_clock());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match clock.await {
                    Ok(Some(c)) if c.enabled => {
                        let days = c.offset_seconds / 86_400;
                        Some(view! {
                            <ActionForm action=advance attr:class="test-clock" attr:aria-label="Test clock">
                                <span class="test-clock-label" title=format!("moved {days} days ahead")>"Test clock"</span>
                                <time data-testid="test-clock-now" datetime=c.now.clone()>{when(&c.now)}</time>
                                <label class="visually-hidden" for="clock-step">"Move forward by"</label>
                                <select id="clock-step" name="advance">
                                    {STEPS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="button small" disabled=move || advance.pending().get()>"Advance"</button>
                                {move || advance.value().get().and_then(|r| r.err()).map(|e| view! { <span class="error-text" role="alert">{e.to_string()}</span> })}
                            </ActionForm>
                        })
                    }
                    _ => None,
                }
            })}
        </Transition>
    }
}
