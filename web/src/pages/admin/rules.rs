//! Automation rules: the list in the admin sections, and a page per rule with the script
//! editor (line numbers; a script that does not compile comes back with its message at
//! its line, the script as sent kept), the dry run, the run log and the versions with a
//! line diff of each against the one before.
//!
//! The dry run's fields belong to the editor's form, and its button sends that form to
//! another address (`formaction`): it tries the script as it stands in the editor, saved
//! or not, with or without JavaScript.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use triage_app::AppError;
use triage_app::automation::{DryRun, DryRunResult, RuleInput};
use triage_app::domain::DomainError;
use triage_app::rows::{RuleRow, RuleRunRow, RuleVersionRow, json_strings};

use super::{AdminQuery, Field, FormSpec, Table, badge, cell, link, page, tabs};
use crate::Web;
use crate::diff;
use crate::error::{WebResult, describe};
use crate::forms::FormData;
use crate::pages::render;
use crate::session::Admin;
use crate::view::{Layout, datetime};

/// The events a rule can run on, with what they mean.
const TRIGGERS: [(&str, &str); 7] = [
    ("ticket.created", "a ticket is created"),
    ("ticket.updated", "a ticket's fields change"),
    ("message.added", "a reply or note is added"),
    ("status.changed", "the status changes"),
    ("rating.received", "a customer rates a ticket"),
    ("sla.warning", "an SLA target is near"),
    ("sla.breached", "an SLA target is missed"),
];

/// What a new rule's editor starts with.
const STARTER: &str = "// `ticket` and `event` say what happened; actions change the ticket.\n\
// See docs/automation.md for every field and action.\n\
if ticket.subject.contains(\"refund\") {\n    add_tag(\"billing\");\n}\n";

/// Unchanged lines shown around each change of a version diff.
const DIFF_CONTEXT: usize = 3;
/// The runs the page shows.
const RUNS_SHOWN: u64 = 50;
/// The dry run's "last N" until the admin picks another.
const DRY_RUN_LAST: &str = "20";

/// The rule as the editor holds it: saved, or as sent (so nothing typed is lost when it
/// is refused).
#[derive(Debug, Clone, Default)]
struct Draft {
    name: String,
    description: String,
    script: String,
    triggers: Vec<String>,
    schedule: String,
    query: String,
    position: String,
    active: bool,
    on_rule_changes: bool,
}

impl Draft {
    fn of(rule: &RuleRow) -> Draft {
        Draft {
            name: rule.name.clone(),
            description: rule.description.clone(),
            script: rule.script.clone(),
            triggers: json_strings(&rule.triggers),
            schedule: rule.schedule.clone().unwrap_or_default(),
            query: rule.query.clone().unwrap_or_default(),
            position: rule.position.to_string(),
            active: rule.active,
            on_rule_changes: rule.on_rule_changes,
        }
    }

    fn new(name: &str) -> Draft {
        Draft {
            name: name.trim().to_string(),
            script: STARTER.to_string(),
            triggers: vec!["ticket.created".to_string()],
            position: "0".to_string(),
            active: true,
            ..Draft::default()
        }
    }

    fn sent(form: &FormData) -> Draft {
        Draft {
            name: form.get("name").to_string(),
            description: form.get("description").to_string(),
            // Browsers send a textarea's lines with CRLF; scripts keep plain newlines.
            script: form.raw("script").replace("\r\n", "\n"),
            triggers: form.all("triggers"),
            schedule: form.get("schedule").to_string(),
            query: form.get("query").to_string(),
            position: form.get("position").to_string(),
            active: form.flag("active"),
            on_rule_changes: form.flag("on_rule_changes"),
        }
    }

    fn input(&self) -> Result<RuleInput, Problem> {
        let position =
            match self.position.as_str() {
                "" => None,
                p => Some(p.parse().map_err(|_| {
                    Problem::plain(format!("Position: {p:?} is not a whole number."))
                })?),
            };
        let optional = |s: &str| Some(Some(s.to_string()).filter(|s| !s.is_empty()));
        Ok(RuleInput {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            script: Some(self.script.clone()),
            triggers: Some(self.triggers.clone()),
            schedule: optional(&self.schedule),
            query: optional(&self.query),
            position,
            active: Some(self.active),
            on_rule_changes: Some(self.on_rule_changes),
        })
    }
}

/// Why the editor's rule was refused: the message and, for a script that does not
/// compile, where.
#[derive(Debug, Clone, Default)]
struct Problem {
    message: String,
    /// From 1; 0 when the problem is not at a place in the script.
    line: usize,
    column: usize,
    /// The script's line at fault, and a caret under the column.
    excerpt: String,
    caret: String,
}

impl Problem {
    fn plain(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            ..Problem::default()
        }
    }

    /// The problem to show in the editor for a refusal a person can fix there, with its
    /// status; `None` for errors that get the error page.
    fn of(e: &AppError, script: &str) -> Option<(StatusCode, Problem)> {
        match e {
            AppError::Script {
                message,
                line,
                column,
            } => {
                let excerpt = line
                    .checked_sub(1)
                    .and_then(|i| script.split('\n').nth(i))
                    .unwrap_or("")
                    .to_string();
                // Tabs stay tabs, so the caret lines up under the column.
                let caret: String = excerpt
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .chain(['^'])
                    .collect();
                Some((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Problem {
                        message: message.clone(),
                        line: *line,
                        column: *column,
                        caret: if excerpt.is_empty() {
                            String::new()
                        } else {
                            caret
                        },
                        excerpt,
                    },
                ))
            }
            AppError::Domain(DomainError::Forbidden(_)) => None,
            AppError::Domain(_)
            | AppError::Conflict(_)
            | AppError::BadRequest(_)
            | AppError::InvalidQuery { .. } => {
                let (status, message) = describe(e);
                Some((status, Problem::plain(message)))
            }
            _ => None,
        }
    }
}

/// One field a run changed or a dry run would change, as text.
#[derive(Debug, Clone)]
struct ChangeText {
    field: String,
    from: String,
    to: String,
}

/// Names for the ids a change carries, so `group_id 3` reads `L2`.
#[derive(Debug, Default)]
struct Names {
    groups: HashMap<i64, String>,
    people: HashMap<i64, String>,
}

impl Names {
    async fn load(web: &Web, admin: &Admin) -> WebResult<Names> {
        let actor = admin.0.actor();
        let mut names = Names::default();
        for g in web.app.list_groups(actor).await? {
            names.groups.insert(g.id, g.name);
        }
        for role in ["admin", "agent"] {
            for u in web.app.list_users(actor, Some(role), 0, 1000).await? {
                names.people.insert(u.id, u.name);
            }
        }
        Ok(names)
    }

    fn value(&self, field: &str, v: &Value) -> String {
        let named = |map: &HashMap<i64, String>, id: i64| {
            map.get(&id)
                .map_or_else(|| format!("#{id}"), |n| format!("{n} (#{id})"))
        };
        match v {
            Value::Null => "—".to_string(),
            Value::String(s) if s.is_empty() => "(empty)".to_string(),
            Value::String(s) => s.clone(),
            Value::Array(items) if items.is_empty() => "(none)".to_string(),
            Value::Array(items) => items
                .iter()
                .map(|i| self.value(field, i))
                .collect::<Vec<_>>()
                .join(", "),
            Value::Number(n) => match (field, n.as_i64()) {
                ("group_id", Some(id)) => named(&self.groups, id),
                ("assignee_id" | "requester_id", Some(id)) => named(&self.people, id),
                ("due_at", Some(ms)) => datetime(ms),
                _ => n.to_string(),
            },
            other => other.to_string(),
        }
    }

    fn change(&self, field: &str, from: &Value, to: &Value) -> ChangeText {
        ChangeText {
            field: field.to_string(),
            from: self.value(field, from),
            to: self.value(field, to),
        }
    }
}

/// A duration in microseconds, as a person reads it.
fn took(us: i64) -> String {
    if us < 1_000 {
        format!("{} µs", us.max(0))
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// Why the server turned a rule off, without the word of the badge shown before it.
fn deactivation(reason: &str) -> &str {
    reason.strip_prefix("deactivated ").unwrap_or(reason)
}

/// What the saved rule is doing.
#[derive(Debug)]
struct RuleState {
    id: i64,
    version: i64,
    active: bool,
    failures: i32,
    disabled_reason: String,
    last_error: String,
    last_run: String,
    next_run: String,
    updated: String,
}

impl RuleState {
    fn of(r: &RuleRow) -> RuleState {
        RuleState {
            id: r.id,
            version: r.version,
            active: r.active,
            failures: r.failures,
            disabled_reason: r
                .disabled_reason
                .as_deref()
                .map(deactivation)
                .unwrap_or_default()
                .to_string(),
            last_error: r.last_error.clone().unwrap_or_default(),
            last_run: r.last_run_at.map(datetime).unwrap_or_default(),
            next_run: r.next_run_at.map(datetime).unwrap_or_default(),
            updated: datetime(r.updated_at),
        }
    }
}

/// One entry of the run log.
#[derive(Debug)]
struct RunRow {
    when: String,
    ticket: Option<i64>,
    fired: bool,
    error: String,
    actions: Vec<String>,
    fields: Vec<ChangeText>,
    duration: String,
}

fn run_row(r: &RuleRunRow, names: &Names) -> RunRow {
    let fields = r
        .changes
        .get("fields")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .map(|c| {
                    names.change(
                        c.get("field").and_then(Value::as_str).unwrap_or("?"),
                        c.get("from").unwrap_or(&Value::Null),
                        c.get("to").unwrap_or(&Value::Null),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    RunRow {
        when: datetime(r.created_at),
        ticket: r.ticket_id,
        fired: r.fired,
        error: r.error.clone().unwrap_or_default(),
        actions: r
            .changes
            .get("actions")
            .map(json_strings)
            .unwrap_or_default(),
        fields,
        duration: took(r.duration_us),
    }
}

/// What the dry run found on one ticket.
#[derive(Debug)]
struct DryRow {
    ticket: i64,
    event: String,
    fired: bool,
    error: String,
    actions: Vec<String>,
    changes: Vec<ChangeText>,
    messages: Vec<String>,
    notifications: Vec<String>,
    log: Vec<String>,
    duration: String,
}

/// The outcome of a dry run.
#[derive(Debug, Default)]
struct DryReport {
    ran: usize,
    fired: usize,
    failed: usize,
    /// Tickets it fired or failed on, or printed something for.
    shown: Vec<DryRow>,
    /// Tickets it ran on quietly, without firing.
    quiet: Vec<i64>,
    /// Why it could not run at all (an unknown ticket …).
    error: String,
}

impl DryReport {
    fn of(results: Vec<DryRunResult>, names: &Names) -> DryReport {
        let mut report = DryReport {
            ran: results.len(),
            fired: results.iter().filter(|r| r.fired).count(),
            failed: results.iter().filter(|r| r.error.is_some()).count(),
            ..DryReport::default()
        };
        for r in results {
            if !r.fired && r.error.is_none() && r.log.is_empty() {
                report.quiet.push(r.ticket_id);
                continue;
            }
            report.shown.push(DryRow {
                ticket: r.ticket_id,
                event: r.event_kind,
                fired: r.fired,
                error: r.error.unwrap_or_default(),
                actions: r.actions.iter().map(|a| a.describe()).collect(),
                changes: r
                    .changes
                    .iter()
                    .map(|c| names.change(&c.field, &c.from, &c.to))
                    .collect(),
                messages: r.messages,
                notifications: r.notifications,
                log: r.log,
                duration: took(r.duration_us),
            });
        }
        report
    }
}

/// One saved version in the list.
#[derive(Debug)]
struct VersionRow {
    version: i64,
    author: String,
    when: String,
    chosen: bool,
}

/// The changes of one version against the one before.
#[derive(Debug)]
struct VersionDiff {
    version: i64,
    /// 0 for the first version (compared with nothing).
    previous: i64,
    settings: Vec<ChangeText>,
    lines: Vec<diff::Line>,
    changed: bool,
}

fn version_diff(
    chosen: &RuleVersionRow,
    before: Option<&RuleVersionRow>,
    names: &Names,
) -> VersionDiff {
    let mut settings = Vec::new();
    if let Some(b) = before {
        if b.name != chosen.name {
            settings.push(ChangeText {
                field: "name".into(),
                from: b.name.clone(),
                to: chosen.name.clone(),
            });
        }
        for key in [
            "description",
            "triggers",
            "schedule",
            "query",
            "position",
            "active",
            "on_rule_changes",
        ] {
            let (from, to) = (
                b.meta.get(key).unwrap_or(&Value::Null),
                chosen.meta.get(key).unwrap_or(&Value::Null),
            );
            if from != to {
                settings.push(names.change(key, from, to));
            }
        }
    }
    let lines = diff::lines(before.map_or("", |b| b.script.as_str()), &chosen.script);
    let changed = lines.iter().any(|l| l.kind != diff::Kind::Same);
    VersionDiff {
        version: chosen.version,
        previous: before.map_or(0, |b| b.version),
        settings,
        lines: diff::with_context(lines, DIFF_CONTEXT),
        changed,
    }
}

#[derive(Template)]
#[template(path = "admin/rule.html")]
struct RulePage {
    layout: Layout,
    tabs: Vec<(&'static str, &'static str, bool)>,
    heading: String,
    /// The saved rule; `None` on the page of a new one.
    rule: Option<RuleState>,
    /// Where the editor's form goes; the dry run goes to `{action}/dry-run`.
    action: String,
    draft: Draft,
    /// (value, meaning, chosen).
    triggers: Vec<(&'static str, &'static str, bool)>,
    /// The gutter: each line's number and whether the problem is on it.
    gutter: Vec<(usize, bool)>,
    rows: usize,
    problem: Option<Problem>,
    dry: Option<DryReport>,
    dry_last: String,
    dry_ticket: String,
    runs: Vec<RunRow>,
    versions: Vec<VersionRow>,
    diff: Option<VersionDiff>,
}

/// What the rule page shows besides the saved rule.
#[derive(Debug, Default)]
struct Extras<'a> {
    problem: Option<Problem>,
    dry: Option<DryReport>,
    dry_last: String,
    dry_ticket: String,
    version: Option<i64>,
    notice: Option<&'a str>,
}

async fn rule_page(
    web: &Web,
    admin: &Admin,
    saved: Option<&RuleRow>,
    draft: Draft,
    extras: Extras<'_>,
    names: &Names,
) -> WebResult<RulePage> {
    let actor = admin.0.actor();
    let (mut runs, mut versions, mut diff) = (Vec::new(), Vec::new(), None);
    if let Some(rule) = saved {
        runs = web
            .app
            .rule_runs(actor, rule.id, None, RUNS_SHOWN)
            .await?
            .iter()
            .map(|r| run_row(r, names))
            .collect();
        let saved_versions = web.app.rule_versions(actor, rule.id).await?;
        // The newest change unless another version was asked for (a lone first version
        // is not worth a diff until asked).
        let chosen = extras
            .version
            .or_else(|| (saved_versions.len() > 1).then(|| saved_versions[0].version));
        if let Some(i) = saved_versions
            .iter()
            .position(|v| Some(v.version) == chosen)
        {
            diff = Some(version_diff(
                &saved_versions[i],
                saved_versions.get(i + 1),
                names,
            ));
        }
        versions = saved_versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                author: match v.author_id {
                    Some(id) => names
                        .people
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("user #{id}")),
                    None => "—".to_string(),
                },
                when: datetime(v.created_at),
                chosen: Some(v.version) == chosen,
            })
            .collect();
    }
    let lines = draft.script.split('\n').count();
    let bad = extras.problem.as_ref().map_or(0, |p| p.line);
    let heading = saved.map_or_else(|| "New rule".to_string(), |r| r.name.clone());
    Ok(RulePage {
        layout: Layout::new(Some(&admin.0), format!("Rule: {heading}"), "admin")
            .with_notice(extras.notice),
        tabs: tabs("rules"),
        rule: saved.map(RuleState::of),
        action: saved.map_or_else(
            || "/admin/rules".to_string(),
            |r| format!("/admin/rules/{}", r.id),
        ),
        triggers: TRIGGERS
            .iter()
            .map(|(value, meaning)| (*value, *meaning, draft.triggers.iter().any(|t| t == value)))
            .collect(),
        gutter: (1..=lines.max(bad)).map(|n| (n, n == bad)).collect(),
        rows: (lines + 2).max(10),
        problem: extras.problem,
        dry: extras.dry,
        dry_last: if extras.dry_last.is_empty() {
            DRY_RUN_LAST.to_string()
        } else {
            extras.dry_last
        },
        dry_ticket: extras.dry_ticket,
        heading,
        draft,
        runs,
        versions,
        diff,
    })
}

/// Renders the rule page with a status.
fn respond(page: RulePage, status: StatusCode) -> WebResult<Response> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /admin/rules`: every rule in the order they run, with what they run on and
/// whether they are in trouble.
pub(super) async fn list(web: &Web, admin: &Admin, notice: Option<&str>) -> WebResult<Response> {
    let rules = web.app.list_rules(admin.0.actor()).await?;
    let table = Table {
        headers: vec![
            "Position", "Name", "Runs on", "Active", "Last run", "Problems",
        ],
        rows: rules
            .iter()
            .map(|r| {
                let mut runs_on = json_strings(&r.triggers);
                runs_on.extend(r.schedule.clone());
                let problem = match (&r.disabled_reason, &r.last_error) {
                    (Some(reason), _) => badge("deactivated", "b-bad", deactivation(reason)),
                    (None, Some(error)) => badge("error", "b-warn", error),
                    (None, None) => cell(""),
                };
                vec![
                    cell(r.position.to_string()),
                    link(&r.name, format!("/admin/rules/{}", r.id)),
                    cell(runs_on.join(", ")),
                    if r.active {
                        badge("on", "b-ok", "")
                    } else {
                        badge("off", "b-off", "")
                    },
                    cell(r.last_run_at.map_or_else(|| "never".to_string(), datetime)),
                    problem,
                ]
            })
            .collect(),
    };
    let form = FormSpec {
        id: "new-rule".into(),
        title: "New rule".into(),
        action: "/admin/rules/new".into(),
        submit: "Write the rule",
        fields: vec![Field::new("name", "Name", "text").required()],
        danger: false,
        get: true,
    };
    page(
        admin,
        "rules",
        "Rules".into(),
        "Scripts that change tickets when something happens to them, or on a schedule, in \
         position order. A rule that keeps failing is turned off until it is fixed.",
        Some(table),
        vec![form],
        notice,
    )
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct NewRuleQuery {
    name: Option<String>,
}

/// `GET /admin/rules/new`: the editor for a new rule.
pub(crate) async fn new_form(
    State(web): State<Web>,
    admin: Admin,
    Query(q): Query<NewRuleQuery>,
) -> WebResult<Response> {
    let draft = Draft::new(q.name.as_deref().unwrap_or(""));
    let page = rule_page(
        &web,
        &admin,
        None,
        draft,
        Extras::default(),
        &Names::default(),
    )
    .await?;
    respond(page, StatusCode::OK)
}

/// `GET /admin/rules/{id}`: the rule's page.
pub(super) async fn show(web: &Web, admin: &Admin, id: i64, q: &AdminQuery) -> WebResult<Response> {
    let rule = web.app.get_rule(admin.0.actor(), id).await?;
    let names = Names::load(web, admin).await?;
    let extras = Extras {
        version: q.version.as_deref().and_then(|v| v.parse().ok()),
        notice: q.done.as_deref(),
        ..Extras::default()
    };
    let page = rule_page(web, admin, Some(&rule), Draft::of(&rule), extras, &names).await?;
    respond(page, StatusCode::OK)
}

/// The editor again, with the rule as sent and why it was refused.
async fn refused(
    web: &Web,
    admin: &Admin,
    saved: Option<&RuleRow>,
    draft: Draft,
    (status, problem): (StatusCode, Problem),
) -> WebResult<Response> {
    let names = match saved {
        Some(_) => Names::load(web, admin).await?,
        None => Names::default(),
    };
    let extras = Extras {
        problem: Some(problem),
        ..Extras::default()
    };
    let page = rule_page(web, admin, saved, draft, extras, &names).await?;
    respond(page, status)
}

/// `POST /admin/rules` (its CSRF token checked): creates the rule, or shows the editor
/// again with the problem.
pub(super) async fn create(web: &Web, admin: &Admin, form: &FormData) -> WebResult<Response> {
    let draft = Draft::sent(form);
    let input = match draft.input() {
        Ok(input) => input,
        Err(p) => {
            return refused(web, admin, None, draft, (StatusCode::BAD_REQUEST, p)).await;
        }
    };
    match web.app.create_rule(admin.0.actor(), input).await {
        Ok(rule) => {
            Ok(Redirect::to(&format!("/admin/rules/{}?done=created", rule.id)).into_response())
        }
        Err(e) => match Problem::of(&e, &draft.script) {
            Some(problem) => refused(web, admin, None, draft, problem).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /admin/rules/{id}` (its CSRF token checked): saves a new version, or shows the
/// editor again with the problem.
pub(super) async fn save(
    web: &Web,
    admin: &Admin,
    id: i64,
    form: &FormData,
) -> WebResult<Response> {
    let rule = web.app.get_rule(admin.0.actor(), id).await?;
    let draft = Draft::sent(form);
    let input = match draft.input() {
        Ok(input) => input,
        Err(p) => {
            return refused(web, admin, Some(&rule), draft, (StatusCode::BAD_REQUEST, p)).await;
        }
    };
    match web.app.update_rule(admin.0.actor(), id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/rules/{id}?done=saved")).into_response()),
        Err(e) => match Problem::of(&e, &draft.script) {
            Some(problem) => refused(web, admin, Some(&rule), draft, problem).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /admin/rules/dry-run`: tries a new rule's editor.
pub(crate) async fn dry_run_new(
    State(web): State<Web>,
    admin: Admin,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    dry_run_page(&web, &admin, None, &form).await
}

/// `POST /admin/rules/{id}/dry-run`: tries the rule as it stands in the editor.
pub(crate) async fn dry_run(
    State(web): State<Web>,
    admin: Admin,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let rule = web.app.get_rule(admin.0.actor(), id).await?;
    dry_run_page(&web, &admin, Some(&rule), &form).await
}

/// Runs the editor's script without writing anything and shows the page with what it
/// would do; the editor keeps what was sent.
async fn dry_run_page(
    web: &Web,
    admin: &Admin,
    saved: Option<&RuleRow>,
    form: &FormData,
) -> WebResult<Response> {
    let draft = Draft::sent(form);
    let names = Names::load(web, admin).await?;
    let mut extras = Extras {
        dry_last: form.get("last").to_string(),
        dry_ticket: form.get("ticket").to_string(),
        ..Extras::default()
    };
    let mut status = StatusCode::OK;
    let last = match form.get("last") {
        "" => Ok(None),
        v => v
            .parse::<u32>()
            .map(Some)
            .map_err(|_| format!("{v:?} is not a number of changes or tickets.")),
    };
    let ticket = form
        .id("ticket")
        .map_err(|_| format!("{:?} is not a ticket number.", form.get("ticket")));
    let report = match (last, ticket) {
        (Err(m), _) | (_, Err(m)) => DryReport {
            error: m,
            ..DryReport::default()
        },
        (Ok(last), Ok(ticket_id)) => {
            let dry = DryRun {
                script: draft.script.clone(),
                triggers: draft.triggers.clone(),
                ticket_id,
                last,
            };
            match web.app.test_rule(admin.0.actor(), dry).await {
                Ok(results) => DryReport::of(results, &names),
                Err(e @ AppError::Script { .. }) => {
                    if let Some((s, problem)) = Problem::of(&e, &draft.script) {
                        status = s;
                        extras.problem = Some(problem);
                    }
                    DryReport {
                        error: "The script does not compile; see the editor.".into(),
                        ..DryReport::default()
                    }
                }
                Err(AppError::NotFound(what)) => DryReport {
                    error: format!("{what} not found."),
                    ..DryReport::default()
                },
                Err(e) => match Problem::of(&e, &draft.script) {
                    Some((_, problem)) => DryReport {
                        error: problem.message,
                        ..DryReport::default()
                    },
                    None => return Err(e.into()),
                },
            }
        }
    };
    extras.dry = Some(report);
    let page = rule_page(web, admin, saved, draft, extras, &names).await?;
    respond(page, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_points_at_its_line_and_column() {
        let script = "add_tag(\"a\");\n\tif ticket.id > { }\n";
        let e = AppError::Script {
            message: "expecting an expression".into(),
            line: 2,
            column: 16,
        };
        let Some((status, p)) = Problem::of(&e, script) else {
            panic!("a script error is shown in the editor");
        };
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p.excerpt, "\tif ticket.id > { }");
        assert_eq!(p.caret, "\t              ^");
        let past_the_end = AppError::Script {
            message: "unexpected end".into(),
            line: 9,
            column: 1,
        };
        let Some((_, p)) = Problem::of(&past_the_end, script) else {
            panic!("a script error is shown in the editor");
        };
        assert_eq!((p.line, p.excerpt.as_str(), p.caret.as_str()), (9, "", ""));
        assert!(Problem::of(&AppError::NotFound("rule 1".into()), script).is_none());
    }

    #[test]
    fn values_read_as_names_and_text() {
        let names = Names {
            groups: HashMap::from([(3, "L2".to_string())]),
            people: HashMap::new(),
        };
        let c = names.change("group_id", &Value::Null, &serde_json::json!(3));
        assert_eq!((c.from.as_str(), c.to.as_str()), ("—", "L2 (#3)"));
        let tags = names.change(
            "tags",
            &serde_json::json!([]),
            &serde_json::json!(["a", "b"]),
        );
        assert_eq!((tags.from.as_str(), tags.to.as_str()), ("(none)", "a, b"));
        assert_eq!(names.value("assignee_id", &serde_json::json!(7)), "#7");
        assert_eq!(took(850), "850 µs");
        assert_eq!(took(1_500), "1.5 ms");
    }

    #[test]
    fn the_sent_script_is_kept_as_typed_with_plain_newlines() {
        let form = FormData::from_pairs(&[
            ("name", " Tagger "),
            ("script", "\n  add_tag(\"x\");\r\n"),
            ("position", "x"),
        ]);
        let draft = Draft::sent(&form);
        assert_eq!(draft.name, "Tagger");
        assert_eq!(draft.script, "\n  add_tag(\"x\");\n");
        assert!(draft.input().is_err(), "a position that is not a number");
    }
}
