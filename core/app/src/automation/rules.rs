//! Managing rules: create, change, delete, versions, run log, import from files.

use serde_json::json;
use triage_automation::{Reference, ReferenceKind, RuleSpec, Schedule, Trigger};
use triage_domain::Actor;
use triage_domain::text;
use triage_store::{RuleRow, RuleRunRow, RuleVersionRow};

use crate::{App, AppError, AppResult};

/// A rule to create, or changes to one; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub script: Option<String>,
    /// Event kinds: `ticket.created`, `ticket.updated`, `message.added` …
    pub triggers: Option<Vec<String>>,
    /// `every 30 minutes`, `cron 0 9 * * 1-5 Europe/Berlin`; `Some(None)` removes it.
    pub schedule: Option<Option<String>>,
    /// The tickets a scheduled rule runs over, in the search query language.
    pub query: Option<Option<String>>,
    pub position: Option<i32>,
    pub active: Option<bool>,
    pub on_rule_changes: Option<bool>,
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub name: String,
    /// `created`, `updated` or `unchanged`.
    pub action: &'static str,
    pub rule_id: i64,
    /// The groups, agents, statuses, fields, macros or plugins the script names that this
    /// help desk lacks; a rule with any is saved turned off, to be turned on once they exist.
    pub missing: Vec<Reference>,
}

/// The metadata and script of a stored rule.
pub(crate) fn spec_of(row: &RuleRow) -> RuleSpec {
    RuleSpec {
        name: row.name.clone(),
        description: row.description.clone(),
        triggers: triage_store::repo::json_strings(&row.triggers)
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect(),
        schedule: row.schedule.as_deref().and_then(|s| s.parse().ok()),
        query: row.query.clone(),
        position: row.position,
        active: row.active,
        on_rule_changes: row.on_rule_changes,
        script: row.script.clone(),
    }
}

fn merge(mut spec: RuleSpec, input: RuleInput) -> AppResult<RuleSpec> {
    if let Some(name) = input.name {
        spec.name = name.trim().to_string();
    }
    if let Some(d) = input.description {
        spec.description = d.trim().to_string();
    }
    if let Some(s) = input.script {
        spec.script = s;
    }
    if let Some(triggers) = input.triggers {
        let mut parsed = Vec::new();
        for t in triggers {
            let t: Trigger = t
                .parse()
                .map_err(|e: String| AppError::invalid("triggers", e))?;
            if !parsed.contains(&t) {
                parsed.push(t);
            }
        }
        spec.triggers = parsed;
    }
    if let Some(schedule) = input.schedule {
        spec.schedule = match schedule.filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(
                s.parse::<Schedule>()
                    .map_err(|e| AppError::invalid("schedule", e))?,
            ),
            None => None,
        };
    }
    if let Some(q) = input.query {
        spec.query = q.filter(|q| !q.trim().is_empty());
        if let Some(q) = &spec.query {
            crate::search::check_query(q)?;
        }
    }
    if let Some(p) = input.position {
        spec.position = p;
    }
    if let Some(a) = input.active {
        spec.active = a;
    }
    if let Some(o) = input.on_rule_changes {
        spec.on_rule_changes = o;
    }
    spec.check().map_err(|e| AppError::invalid("rule", e))?;
    Ok(spec)
}

fn meta(spec: &RuleSpec) -> serde_json::Value {
    json!({
        "description": spec.description,
        "triggers": spec.triggers.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "schedule": spec.schedule.as_ref().map(ToString::to_string),
        "query": spec.query,
        "position": spec.position,
        "active": spec.active,
        "on_rule_changes": spec.on_rule_changes,
    })
}

/// Keeps the saved state of a rule as its version `row.version`.
async fn keep_version<C: triage_store::Conn>(
    repos: &triage_store::Repos<'_, C>,
    row: &RuleRow,
    spec: &RuleSpec,
    author: Option<i64>,
    now: i64,
) -> AppResult<()> {
    repos
        .insert_rule_version(RuleVersionRow {
            id: 0,
            rule_id: row.id,
            version: row.version,
            name: row.name.clone(),
            script: row.script.clone(),
            meta: meta(spec),
            author_id: author,
            created_at: now,
        })
        .await?;
    Ok(())
}

fn fill(row: &mut RuleRow, spec: &RuleSpec, now: i64) -> AppResult<()> {
    let schedule = spec.schedule.as_ref().map(ToString::to_string);
    if schedule != row.schedule || row.next_run_at.is_none() {
        row.next_run_at = match &spec.schedule {
            Some(s) => Some(
                s.next_after(now)
                    .map_err(|e| AppError::invalid("schedule", e))?,
            ),
            None => None,
        };
    }
    row.name = spec.name.clone();
    row.description = spec.description.clone();
    row.script = spec.script.clone();
    row.triggers = json!(spec.triggers.iter().map(|t| t.as_str()).collect::<Vec<_>>());
    row.schedule = schedule;
    row.query = spec.query.clone();
    row.position = spec.position;
    if spec.active && !row.active {
        row.failures = 0;
        row.disabled_reason = None;
    }
    row.active = spec.active;
    row.on_rule_changes = spec.on_rule_changes;
    Ok(())
}

impl App {
    /// Compiles a script, or says where it is wrong.
    pub fn check_script(&self, script: &str) -> AppResult<()> {
        self.automation
            .compile(script)
            .map(|_| ())
            .map_err(|e| AppError::Script {
                message: e.message,
                line: e.line,
                column: e.column,
            })
    }

    /// The names a script spells out that this help desk lacks: groups, active agents,
    /// active statuses, custom fields, active macros and installed plugins.
    pub async fn missing_references(&self, script: &str) -> AppResult<Vec<Reference>> {
        let script = self
            .automation
            .compile(script)
            .map_err(|e| AppError::Script {
                message: e.message,
                line: e.line,
                column: e.column,
            })?;
        let wanted = script.references();
        if wanted.is_empty() {
            return Ok(wanted);
        }
        let read = self.store.read();
        let groups = read.list_groups().await?;
        let statuses = read.list_statuses().await?;
        let fields = read.list_custom_fields().await?;
        let macros = read.list_macros().await?;
        let plugins = read.list_plugins().await?;
        let mut missing = Vec::new();
        for r in wanted {
            let name = r.name.as_str();
            let found = match r.kind {
                ReferenceKind::Group => groups.iter().any(|g| g.name.eq_ignore_ascii_case(name)),
                ReferenceKind::Status => crate::tickets::find_status(&statuses, name).is_ok(),
                ReferenceKind::Field => fields.iter().any(|f| f.active && f.key == name),
                ReferenceKind::Macro => macros
                    .iter()
                    .any(|m| m.active && m.name.eq_ignore_ascii_case(name)),
                ReferenceKind::Plugin => plugins.iter().any(|p| p.enabled && p.plugin_id == name),
                ReferenceKind::Agent => match text::normalize_email(name) {
                    Ok(email) => read.user_by_email(&email).await?.is_some_and(|u| {
                        u.active && triage_domain::Role::parse(&u.role).is_ok_and(|r| r.is_staff())
                    }),
                    Err(_) => false,
                },
            };
            if !found {
                missing.push(r);
            }
        }
        Ok(missing)
    }

    /// Every rule, in position order (admins).
    pub async fn list_rules(&self, actor: &Actor) -> AppResult<Vec<RuleRow>> {
        actor.require_admin()?;
        Ok(self.store.read().list_rules().await?)
    }

    /// One rule (admins).
    pub async fn get_rule(&self, actor: &Actor, id: i64) -> AppResult<RuleRow> {
        actor.require_admin()?;
        self.store
            .read()
            .rule(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("rule {id}")))
    }

    /// Creates a rule; its script must compile (admins).
    pub async fn create_rule(&self, actor: &Actor, input: RuleInput) -> AppResult<RuleRow> {
        actor.require_admin()?;
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(AppError::invalid("name", "a rule needs a name"));
        }
        if input.script.is_none() {
            return Err(AppError::invalid("script", "a rule needs a script"));
        }
        let spec = merge(RuleSpec::new("", ""), input)?;
        self.check_script(&spec.script)?;
        let author = (actor.user_id != 0).then_some(actor.user_id);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let now = crate::now_millis();
                    let mut row = RuleRow {
                        id: 0,
                        name: String::new(),
                        description: String::new(),
                        script: String::new(),
                        triggers: json!([]),
                        schedule: None,
                        query: None,
                        position: 0,
                        active: false,
                        on_rule_changes: false,
                        version: 1,
                        failures: 0,
                        disabled_reason: None,
                        last_error: None,
                        last_run_at: None,
                        next_run_at: None,
                        updated_by: author,
                        created_at: now,
                        updated_at: now,
                    };
                    fill(&mut row, &spec, now)?;
                    let row = repos.insert_rule(row).await?;
                    keep_version(&repos, &row, &spec, author, now).await?;
                    Ok::<_, AppError>(row)
                })
            })
            .await
    }

    /// Changes a rule; a new version is kept (admins). Turning a deactivated rule back on
    /// starts its failure count over.
    pub async fn update_rule(
        &self,
        actor: &Actor,
        id: i64,
        input: RuleInput,
    ) -> AppResult<RuleRow> {
        actor.require_admin()?;
        let current = self.get_rule(actor, id).await?;
        let spec = merge(spec_of(&current), input)?;
        self.check_script(&spec.script)?;
        let author = (actor.user_id != 0).then_some(actor.user_id);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let now = crate::now_millis();
                    let mut row = repos
                        .rule(id)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("rule {id}")))?;
                    let before = (spec_of(&row), row.active);
                    fill(&mut row, &spec, now)?;
                    if (spec_of(&row), row.active) == before {
                        return Ok(row);
                    }
                    row.version += 1;
                    row.updated_at = now;
                    row.updated_by = author;
                    let row = repos.update_rule(row).await?;
                    keep_version(&repos, &row, &spec, author, now).await?;
                    Ok::<_, AppError>(row)
                })
            })
            .await
    }

    /// Deletes a rule with its versions and run log (admins).
    pub async fn delete_rule(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        let deleted = self
            .store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().delete_rule(id).await?) })
            })
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("rule {id}")))
        }
    }

    /// A rule's versions, newest first (admins).
    pub async fn rule_versions(&self, actor: &Actor, id: i64) -> AppResult<Vec<RuleVersionRow>> {
        self.get_rule(actor, id).await?;
        Ok(self.store.read().rule_versions(id).await?)
    }

    /// A rule's run log, newest first (admins).
    pub async fn rule_runs(
        &self,
        actor: &Actor,
        id: i64,
        before: Option<i64>,
        limit: u64,
    ) -> AppResult<Vec<RuleRunRow>> {
        self.get_rule(actor, id).await?;
        Ok(self
            .store
            .read()
            .rule_runs(id, before, limit.clamp(1, 500))
            .await?)
    }

    /// Loads rules from `.rhai` files (name → text): each becomes the rule of its name,
    /// created or changed. Every file is checked before anything is saved.
    pub async fn import_rules(
        &self,
        actor: &Actor,
        files: Vec<(String, String)>,
    ) -> AppResult<Vec<ImportOutcome>> {
        actor.require_admin()?;
        let mut specs = Vec::with_capacity(files.len());
        for (file, text) in &files {
            let stem = file.trim_end_matches(".rhai");
            let spec = RuleSpec::parse_file(stem, text)
                .map_err(|e| AppError::invalid("file", format!("{file}: {e}")))?;
            self.check_script(&spec.script).map_err(|e| match e {
                AppError::Script {
                    message,
                    line,
                    column,
                } => AppError::Script {
                    message: format!("{file}: {message}"),
                    line,
                    column,
                },
                other => other,
            })?;
            let missing = self.missing_references(&spec.script).await?;
            specs.push((spec, missing));
        }
        let mut out = Vec::with_capacity(specs.len());
        for (spec, missing) in specs {
            let input = RuleInput {
                name: Some(spec.name.clone()),
                description: Some(spec.description.clone()),
                script: Some(spec.script.clone()),
                triggers: Some(
                    spec.triggers
                        .iter()
                        .map(|t| t.as_str().to_string())
                        .collect(),
                ),
                schedule: Some(spec.schedule.as_ref().map(ToString::to_string)),
                query: Some(spec.query.clone()),
                position: Some(spec.position),
                active: Some(spec.active && missing.is_empty()),
                on_rule_changes: Some(spec.on_rule_changes),
            };
            let existing = self.store.read().rule_by_name(&spec.name).await?;
            let (row, action) = match existing {
                Some(row) => {
                    let version = row.version;
                    let row = self.update_rule(actor, row.id, input).await?;
                    let action = if row.version == version {
                        "unchanged"
                    } else {
                        "updated"
                    };
                    (row, action)
                }
                None => (self.create_rule(actor, input).await?, "created"),
            };
            out.push(ImportOutcome {
                name: row.name,
                action,
                rule_id: row.id,
                missing,
            });
        }
        Ok(out)
    }
}
