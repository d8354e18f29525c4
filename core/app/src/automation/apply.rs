//! Turning a rule's intents into one command, written in the rule's name.

use serde_json::{Value, json};
use triage_automation::{Intent, Target};
use triage_domain::{Actor, FieldChange, Priority, Role, Via, template, text};
use triage_store::{
    Conn, GroupRow, MacroRow, NotificationRow, Repos, RuleRow, RuleRunRow, StatusRow, TicketRow,
    UserRow,
};

use super::{MAX_FAILURES, SERVICE_EMAIL};
use crate::directory::MacroActions;
use crate::tickets::TicketChanges;
use crate::tickets::changes::{load_open, placeholder_values, write_automated};
use crate::tickets::messages::MessageParts;
use crate::{App, AppError, AppResult, Ctx};

/// What a rule's intents come to on one ticket.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub changes: TicketChanges,
    /// Messages to add: public or not, and the text with placeholders filled in.
    pub messages: Vec<(bool, String)>,
    /// Notifications: who, and the text.
    pub notify: Vec<(Vec<i64>, String)>,
}

async fn user_target<C: Conn>(repos: &Repos<'_, C>, target: &Target) -> AppResult<UserRow> {
    let user = match target {
        Target::Id(id) => repos.user(*id).await?,
        Target::Name(name) => match text::normalize_email(name) {
            Ok(email) => repos.user_by_email(&email).await?,
            Err(_) => None,
        },
    };
    match user {
        Some(u) if u.active && Role::parse(&u.role).is_ok_and(Role::is_staff) => Ok(u),
        _ => Err(AppError::invalid(
            "agent",
            format!("{} is not an active agent", show(target)),
        )),
    }
}

async fn group_target<C: Conn>(repos: &Repos<'_, C>, target: &Target) -> AppResult<GroupRow> {
    let group = match target {
        Target::Id(id) => repos.group(*id).await?,
        Target::Name(name) => repos
            .list_groups()
            .await?
            .into_iter()
            .find(|g| g.name.eq_ignore_ascii_case(name.trim())),
    };
    group.ok_or_else(|| AppError::invalid("group", format!("there is no group {}", show(target))))
}

fn show(target: &Target) -> String {
    match target {
        Target::Id(id) => format!("#{id}"),
        Target::Name(n) => format!("{n:?}"),
    }
}

async fn macro_named<C: Conn>(repos: &Repos<'_, C>, name: &str) -> AppResult<MacroRow> {
    repos
        .list_macros()
        .await?
        .into_iter()
        .find(|m| m.active && m.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| AppError::invalid("macro", format!("there is no active macro {name:?}")))
}

/// Resolves names and turns intents into ticket changes, messages and notifications.
/// Reads only, except that a round-robin turn advances unless `peek` (a dry run).
pub(crate) async fn resolve<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    ticket: &TicketRow,
    intents: &[Intent],
    agent_id: i64,
    peek: bool,
) -> AppResult<Resolved> {
    let mut out = Resolved::default();
    let mut values = None;
    for intent in intents {
        match intent {
            Intent::SetStatus { status } => out.changes.status = Some(status.clone()),
            Intent::SetPriority { priority } => out.changes.priority = Some(priority.clone()),
            Intent::SetType { kind } => out.changes.kind = Some(kind.clone()),
            Intent::Assign { agent } => {
                out.changes.assignee_id = Some(match agent {
                    Some(t) => Some(user_target(repos, t).await?.id),
                    None => None,
                })
            }
            Intent::AssignGroup { group } => {
                out.changes.group_id = Some(match group {
                    Some(t) => Some(group_target(repos, t).await?.id),
                    None => None,
                })
            }
            Intent::AssignRoundRobin { group } | Intent::AssignLeastLoaded { group } => {
                let g = group_target(repos, group).await?;
                let agent = if matches!(intent, Intent::AssignRoundRobin { .. }) {
                    super::assign::round_robin(repos, statuses, g.id, peek).await?
                } else {
                    super::assign::least_loaded(repos, statuses, g.id).await?
                };
                out.changes.group_id = Some(Some(g.id));
                if let Some(agent) = agent {
                    out.changes.assignee_id = Some(Some(agent));
                }
            }
            Intent::AddTag { tag } => {
                out.changes.remove_tags.retain(|t| t != tag);
                out.changes.add_tags.push(tag.clone());
            }
            Intent::RemoveTag { tag } => {
                out.changes.add_tags.retain(|t| t != tag);
                out.changes.remove_tags.push(tag.clone());
            }
            Intent::SetField { key, value } => {
                out.changes.custom_fields.insert(key.clone(), value.clone());
            }
            Intent::AddNote { text } | Intent::Reply { text } => {
                if values.is_none() {
                    values = Some(placeholder_values(repos, ticket, statuses, agent_id).await?);
                }
                let body = template::render(text, values.as_ref().unwrap_or(&Default::default()));
                out.messages
                    .push((matches!(intent, Intent::Reply { .. }), body));
            }
            Intent::ReplyMacro { name } => {
                let canned = macro_named(repos, name).await?;
                if values.is_none() {
                    values = Some(placeholder_values(repos, ticket, statuses, agent_id).await?);
                }
                let body =
                    template::render(&canned.body, values.as_ref().unwrap_or(&Default::default()));
                if !body.trim().is_empty() {
                    out.messages.push((canned.public, body));
                }
                let actions = MacroActions::from_json(&canned.actions);
                if actions.status.is_some() {
                    out.changes.status = actions.status;
                }
                if actions.priority.is_some() {
                    out.changes.priority = actions.priority;
                }
                if actions.kind.is_some() {
                    out.changes.kind = actions.kind;
                }
                out.changes.add_tags.extend(actions.add_tags);
                out.changes.remove_tags.extend(actions.remove_tags);
            }
            Intent::Notify { target, text } => {
                let users = match target {
                    Target::Name(n) if n.eq_ignore_ascii_case("assignee") => {
                        ticket.assignee_id.into_iter().collect()
                    }
                    Target::Name(n) if n.eq_ignore_ascii_case("group") => match ticket.group_id {
                        Some(g) => repos.group_members(g).await?,
                        None => Vec::new(),
                    },
                    Target::Name(n) if !n.contains('@') => {
                        repos
                            .group_members(group_target(repos, target).await?.id)
                            .await?
                    }
                    other => vec![user_target(repos, other).await?.id],
                };
                out.notify.push((users, text.clone()));
            }
            // Plugins were called before the write (`App::expand_plugin_calls`).
            Intent::CallPlugin { .. } => {}
            Intent::Escalate { group } => {
                let current = out
                    .changes
                    .priority
                    .clone()
                    .unwrap_or(ticket.priority.clone());
                let current = Priority::parse(&current)?;
                let next = Priority::ALL
                    .iter()
                    .copied()
                    .find(|p| *p > current)
                    .unwrap_or(current);
                out.changes.priority = Some(next.as_str().to_string());
                out.changes.add_tags.push("escalated".into());
                if let Some(g) = group {
                    out.changes.group_id = Some(Some(group_target(repos, g).await?.id));
                }
            }
        }
    }
    Ok(out)
}

/// How a rule acts on a ticket.
#[derive(Debug, Clone)]
pub(crate) struct Firing<'a> {
    pub rule: &'a RuleRow,
    pub ticket_id: i64,
    pub event_id: Option<i64>,
    /// One key per rule and original change (or scheduled slot and ticket).
    pub dedup: String,
    pub depth: i32,
    pub origin: Option<i64>,
    pub intents: Vec<Intent>,
    pub duration_us: i64,
}

/// A run that failed: where, why and how long it took.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    pub error: String,
    pub duration_us: i64,
}

impl Failure {
    pub(crate) fn new(
        ticket_id: Option<i64>,
        event_id: Option<i64>,
        error: impl Into<String>,
    ) -> Failure {
        Failure {
            ticket_id,
            event_id,
            error: error.into(),
            duration_us: 0,
        }
    }

    /// The same failure, after a run of `duration_us`.
    pub(crate) fn took(mut self, duration_us: i64) -> Failure {
        self.duration_us = duration_us;
        self
    }
}

/// What happened when a rule's intents were applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Applied {
    /// The ticket changed (or the rule only wrote notifications).
    Done(Vec<FieldChange>),
    /// The rule already fired for this change (here or in another process).
    AlreadyFired,
}

/// Why a firing's write job did not commit: the rule already fired for this change (its
/// run-log key was taken, so everything the job wrote is rolled back), or an error.
#[derive(Debug)]
enum JobError {
    AlreadyFired,
    App(AppError),
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        JobError::App(e)
    }
}

impl From<triage_store::StoreError> for JobError {
    fn from(e: triage_store::StoreError) -> Self {
        JobError::App(e.into())
    }
}

fn service_actor(user: &UserRow) -> Actor {
    Actor {
        user_id: user.id,
        role: Role::Admin,
        group_ids: Vec::new(),
        organization_id: None,
        sees_organization_tickets: false,
    }
}

pub(crate) async fn service_user<C: Conn>(repos: &Repos<'_, C>) -> AppResult<Option<UserRow>> {
    Ok(repos.user_by_email(SERVICE_EMAIL).await?)
}

fn field_json(moved: &[FieldChange]) -> Vec<Value> {
    moved
        .iter()
        .map(|c| json!({"field": c.field, "from": c.from, "to": c.to}))
        .collect()
}

impl App {
    /// Creates the service user rules act as, if it does not exist. It cannot sign in
    /// and is not offered as an assignee (inactive).
    pub(crate) async fn ensure_service_user(&self) -> AppResult<()> {
        if service_user(&self.store.read()).await?.is_some() {
            return Ok(());
        }
        let result = self
            .store
            .write(|tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    if service_user(&repos).await?.is_none() {
                        let now = crate::now_millis();
                        repos
                            .insert_user(UserRow {
                                id: 0,
                                email: SERVICE_EMAIL.into(),
                                name: "Automation".into(),
                                role: Role::Agent.as_str().into(),
                                password_hash: None,
                                organization_id: None,
                                active: false,
                                created_at: now,
                                updated_at: now,
                            })
                            .await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await;
        match result {
            Err(AppError::Conflict(_)) => Ok(()),
            other => other,
        }
    }

    /// Applies a rule's intents to a ticket in one command and logs the run with them.
    pub(crate) async fn apply_firing(&self, firing: Firing<'_>) -> AppResult<Applied> {
        let config = self.config_snapshot().await?;
        let rule_id = firing.rule.id;
        let rule_name = firing.rule.name.clone();
        let Firing {
            ticket_id,
            event_id,
            dedup,
            depth,
            origin,
            intents,
            duration_us,
            ..
        } = firing;
        let intents = self.expand_plugin_calls(ticket_id, intents).await?;
        // Statuses plugins have their say on a rule's status change as on an agent's,
        // before the write.
        let status = intents.iter().rev().find_map(|i| match i {
            Intent::SetStatus { status } => Some(status.clone()),
            _ => None,
        });
        if let Some(status) = status {
            let replies = intents
                .iter()
                .any(|i| matches!(i, Intent::Reply { .. } | Intent::ReplyMacro { .. }));
            self.check_transition(ticket_id, &status, replies).await?;
        }
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let now = crate::now_millis();
                    let svc = service_user(&repos).await?.ok_or_else(|| {
                        AppError::Internal("the automation user is missing".into())
                    })?;
                    let ctx = Ctx {
                        actor: service_actor(&svc),
                        via: Via::Rule,
                        via_name: Some(rule_name.clone()),
                        depth,
                        origin,
                        at: None,
                    };
                    let ticket = load_open(&repos, &statuses, ticket_id).await?;
                    let resolved =
                        resolve(&repos, &statuses, &ticket, &intents, svc.id, false).await?;
                    let messages = resolved
                        .messages
                        .into_iter()
                        .map(|(public, text)| MessageParts {
                            public,
                            html: None,
                            text,
                            channel: "rule".into(),
                            metadata: json!({"rule": rule_name}),
                        })
                        .collect();
                    let moved = write_automated(
                        &repos,
                        &ctx,
                        &statuses,
                        ticket,
                        &svc,
                        messages,
                        &resolved.changes,
                        now,
                    )
                    .await?;
                    for (users, text) in resolved.notify {
                        for user_id in users {
                            repos
                                .insert_notification(NotificationRow {
                                    id: 0,
                                    user_id,
                                    ticket_id: Some(ticket_id),
                                    kind: "rule".into(),
                                    text: text.clone(),
                                    source: Some(rule_name.clone()),
                                    event_id: None,
                                    created_at: now,
                                    read_at: None,
                                })
                                .await?;
                        }
                    }
                    let run = repos
                        .insert_rule_run(RuleRunRow {
                            id: 0,
                            rule_id,
                            ticket_id: Some(ticket_id),
                            event_id,
                            dedup: Some(dedup),
                            fired: true,
                            changes: json!({
                                "actions": intents.iter().map(Intent::describe).collect::<Vec<_>>(),
                                "fields": field_json(&moved),
                            }),
                            error: None,
                            duration_us,
                            created_at: now,
                        })
                        .await;
                    if let Err(triage_store::StoreError::Conflict(_)) = run {
                        return Err(JobError::AlreadyFired);
                    }
                    run?;
                    repos.record_rule_success(rule_id, now).await?;
                    Ok(Applied::Done(moved))
                })
            })
            .await;
        match result {
            Ok(applied) => {
                self.events_committed();
                Ok(applied)
            }
            Err(JobError::AlreadyFired) => Ok(Applied::AlreadyFired),
            Err(JobError::App(e)) => Err(e),
        }
    }

    /// Logs a failed run and counts it; a rule failing [`MAX_FAILURES`] times in a row is
    /// deactivated with the reason shown to admins. Returns whether it was deactivated.
    pub(crate) async fn record_failure(&self, rule: &RuleRow, failure: Failure) -> AppResult<bool> {
        self.log_failure(rule, failure, None, true).await
    }

    /// Logs a run that was stopped through no fault of the rule (a chain too deep), once
    /// per `dedup` key; it does not count against the rule.
    pub(crate) async fn record_stop(
        &self,
        rule: &RuleRow,
        failure: Failure,
        dedup: String,
    ) -> AppResult<()> {
        self.log_failure(rule, failure, Some(dedup), false).await?;
        Ok(())
    }

    async fn log_failure(
        &self,
        rule: &RuleRow,
        failure: Failure,
        dedup: Option<String>,
        counts: bool,
    ) -> AppResult<bool> {
        let Failure {
            ticket_id,
            event_id,
            error,
            duration_us,
        } = failure;
        let rule_id = rule.id;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let now = crate::now_millis();
                    repos
                        .insert_rule_run(RuleRunRow {
                            id: 0,
                            rule_id,
                            ticket_id,
                            event_id,
                            dedup,
                            fired: false,
                            changes: json!({}),
                            error: Some(error.clone()),
                            duration_us,
                            created_at: now,
                        })
                        .await?;
                    if !counts {
                        return Ok(false);
                    }
                    let reason = format!(
                        "deactivated after {MAX_FAILURES} failed runs in a row; the last: {error}"
                    );
                    Ok::<_, AppError>(
                        repos
                            .record_rule_failure(rule_id, &error, now, MAX_FAILURES, &reason)
                            .await?,
                    )
                })
            })
            .await;
        match result {
            Err(AppError::Conflict(_)) => Ok(false),
            Ok(true) => {
                tracing::warn!(rule = %rule.name, "rule deactivated after repeated failures");
                Ok(true)
            }
            other => other,
        }
    }
}
