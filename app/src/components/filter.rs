use leptos::prelude::*;

/// A labelled `<select>` of a list's filter form, its choice read from the page's URL
/// (`current`), so the filtered view is a link that can be shared.
#[component]
pub fn SelectFilter(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    /// `(value, label)`; the empty value means "no filter".
    options: &'static [(&'static str, &'static str)],
    #[prop(into)] current: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="field inline">
            <label for=id>{label}</label>
            <select id=id name=name>
                {options.iter().map(|(v, l)| {
                    let v = *v;
                    view! { <option value=v selected=move || current.get() == v>{*l}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
