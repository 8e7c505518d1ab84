use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::staff_admin::{
    AdminInviteStaff, AdminMintStaffToken, AdminRevokeStaffToken, AdminUnlockStaff,
    AdminUpdateStaff, admin_list_staff, admin_staff_tokens,
};
use crate::api::staff_session::current_staff;
use crate::components::{
    EmptyState, ErrorState, FormErrors, LoadingRows, TextField, input_value, when,
};
use crate::domain::validation::{validate_email, validate_new_password};
use crate::domain::{DomainError, StaffRole};
use crate::dto::StaffMemberDto;

/// The browser-side half of `services::staff_admin::invite`'s checks.
fn check(email: &str, password: &str) -> Vec<DomainError> {
    let mut errors = Vec::new();
    errors.extend(validate_email(email).err());
    if !password.is_empty() {
        errors.extend(validate_new_password(password).err());
    }
    errors
}

fn status_of(m: &StaffMemberDto) -> (&'static str, String) {
    match (m.active, &m.locked_until, m.setup_pending) {
        (false, ..) => ("inactive", "Deactivated".to_string()),
        (true, Some(until), _) => ("locked", format!("Locked until {}", when(until))),
        (true, None, true) => ("invited", "Invited".to_string()),
        (true, None, false) => ("active", "Active".to_string()),
    }
}

/// Staff accounts (admin): invite, change role, deactivate, lift a lock, API tokens.
#[component]
pub fn AdminStaff() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let me = Resource::new(|| (), |_| current_staff());
    let invite = ServerAction::<AdminInviteStaff>::new();
    let update = ServerAction::<AdminUpdateStaff>::new();
    let unlock = ServerAction::<AdminUnlockStaff>::new();
    let mint = ServerAction::<AdminMintStaffToken>::new();
    let revoke = ServerAction::<AdminRevokeStaffToken>::new();
    let list = Resource::new(
        move || {
            (
                q(),
                invite.version().get(),
                update.version().get(),
                unlock.version().get(),
            )
        },
        |(q, ..)| admin_list_staff(q),
    );
    // The member whose API tokens are open below the table.
    let tokens_of = RwSignal::new(None::<(Uuid, String)>);
    let tokens = Resource::new(
        move || {
            (
                tokens_of.get().map(|t| t.0),
                mint.version().get(),
                revoke.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => admin_staff_tokens(id).await.map(Some),
                None => Ok(None),
            }
        },
    );

    let server_error = Signal::derive(move || {
        if invite.pending().get() {
            None
        } else {
            invite.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (email, name, password) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let role = NodeRef::<leptos::html::Select>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (e, n, p) = (
            input_value(&email),
            input_value(&name),
            input_value(&password),
        );
        let r = role.get().map(|s| s.value()).unwrap_or_default();
        if errors.check(&check(&e, &p)) {
            invite.dispatch(AdminInviteStaff {
                email: e,
                name: n,
                role: r,
                password: p,
            });
        }
    };
    let invited = move || invite.value().get().and_then(|r| r.ok());
    let row_error = move || {
        [update.value().get(), unlock.value().get()]
            .into_iter()
            .flatten()
            .find_map(|r| r.err())
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Staff" />
        <div class="page-head">
            <h1>"Staff"</h1>
            <p class="page-lead">"Who can use the console and the API. Deactivating someone ends their sessions and API tokens at once; every change is audit-logged."</p>
        </div>
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a member"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || invited().map(|i| view! {
                <div class="notice" role="status">
                    {match &i.setup_url {
                        Some(url) => view! {
                            <p>{format!("{} is invited. Send them this one-time link to set their password (valid until {}):", i.staff.email, when(i.setup_expires_at.as_deref().unwrap_or_default()))}</p>
                            <input class="copy-field" type="text" readonly aria-label="Password setup link" value=url.clone() />
                        }.into_any(),
                        None => view! { <p>{format!("{} can sign in now.", i.staff.email)}</p> }.into_any(),
                    }}
                </div>
            })}
            <div class="field-row">
                <TextField id="staff-email" label="E-mail" name="email" errors node_ref=email input_type="email" placeholder="anna@kinobill.local" />
                <TextField id="staff-name" label="Name" name="name" errors node_ref=name hint="Empty: the e-mail's first part" />
            </div>
            <div class="field-row">
                <div class="field" class:invalid=move || errors.get("role").is_some()>
                    <label for="staff-role">"Role"</label>
                    <select id="staff-role" name="role" node_ref=role aria-describedby="staff-role-error">
                        {StaffRole::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == StaffRole::Support>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="staff-role-error">{move || errors.get("role")}</p>
                </div>
                <TextField id="staff-password" label="Password (optional)" name="password" errors node_ref=password input_type="password" hint="Empty: they get a one-time setup link" />
            </div>
            <button type="submit" class="button primary" disabled=move || invite.pending().get()>"Invite"</button>
        </form>

        <h2 class="section-title">"Members"</h2>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="staff-q">"E-mail or name"</label>
                <input id="staff-q" type="search" name="q" prop:value=q />
            </div>
            <button type="submit" class="button">"Search"</button>
        </Form>
        {move || row_error().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <LoadingRows rows=3 /> }>
            {move || Suspend::new(async move {
                let my_id = match me.await { Ok(Some(s)) => Some(s.id), _ => None };
                match list.await {
                    Ok(members) if members.is_empty() => view! {
                        <EmptyState title="No staff member matches".to_string() hint="Try another part of the e-mail or name." />
                    }.into_any(),
                    Ok(members) => view! {
                        <div class="table-wrap"><table class="data-table">
                            <caption class="visually-hidden">"Staff members"</caption>
                            <thead><tr>
                                <th scope="col">"Member"</th>
                                <th scope="col">"Role"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {members.into_iter().map(|m| {
                                    let id = m.id;
                                    let me = my_id == Some(id);
                                    let (status_class, status) = status_of(&m);
                                    let who = m.email.clone();
                                    let who_tokens = m.email.clone();
                                    view! {
                                        <tr>
                                            <td data-label="Member"><span class="strong">{m.name.clone()}{me.then_some(" (you)")}</span><span class="sub">{m.email.clone()}</span></td>
                                            <td data-label="Role">
                                                <select aria-label=format!("Role of {who}") disabled=me
                                                    on:change=move |ev| { update.dispatch(AdminUpdateStaff { id, role: Some(event_target_value(&ev)), active: None }); }>
                                                    {StaffRole::ALL.into_iter().map(|r| view! {
                                                        <option value=r.as_str() selected=r == m.role>{r.label()}</option>
                                                    }).collect_view()}
                                                </select>
                                            </td>
                                            <td data-label="Status"><span class="status-pill" data-status=status_class>{status}</span></td>
                                            <td class="actions">
                                                {m.locked_until.is_some().then(|| view! {
                                                    <button type="button" class="button ghost small" on:click=move |_| { unlock.dispatch(AdminUnlockStaff { id }); }>"Unlock"</button>
                                                })}
                                                <button type="button" class="button ghost small" aria-label=format!("API tokens of {}", m.email)
                                                    on:click=move |_| tokens_of.set(Some((id, who_tokens.clone())))>"API tokens"</button>
                                                {(!me).then(|| if m.active {
                                                    view! { <button type="button" class="button ghost small danger" aria-label=format!("Deactivate {}", m.email)
                                                        on:click=move |_| { update.dispatch(AdminUpdateStaff { id, role: None, active: Some(false) }); }>"Deactivate"</button> }.into_any()
                                                } else {
                                                    view! { <button type="button" class="button ghost small" aria-label=format!("Reactivate {}", m.email)
                                                        on:click=move |_| { update.dispatch(AdminUpdateStaff { id, role: None, active: Some(true) }); }>"Reactivate"</button> }.into_any()
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
        {move || tokens_of.get().map(|(id, email)| view! {
            <section class="card tokens-panel" aria-labelledby="tokens-title">
                <div class="panel-head">
                    <h2 id="tokens-title">{format!("API tokens of {email}")}</h2>
                    <button type="button" class="button small" on:click=move |_| { mint.dispatch(AdminMintStaffToken { id }); }>"Create token"</button>
                    <button type="button" class="button ghost small" on:click=move |_| tokens_of.set(None)>"Close"</button>
                </div>
                {move || mint.value().get().map(|r| match r {
                    Ok(t) => view! {
                        <div class="notice" role="status">
                            <p>"Copy the token now: it is shown only this once."</p>
                            <input class="copy-field" type="text" readonly aria-label="New API token" value=t.token />
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
                <Transition fallback=|| view! { <LoadingRows rows=2 /> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Ok(Some(list)) if list.is_empty() => view! {
                                <EmptyState title="No API tokens".to_string() hint="Tokens let scripts call the REST API as this member." />
                            }.into_any(),
                            Ok(Some(list)) => view! {
                                <div class="table-wrap"><table class="data-table">
                                    <caption class="visually-hidden">"API tokens"</caption>
                                    <thead><tr>
                                        <th scope="col">"Token"</th>
                                        <th scope="col">"Created"</th>
                                        <th scope="col">"Last used"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|t| {
                                            let token_id = t.id;
                                            let short = t.id.to_string().chars().take(8).collect::<String>();
                                            view! {
                                                <tr>
                                                    <td data-label="Token" class="mono">{short.clone()}</td>
                                                    <td data-label="Created">{when(&t.created_at)}</td>
                                                    <td data-label="Last used">{t.last_used_at.as_deref().map(when).unwrap_or_else(|| "never".into())}</td>
                                                    <td data-label="Status">{match &t.revoked_at { Some(at) => format!("Revoked {}", when(at)), None => "Active".to_string() }}</td>
                                                    <td class="actions">
                                                        {t.revoked_at.is_none().then(|| view! {
                                                            <button type="button" class="button ghost small danger" aria-label=format!("Revoke token {short}")
                                                                on:click=move |_| { revoke.dispatch(AdminRevokeStaffToken { id, token_id }); }>"Revoke"</button>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            }.into_any(),
                            Ok(None) => ().into_any(),
                            Err(error) => view! { <ErrorState error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        })}
    }
}
