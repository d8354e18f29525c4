//! Admin pages: users, groups, organizations, statuses, custom fields, macros, rules, API
//! tokens and shared views. Each section is a table and forms described as data and drawn
//! by one template, so later sections (plugins, SLAs, reports) plug in the same way; a
//! rule, with its editor, dry run, run log and versions, has a page of its own ([`rules`]).

pub(crate) mod plugins;
pub(crate) mod rules;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use triage_app::directory::{
    CustomFieldInput, GroupInput, MacroActions, MacroInput, NewUser, OrganizationInput,
    StatusInput, UserChanges,
};
use triage_app::views::ViewInput;

use super::render;
use crate::Web;
use crate::error::{WebError, WebResult};
use crate::forms::FormData;
use crate::session::Admin;
use crate::view::{Layout, datetime};

/// The sections, in the order of the tabs.
const SECTIONS: &[(&str, &str)] = &[
    ("users", "Users"),
    ("groups", "Groups"),
    ("organizations", "Organizations"),
    ("statuses", "Statuses"),
    ("fields", "Custom fields"),
    ("macros", "Macros"),
    ("rules", "Rules"),
    ("plugins", "Plugins"),
    ("tokens", "API tokens"),
    ("views", "Shared views"),
];

#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    pub href: String,
    /// A badge before the text (`deactivated`), empty for none.
    pub badge: &'static str,
    /// The badge's class: `b-ok`, `b-off`, `b-warn` or `b-bad`.
    pub tone: &'static str,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        ..Cell::default()
    }
}

fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: href.into(),
        ..Cell::default()
    }
}

/// A badge, then `text`.
fn badge(badge: &'static str, tone: &'static str, text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        badge,
        tone,
        ..Cell::default()
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// One input of a form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `email`, `password`, `number`, `textarea`, `select`, `checkbox` or
    /// `checkboxes` (several values).
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    /// (value, label, chosen).
    pub options: Vec<(String, String, bool)>,
    pub required: bool,
    pub help: &'static str,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str) -> Field {
        Field {
            name,
            label,
            kind,
            ..Field::default()
        }
    }

    fn value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }

    fn required(mut self) -> Field {
        self.required = true;
        self
    }

    fn checked(mut self, checked: bool) -> Field {
        self.checked = checked;
        self
    }

    fn help(mut self, help: &'static str) -> Field {
        self.help = help;
        self
    }

    fn options<I, V, L>(mut self, options: I, chosen: &[String]) -> Field
    where
        I: IntoIterator<Item = (V, L)>,
        V: Into<String>,
        L: Into<String>,
    {
        self.options = options
            .into_iter()
            .map(|(v, l)| {
                let v = v.into();
                let is = chosen.contains(&v);
                (v, l.into(), is)
            })
            .collect();
        self
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FormSpec {
    pub id: String,
    pub title: String,
    pub action: String,
    pub submit: &'static str,
    pub fields: Vec<Field>,
    pub danger: bool,
    /// Sent with GET (it only opens a page), so without the CSRF token.
    pub get: bool,
}

#[derive(Template)]
#[template(path = "admin/page.html")]
struct AdminPage {
    layout: Layout,
    tabs: Vec<(&'static str, &'static str, bool)>,
    heading: String,
    intro: &'static str,
    table: Option<Table>,
    forms: Vec<FormSpec>,
    /// A secret shown this once (a new API token).
    secret: String,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct AdminQuery {
    done: Option<String>,
    /// The version of a rule whose changes to show (anything else shows the newest).
    version: Option<String>,
}

/// The section tabs, `section` marked current.
fn tabs(section: &str) -> Vec<(&'static str, &'static str, bool)> {
    SECTIONS
        .iter()
        .map(|(key, label)| (*key, *label, *key == section))
        .collect()
}

fn page(
    admin: &Admin,
    section: &'static str,
    heading: String,
    intro: &'static str,
    table: Option<Table>,
    forms: Vec<FormSpec>,
    notice: Option<&str>,
) -> WebResult<Response> {
    render(AdminPage {
        layout: Layout::new(Some(&admin.0), heading.clone(), "admin").with_notice(notice),
        tabs: tabs(section),
        heading,
        intro,
        table,
        forms,
        secret: String::new(),
    })
}

fn section_of(name: &str) -> WebResult<&'static str> {
    SECTIONS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == name)
        .ok_or_else(|| WebError::App(triage_app::AppError::NotFound(format!("admin page {name}"))))
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `/admin`: the first section.
pub(crate) async fn home(_admin: Admin) -> Redirect {
    Redirect::to("/admin/users")
}

const ROLES: [(&str, &str); 3] = [
    ("agent", "Agent"),
    ("admin", "Admin"),
    ("customer", "Customer"),
];
const CATEGORIES: [(&str, &str); 6] = [
    ("new", "New"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("on_hold", "On hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
];
const FIELD_KINDS: [(&str, &str); 5] = [
    ("text", "Text"),
    ("number", "Number"),
    ("date", "Date"),
    ("dropdown", "Dropdown"),
    ("checkbox", "Checkbox"),
];

async fn organization_options(web: &Web, admin: &Admin) -> WebResult<Vec<(String, String)>> {
    let mut out = vec![(String::new(), "—".to_string())];
    for o in web.app.list_organizations(admin.0.actor()).await? {
        out.push((o.id.to_string(), o.name));
    }
    Ok(out)
}

async fn staff_options(web: &Web, admin: &Admin) -> WebResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for role in ["agent", "admin"] {
        for u in web
            .app
            .list_users(admin.0.actor(), Some(role), 0, 1000)
            .await?
        {
            if u.active {
                out.push((u.id.to_string(), u.name));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

fn macro_fields(m: Option<&triage_app::rows::MacroRow>, statuses: &[String]) -> Vec<Field> {
    let actions = m
        .map(|m| MacroActions::from_json(&m.actions))
        .unwrap_or_default();
    let none = || (String::new(), "(unchanged)".to_string());
    let mut status_options = vec![none()];
    status_options.extend(statuses.iter().map(|s| (s.clone(), s.clone())));
    vec![
        Field::new("name", "Name", "text")
            .value(m.map(|m| m.name.clone()).unwrap_or_default())
            .required(),
        Field::new("body", "Text", "textarea")
            .value(m.map(|m| m.body.clone()).unwrap_or_default())
            .help("Placeholders: {{requester.first_name}}, {{requester.name}}, {{ticket.number}}, {{ticket.subject}}, {{agent.first_name}}, {{organization.name}} …"),
        Field::new("public", "Public reply (otherwise an internal note)", "checkbox")
            .checked(m.is_none_or(|m| m.public)),
        Field::new("status", "Set status", "select")
            .options(status_options, &[actions.status.clone().unwrap_or_default()]),
        Field::new("priority", "Set priority", "select").options(
            [("", "(unchanged)"), ("low", "low"), ("normal", "normal"), ("high", "high"), ("urgent", "urgent")],
            &[actions.priority.clone().unwrap_or_default()],
        ),
        Field::new("add_tags", "Add tags", "text").value(actions.add_tags.join(", ")),
        Field::new("remove_tags", "Remove tags", "text").value(actions.remove_tags.join(", ")),
        Field::new("active", "Active", "checkbox").checked(m.is_none_or(|m| m.active)),
    ]
}

fn tags(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// `GET /admin/{section}`: the list and the form to add one.
pub(crate) async fn list(
    State(web): State<Web>,
    admin: Admin,
    Path(section): Path<String>,
    Query(q): Query<AdminQuery>,
) -> WebResult<Response> {
    let section = section_of(&section)?;
    let actor = admin.0.actor();
    let notice = q.done.as_deref();
    let create = |title: &str, fields: Vec<Field>| FormSpec {
        id: format!("create-{section}"),
        title: title.to_string(),
        action: format!("/admin/{section}"),
        submit: "Create",
        fields,
        danger: false,
        get: false,
    };
    match section {
        "users" => {
            let mut users = Vec::new();
            for role in ["admin", "agent", "customer"] {
                users.extend(web.app.list_users(actor, Some(role), 0, 500).await?);
            }
            let table = Table {
                headers: vec!["Name", "Email", "Role", "Active", "Created"],
                rows: users
                    .iter()
                    .map(|u| {
                        vec![
                            link(&u.name, format!("/admin/users/{}", u.id)),
                            cell(&u.email),
                            cell(&u.role),
                            cell(yes(u.active)),
                            cell(datetime(u.created_at)),
                        ]
                    })
                    .collect(),
            };
            let orgs = organization_options(&web, &admin).await?;
            let form = create(
                "Add a user",
                vec![
                    Field::new("name", "Name", "text").required(),
                    Field::new("email", "Email", "email").required(),
                    Field::new("role", "Role", "select").options(ROLES, &["agent".into()]),
                    Field::new("organization", "Organization", "select").options(orgs, &[]),
                    Field::new("password", "Password", "password").help(
                        "At least 10 characters. Leave empty for a customer who only writes in.",
                    ),
                ],
            );
            page(
                &admin,
                section,
                "Users".into(),
                "Agents answer tickets, admins also configure Triage, customers use the portal.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "groups" => {
            let groups = web.app.list_groups(actor).await?;
            let table = Table {
                headers: vec!["Name", "Description"],
                rows: groups
                    .iter()
                    .map(|g| {
                        vec![
                            link(&g.name, format!("/admin/groups/{}", g.id)),
                            cell(&g.description),
                        ]
                    })
                    .collect(),
            };
            let staff = staff_options(&web, &admin).await?;
            let form = create(
                "Add a group",
                vec![
                    Field::new("name", "Name", "text").required(),
                    Field::new("description", "Description", "text"),
                    Field::new("members", "Members", "checkboxes").options(staff, &[]),
                ],
            );
            page(
                &admin,
                section,
                "Groups".into(),
                "Groups are the queues agents work from; an agent sees the tickets of their groups.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "organizations" => {
            let orgs = web.app.list_organizations(actor).await?;
            let table = Table {
                headers: vec!["Name", "Mail domains", "Members see each other's tickets"],
                rows: orgs
                    .iter()
                    .map(|o| {
                        vec![
                            link(&o.name, format!("/admin/organizations/{}", o.id)),
                            cell(triage_app::rows::json_strings(&o.domains).join(", ")),
                            cell(yes(o.shared_tickets)),
                        ]
                    })
                    .collect(),
            };
            let form = create(
                "Add an organization",
                vec![
                    Field::new("name", "Name", "text").required(),
                    Field::new("domains", "Mail domains", "text")
                        .help("Comma-separated; customers with these addresses join it."),
                    Field::new(
                        "shared_tickets",
                        "Members see each other's tickets",
                        "checkbox",
                    ),
                ],
            );
            page(
                &admin,
                section,
                "Organizations".into(),
                "Customers' companies.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "statuses" => {
            let statuses = web.app.list_statuses().await?;
            let table = Table {
                headers: vec!["Name", "Category", "Built in", "Active"],
                rows: statuses
                    .iter()
                    .map(|s| {
                        vec![
                            link(&s.name, format!("/admin/statuses/{}", s.id)),
                            cell(&s.category),
                            cell(yes(s.builtin)),
                            cell(yes(s.active)),
                        ]
                    })
                    .collect(),
            };
            let form = create(
                "Add a status",
                vec![
                    Field::new("name", "Name", "text").required(),
                    Field::new("category", "Category", "select")
                        .options(CATEGORIES, &["open".into()]),
                ],
            );
            page(
                &admin,
                section,
                "Statuses".into(),
                "Each status belongs to one fixed category, which decides how tickets in it behave.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "fields" => {
            let fields = web.app.list_custom_fields().await?;
            let table = Table {
                headers: vec!["Label", "Key", "Kind", "Required", "Active"],
                rows: fields
                    .iter()
                    .map(|f| {
                        vec![
                            link(&f.label, format!("/admin/fields/{}", f.id)),
                            cell(&f.key),
                            cell(&f.kind),
                            cell(yes(f.required)),
                            cell(yes(f.active)),
                        ]
                    })
                    .collect(),
            };
            let form = create(
                "Add a custom field",
                vec![
                    Field::new("label", "Label", "text").required(),
                    Field::new("key", "Key", "text")
                        .required()
                        .help("Lowercase letters, digits and _; used in the API and rules."),
                    Field::new("kind", "Kind", "select").options(FIELD_KINDS, &["text".into()]),
                    Field::new("options", "Options (dropdown)", "text").help("Comma-separated."),
                    Field::new("required", "Required", "checkbox"),
                ],
            );
            page(
                &admin,
                section,
                "Custom fields".into(),
                "Extra fields on every ticket, shown in the side panel.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "macros" => {
            let macros = web.app.list_macros(actor).await?;
            let table = Table {
                headers: vec!["Name", "Kind", "Active"],
                rows: macros
                    .iter()
                    .map(|m| {
                        vec![
                            link(&m.name, format!("/admin/macros/{}", m.id)),
                            cell(if m.public {
                                "public reply"
                            } else {
                                "internal note"
                            }),
                            cell(yes(m.active)),
                        ]
                    })
                    .collect(),
            };
            let statuses: Vec<String> = web
                .app
                .list_statuses()
                .await?
                .into_iter()
                .map(|s| s.name)
                .collect();
            let form = create("Add a macro", macro_fields(None, &statuses));
            page(
                &admin,
                section,
                "Macros".into(),
                "Canned responses agents put in the reply box, with the field changes they make.",
                Some(table),
                vec![form],
                notice,
            )
        }
        "rules" => rules::list(&web, &admin, notice).await,
        "tokens" => {
            let tokens = web.app.list_tokens(actor, actor.user_id).await?;
            let table = Table {
                headers: vec!["Name", "Starts with", "Created", "Last used", "Revoked"],
                rows: tokens
                    .iter()
                    .map(|t| {
                        vec![
                            link(&t.name, format!("/admin/tokens/{}", t.id)),
                            cell(format!("{}…", t.prefix)),
                            cell(datetime(t.created_at)),
                            cell(t.last_used_at.map(datetime).unwrap_or_default()),
                            cell(t.revoked_at.map(datetime).unwrap_or_default()),
                        ]
                    })
                    .collect(),
            };
            let form = create(
                "Create a token",
                vec![Field::new("name", "Name", "text").required()],
            );
            page(
                &admin,
                section,
                "API tokens".into(),
                "Personal tokens for scripts: send them as Authorization: Bearer. A token is shown once.",
                Some(table),
                vec![form],
                notice,
            )
        }
        _ => {
            let views: Vec<_> = web
                .app
                .list_views(actor)
                .await?
                .into_iter()
                .filter(|v| v.owner_id.is_none())
                .collect();
            let table = Table {
                headers: vec!["Name", "Query", "Sort"],
                rows: views
                    .iter()
                    .map(|v| {
                        vec![
                            link(&v.name, format!("/admin/views/{}", v.id)),
                            cell(&v.query),
                            cell(&v.sort),
                        ]
                    })
                    .collect(),
            };
            let form = create(
                "Add a shared view",
                vec![
                    Field::new("name", "Name", "text").required(),
                    Field::new("query", "Query", "text")
                        .help("In the search language, e.g. priority:urgent -category:solved"),
                    Field::new("sort", "Sort", "select").options(
                        [
                            ("-updated", "Recently updated"),
                            ("updated", "Least recently updated"),
                            ("-created", "Newest"),
                            ("created", "Oldest"),
                            ("relevance", "Best match"),
                        ],
                        &["-updated".into()],
                    ),
                    Field::new("position", "Position", "number").value("0"),
                ],
            );
            page(
                &admin,
                section,
                "Shared views".into(),
                "Views every agent sees in the left rail, with live counts.",
                Some(table),
                vec![form],
                notice,
            )
        }
    }
}

/// `GET /admin/{section}/{id}`: the form to change one.
pub(crate) async fn edit(
    State(web): State<Web>,
    admin: Admin,
    Path((section, id)): Path<(String, i64)>,
    Query(q): Query<AdminQuery>,
) -> WebResult<Response> {
    let section = section_of(&section)?;
    if section == "rules" {
        return rules::show(&web, &admin, id, &q).await;
    }
    let actor = admin.0.actor();
    let notice = q.done.as_deref();
    let form = |fields: Vec<Field>| FormSpec {
        id: format!("edit-{section}"),
        title: "Change".into(),
        action: format!("/admin/{section}/{id}"),
        submit: "Save",
        fields,
        danger: false,
        get: false,
    };
    let delete = |label: &'static str| FormSpec {
        id: format!("delete-{section}"),
        title: String::new(),
        action: format!("/admin/{section}/{id}/delete"),
        submit: label,
        fields: Vec::new(),
        danger: true,
        get: false,
    };
    let (heading, forms) = match section {
        "users" => {
            let u = web.app.get_user(actor, id).await?;
            let orgs = organization_options(&web, &admin).await?;
            let org = u.organization_id.map(|o| o.to_string()).unwrap_or_default();
            (
                u.name.clone(),
                vec![form(vec![
                    Field::new("name", "Name", "text").value(&u.name).required(),
                    Field::new("email", "Email", "email")
                        .value(&u.email)
                        .required(),
                    Field::new("role", "Role", "select")
                        .options(ROLES, std::slice::from_ref(&u.role)),
                    Field::new("organization", "Organization", "select").options(orgs, &[org]),
                    Field::new("active", "Active (can sign in)", "checkbox").checked(u.active),
                    Field::new("password", "New password", "password")
                        .help("Leave empty to keep the current one."),
                ])],
            )
        }
        "groups" => {
            let (g, members) = web.app.get_group(actor, id).await?;
            let staff = staff_options(&web, &admin).await?;
            let chosen: Vec<String> = members.iter().map(i64::to_string).collect();
            (
                g.name.clone(),
                vec![form(vec![
                    Field::new("name", "Name", "text").value(&g.name).required(),
                    Field::new("description", "Description", "text").value(&g.description),
                    Field::new("members", "Members", "checkboxes").options(staff, &chosen),
                ])],
            )
        }
        "organizations" => {
            let o = web.app.get_organization(actor, id).await?;
            (
                o.name.clone(),
                vec![form(vec![
                    Field::new("name", "Name", "text").value(&o.name).required(),
                    Field::new("domains", "Mail domains", "text")
                        .value(triage_app::rows::json_strings(&o.domains).join(", ")),
                    Field::new(
                        "shared_tickets",
                        "Members see each other's tickets",
                        "checkbox",
                    )
                    .checked(o.shared_tickets),
                ])],
            )
        }
        "statuses" => {
            let s = web
                .app
                .list_statuses()
                .await?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| triage_app::AppError::NotFound(format!("status {id}")))?;
            (
                s.name.clone(),
                vec![form(vec![
                    Field::new("name", "Name", "text").value(&s.name).required(),
                    Field::new("position", "Position", "number").value(s.position.to_string()),
                    Field::new("active", "Active", "checkbox").checked(s.active),
                ])],
            )
        }
        "fields" => {
            let f = web
                .app
                .list_custom_fields()
                .await?
                .into_iter()
                .find(|f| f.id == id)
                .ok_or_else(|| triage_app::AppError::NotFound(format!("custom field {id}")))?;
            (
                f.label.clone(),
                vec![form(vec![
                    Field::new("label", "Label", "text")
                        .value(&f.label)
                        .required(),
                    Field::new("options", "Options (dropdown)", "text")
                        .value(triage_app::rows::json_strings(&f.options).join(", ")),
                    Field::new("required", "Required", "checkbox").checked(f.required),
                    Field::new("active", "Active", "checkbox").checked(f.active),
                    Field::new("position", "Position", "number").value(f.position.to_string()),
                ])],
            )
        }
        "macros" => {
            let m = web.app.get_macro(actor, id).await?;
            let statuses: Vec<String> = web
                .app
                .list_statuses()
                .await?
                .into_iter()
                .map(|s| s.name)
                .collect();
            (
                m.name.clone(),
                vec![
                    form(macro_fields(Some(&m), &statuses)),
                    delete("Delete this macro"),
                ],
            )
        }
        "tokens" => {
            let t = web
                .app
                .list_tokens(actor, actor.user_id)
                .await?
                .into_iter()
                .find(|t| t.id == id)
                .ok_or_else(|| triage_app::AppError::NotFound(format!("token {id}")))?;
            let forms = if t.revoked_at.is_none() {
                vec![delete("Revoke this token")]
            } else {
                Vec::new()
            };
            (format!("Token {}", t.name), forms)
        }
        _ => {
            let v = web.app.get_view(actor, id).await?;
            (
                v.name.clone(),
                vec![
                    form(vec![
                        Field::new("name", "Name", "text").value(&v.name).required(),
                        Field::new("query", "Query", "text").value(&v.query),
                        Field::new("sort", "Sort", "select").options(
                            [
                                ("-updated", "Recently updated"),
                                ("updated", "Least recently updated"),
                                ("-created", "Newest"),
                                ("created", "Oldest"),
                                ("relevance", "Best match"),
                            ],
                            std::slice::from_ref(&v.sort),
                        ),
                        Field::new("position", "Position", "number").value(v.position.to_string()),
                    ]),
                    delete("Delete this view"),
                ],
            )
        }
    };
    page(&admin, section, heading, "", None, forms, notice)
}

fn number(form: &FormData, name: &str) -> WebResult<Option<i32>> {
    match form.get(name) {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| WebError::BadRequest(format!("{name}: {v:?} is not a whole number"))),
    }
}

fn macro_input(form: &FormData) -> MacroInput {
    MacroInput {
        name: Some(form.get("name").to_string()),
        body: Some(form.get("body").to_string()),
        public: Some(form.flag("public")),
        actions: Some(MacroActions {
            status: form.opt("status"),
            priority: form.opt("priority"),
            kind: None,
            add_tags: tags(form.get("add_tags")),
            remove_tags: tags(form.get("remove_tags")),
        }),
        active: Some(form.flag("active")),
    }
}

/// `POST /admin/{section}`: creates one.
pub(crate) async fn create(
    State(web): State<Web>,
    admin: Admin,
    Path(section): Path<String>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let section = section_of(&section)?;
    if section == "rules" {
        return rules::create(&web, &admin, &form).await;
    }
    let actor = admin.0.actor();
    let id = match section {
        "users" => {
            web.app
                .create_user(
                    actor,
                    NewUser {
                        email: form.get("email").to_string(),
                        name: form.get("name").to_string(),
                        role: form.get("role").to_string(),
                        password: form.opt("password"),
                        organization_id: form.id("organization")?,
                    },
                )
                .await?
                .id
        }
        "groups" => {
            web.app
                .create_group(
                    actor,
                    GroupInput {
                        name: Some(form.get("name").to_string()),
                        description: Some(form.get("description").to_string()),
                        member_ids: Some(form.ids("members")?),
                    },
                )
                .await?
                .0
                .id
        }
        "organizations" => {
            web.app
                .create_organization(
                    actor,
                    OrganizationInput {
                        name: Some(form.get("name").to_string()),
                        domains: Some(tags(form.get("domains"))),
                        shared_tickets: Some(form.flag("shared_tickets")),
                    },
                )
                .await?
                .id
        }
        "statuses" => {
            web.app
                .create_status(
                    actor,
                    StatusInput {
                        name: Some(form.get("name").to_string()),
                        category: Some(form.get("category").to_string()),
                        position: None,
                        active: Some(true),
                    },
                )
                .await?
                .id
        }
        "fields" => {
            web.app
                .create_custom_field(
                    actor,
                    CustomFieldInput {
                        key: Some(form.get("key").to_string()),
                        label: Some(form.get("label").to_string()),
                        kind: Some(form.get("kind").to_string()),
                        options: Some(
                            form.get("options")
                                .split(',')
                                .map(str::trim)
                                .filter(|o| !o.is_empty())
                                .map(str::to_string)
                                .collect(),
                        ),
                        required: Some(form.flag("required")),
                        active: Some(true),
                        position: None,
                    },
                )
                .await?
                .id
        }
        "macros" => web.app.create_macro(actor, macro_input(&form)).await?.id,
        "tokens" => {
            let (row, token) = web
                .app
                .create_token(actor, actor.user_id, form.get("name"))
                .await?;
            return render(AdminPage {
                layout: Layout::new(Some(&admin.0), "API tokens", "admin"),
                tabs: tabs("tokens"),
                heading: format!("Token {}", row.name),
                intro: "Copy the token now: it is not shown again.",
                table: None,
                forms: Vec::new(),
                secret: token,
            });
        }
        _ => {
            web.app
                .create_view(
                    actor,
                    ViewInput {
                        name: form.get("name").to_string(),
                        query: form.get("query").to_string(),
                        sort: form.get("sort").to_string(),
                        shared: true,
                        position: number(&form, "position")?.unwrap_or(0),
                    },
                )
                .await?
                .id
        }
    };
    Ok(Redirect::to(&format!("/admin/{section}/{id}?done=created")).into_response())
}

/// `POST /admin/{section}/{id}`: saves changes to one.
pub(crate) async fn update(
    State(web): State<Web>,
    admin: Admin,
    Path((section, id)): Path<(String, i64)>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let section = section_of(&section)?;
    if section == "rules" {
        return rules::save(&web, &admin, id, &form).await;
    }
    let actor = admin.0.actor();
    match section {
        "users" => {
            web.app
                .update_user(
                    actor,
                    id,
                    UserChanges {
                        name: Some(form.get("name").to_string()),
                        email: Some(form.get("email").to_string()),
                        role: Some(form.get("role").to_string()),
                        password: form.opt("password"),
                        organization_id: Some(form.id("organization")?),
                        active: Some(form.flag("active")),
                    },
                )
                .await?;
        }
        "groups" => {
            web.app
                .update_group(
                    actor,
                    id,
                    GroupInput {
                        name: Some(form.get("name").to_string()),
                        description: Some(form.get("description").to_string()),
                        member_ids: Some(form.ids("members")?),
                    },
                )
                .await?;
        }
        "organizations" => {
            web.app
                .update_organization(
                    actor,
                    id,
                    OrganizationInput {
                        name: Some(form.get("name").to_string()),
                        domains: Some(tags(form.get("domains"))),
                        shared_tickets: Some(form.flag("shared_tickets")),
                    },
                )
                .await?;
        }
        "statuses" => {
            web.app
                .update_status(
                    actor,
                    id,
                    StatusInput {
                        name: Some(form.get("name").to_string()),
                        category: None,
                        position: number(&form, "position")?,
                        active: Some(form.flag("active")),
                    },
                )
                .await?;
        }
        "fields" => {
            web.app
                .update_custom_field(
                    actor,
                    id,
                    CustomFieldInput {
                        label: Some(form.get("label").to_string()),
                        options: Some(
                            form.get("options")
                                .split(',')
                                .map(str::trim)
                                .filter(|o| !o.is_empty())
                                .map(str::to_string)
                                .collect(),
                        ),
                        required: Some(form.flag("required")),
                        active: Some(form.flag("active")),
                        position: number(&form, "position")?,
                        ..CustomFieldInput::default()
                    },
                )
                .await?;
        }
        "macros" => {
            web.app.update_macro(actor, id, macro_input(&form)).await?;
        }
        "tokens" => {
            return Err(WebError::BadRequest(
                "a token cannot be changed; revoke it".into(),
            ));
        }
        _ => {
            web.app
                .update_view(
                    actor,
                    id,
                    ViewInput {
                        name: form.get("name").to_string(),
                        query: form.get("query").to_string(),
                        sort: form.get("sort").to_string(),
                        shared: true,
                        position: number(&form, "position")?.unwrap_or(0),
                    },
                )
                .await?;
        }
    }
    Ok(Redirect::to(&format!("/admin/{section}/{id}?done=saved")).into_response())
}

/// `POST /admin/{section}/{id}/delete`: deletes a macro, rule or view, revokes a token.
pub(crate) async fn delete(
    State(web): State<Web>,
    admin: Admin,
    Path((section, id)): Path<(String, i64)>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let section = section_of(&section)?;
    let actor = admin.0.actor();
    let done = match section {
        "macros" => {
            web.app.delete_macro(actor, id).await?;
            "deleted"
        }
        "rules" => {
            web.app.delete_rule(actor, id).await?;
            "deleted"
        }
        "views" => {
            web.app.delete_view(actor, id).await?;
            "deleted"
        }
        "tokens" => {
            web.app.revoke_token(actor, id).await?;
            "revoked"
        }
        _ => {
            return Err(WebError::BadRequest(
                "these are not deleted; make them inactive instead".into(),
            ));
        }
    };
    Ok(Redirect::to(&format!("/admin/{section}?done={done}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_app::domain::StatusCategory;

    #[test]
    fn every_category_is_offered() {
        for (value, _) in CATEGORIES {
            assert!(StatusCategory::parse(value).is_ok(), "{value}");
        }
        assert_eq!(CATEGORIES.len(), StatusCategory::ALL.len());
    }
}
