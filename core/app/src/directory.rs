//! People and configuration: users, organizations, groups, statuses, custom fields and
//! macros. Admins change them; staff read them.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use triage_domain::custom_field::{self, CustomFieldDef, FieldKind};
use triage_domain::{Actor, Priority, Role, StatusCategory, TicketType, template, text};
use triage_store::{
    CustomFieldRow, GroupRow, MacroRow, OrganizationRow, StatusRow, UserRow, now_millis,
};

use crate::auth::hash_password;
use crate::{App, AppError, AppResult};

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: Option<String>,
    pub organization_id: Option<i64>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
    pub organization_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

/// An organization to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub shared_tickets: Option<bool>,
}

/// A group to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub member_ids: Option<Vec<i64>>,
}

/// A status to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct StatusInput {
    pub name: Option<String>,
    pub category: Option<String>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

/// A custom field to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct CustomFieldInput {
    pub key: Option<String>,
    pub label: Option<String>,
    pub kind: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub active: Option<bool>,
    pub position: Option<i32>,
}

/// A macro to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct MacroInput {
    pub name: Option<String>,
    pub body: Option<String>,
    pub public: Option<bool>,
    pub actions: Option<MacroActions>,
    pub active: Option<bool>,
}

/// The field changes a macro applies with its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MacroActions {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

impl MacroActions {
    /// The stored form.
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status,
            "priority": self.priority,
            "type": self.kind,
            "add_tags": self.add_tags,
            "remove_tags": self.remove_tags,
        })
    }

    /// Reads the stored form.
    pub fn from_json(value: &Value) -> MacroActions {
        let s = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        let list = |k: &str| {
            value
                .get(k)
                .map(triage_store::repo::json_strings)
                .unwrap_or_default()
        };
        MacroActions {
            status: s("status"),
            priority: s("priority"),
            kind: s("type"),
            add_tags: list("add_tags"),
            remove_tags: list("remove_tags"),
        }
    }
}

/// The definition of a stored custom field row.
pub(crate) fn field_def(row: &CustomFieldRow) -> AppResult<CustomFieldDef> {
    Ok(CustomFieldDef {
        key: row.key.clone(),
        label: row.label.clone(),
        kind: FieldKind::parse(&row.kind)?,
        options: triage_store::repo::json_strings(&row.options),
        required: row.required,
    })
}

fn not_found(what: &str, id: i64) -> AppError {
    AppError::NotFound(format!("{what} {id}"))
}

impl App {
    // ---- users ----

    /// Creates a user. Admins create anyone; agents create customers, without a password
    /// (the customer sets their own from an invitation) and never naming an organization
    /// that shares its tickets, so an agent cannot sign in as a customer they made to read
    /// tickets outside their groups. The CLI passes the system actor. A customer without
    /// an organization joins the one whose domains include their email's domain (a rule
    /// an admin set; such a customer still cannot sign in until invited).
    pub async fn create_user(&self, actor: &Actor, input: NewUser) -> AppResult<UserRow> {
        let role = Role::parse(&input.role)?;
        if role == Role::Customer {
            actor.require_staff()?;
        } else {
            actor.require_admin()?;
        }
        let by_admin = actor.role == Role::Admin;
        if !by_admin && input.password.is_some() {
            return Err(AppError::forbidden(
                "agents create customers without a password; the customer sets their own from an invitation (an admin may set one)",
            ));
        }
        let email = text::normalize_email(&input.email)?;
        let name = text::validate_name("name", &input.name)?;
        let password_hash = match &input.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let organization_id = input.organization_id;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let organization_id = match organization_id {
                        Some(id) => {
                            let org = repos.organization(id).await?.ok_or_else(|| {
                                AppError::invalid(
                                    "organization_id",
                                    format!("there is no organization {id}"),
                                )
                            })?;
                            if org.shared_tickets && !by_admin {
                                return Err(AppError::forbidden(format!(
                                    "only admins may place a person in {:?}, which shares its tickets among its members",
                                    org.name
                                )));
                            }
                            Some(id)
                        }
                        None if role == Role::Customer => {
                            organization_for_email(&repos.list_organizations().await?, &email)
                        }
                        None => None,
                    };
                    let now = now_millis();
                    Ok(repos
                        .insert_user(UserRow {
                            id: 0,
                            email,
                            name,
                            role: role.as_str().to_string(),
                            password_hash,
                            organization_id,
                            active: true,
                            created_at: now,
                            updated_at: now,
                        })
                        .await?)
                })
            })
            .await
    }

    /// Changes a user. Admins change anyone; a user changes their own name and password.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: i64,
        changes: UserChanges,
    ) -> AppResult<UserRow> {
        let own = actor.user_id == id;
        let admin_only = changes.email.is_some()
            || changes.role.is_some()
            || changes.organization_id.is_some()
            || changes.active.is_some();
        if !own || admin_only {
            actor.require_admin()?;
        }
        let password_hash = match &changes.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let email = changes
            .email
            .as_deref()
            .map(text::normalize_email)
            .transpose()?;
        let name = changes
            .name
            .as_deref()
            .map(|n| text::validate_name("name", n))
            .transpose()?;
        let role = changes.role.as_deref().map(Role::parse).transpose()?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut user = repos.user(id).await?.ok_or_else(|| not_found("user", id))?;
                    let was_admin = user.active && user.role == Role::Admin.as_str();
                    let mut end_sessions = false;
                    if let Some(email) = email {
                        user.email = email;
                    }
                    if let Some(name) = name {
                        user.name = name;
                    }
                    if let Some(role) = role {
                        user.role = role.as_str().to_string();
                    }
                    if let Some(org) = changes.organization_id {
                        if let Some(org) = org {
                            repos.organization(org).await?.ok_or_else(|| {
                                AppError::invalid(
                                    "organization_id",
                                    format!("there is no organization {org}"),
                                )
                            })?;
                        }
                        user.organization_id = org;
                    }
                    if let Some(active) = changes.active {
                        end_sessions |= !active;
                        user.active = active;
                    }
                    if let Some(hash) = password_hash {
                        user.password_hash = Some(hash);
                        end_sessions = true;
                    }
                    let still_admin = user.active && user.role == Role::Admin.as_str();
                    if was_admin && !still_admin && !repos.has_other_admin(id).await? {
                        let field = if user.active { "role" } else { "active" };
                        return Err(AppError::invalid(
                            field,
                            format!(
                                "{} is the only active admin; make someone else an admin first",
                                user.email
                            ),
                        ));
                    }
                    user.updated_at = now_millis();
                    if end_sessions {
                        repos.delete_user_sessions(id).await?;
                    }
                    Ok(repos.update_user(user).await?)
                })
            })
            .await;
        self.forget_actors();
        result
    }

    /// A user, for staff or the user themself.
    pub async fn get_user(&self, actor: &Actor, id: i64) -> AppResult<UserRow> {
        if actor.user_id != id {
            actor.require_staff()?;
        }
        self.store
            .read()
            .user(id)
            .await?
            .ok_or_else(|| not_found("user", id))
    }

    /// A user by email, for staff.
    pub async fn user_by_email(&self, actor: &Actor, email: &str) -> AppResult<UserRow> {
        actor.require_staff()?;
        let email = text::normalize_email(email)?;
        self.store
            .read()
            .user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {email}")))
    }

    /// Users in id order after `after_id`, optionally of one role, for staff.
    pub async fn list_users(
        &self,
        actor: &Actor,
        role: Option<&str>,
        after_id: i64,
        limit: u64,
    ) -> AppResult<Vec<UserRow>> {
        actor.require_staff()?;
        let role = role.map(Role::parse).transpose()?;
        Ok(self
            .store
            .read()
            .list_users(role.map(Role::as_str), after_id, limit)
            .await?)
    }

    /// The ids of the groups a user belongs to.
    pub async fn groups_of_user(&self, user_id: i64) -> AppResult<Vec<i64>> {
        Ok(self.store.read().groups_of_user(user_id).await?)
    }

    // ---- organizations ----

    /// Creates an organization (admins).
    pub async fn create_organization(
        &self,
        actor: &Actor,
        input: OrganizationInput,
    ) -> AppResult<OrganizationRow> {
        actor.require_admin()?;
        let name = text::validate_name("name", input.name.as_deref().unwrap_or(""))?;
        let domains = normalize_domains(input.domains.unwrap_or_default())?;
        let row = OrganizationRow {
            id: 0,
            name,
            domains: json!(domains),
            shared_tickets: input.shared_tickets.unwrap_or(false),
            created_at: now_millis(),
        };
        self.store
            .write(move |tx| {
                Box::pin(
                    async move { Ok::<_, AppError>(tx.repos().insert_organization(row).await?) },
                )
            })
            .await
    }

    /// Changes an organization (admins).
    pub async fn update_organization(
        &self,
        actor: &Actor,
        id: i64,
        input: OrganizationInput,
    ) -> AppResult<OrganizationRow> {
        actor.require_admin()?;
        let name = input
            .name
            .as_deref()
            .map(|n| text::validate_name("name", n))
            .transpose()?;
        let domains = input.domains.map(normalize_domains).transpose()?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut row = repos
                        .organization(id)
                        .await?
                        .ok_or_else(|| not_found("organization", id))?;
                    if let Some(name) = name {
                        row.name = name;
                    }
                    if let Some(domains) = domains {
                        row.domains = json!(domains);
                    }
                    if let Some(shared) = input.shared_tickets {
                        row.shared_tickets = shared;
                    }
                    Ok(repos.update_organization(row).await?)
                })
            })
            .await;
        self.forget_actors();
        result
    }

    /// An organization (staff, or its own members).
    pub async fn get_organization(&self, actor: &Actor, id: i64) -> AppResult<OrganizationRow> {
        if actor.organization_id != Some(id) {
            actor.require_staff()?;
        }
        self.store
            .read()
            .organization(id)
            .await?
            .ok_or_else(|| not_found("organization", id))
    }

    /// Every organization (staff).
    pub async fn list_organizations(&self, actor: &Actor) -> AppResult<Vec<OrganizationRow>> {
        actor.require_staff()?;
        Ok(self.store.read().list_organizations().await?)
    }

    // ---- groups ----

    /// Creates a group, optionally with members (admins).
    pub async fn create_group(
        &self,
        actor: &Actor,
        input: GroupInput,
    ) -> AppResult<(GroupRow, Vec<i64>)> {
        actor.require_admin()?;
        let name = text::validate_name("name", input.name.as_deref().unwrap_or(""))?;
        let row = GroupRow {
            id: 0,
            name,
            description: input.description.unwrap_or_default(),
            created_at: now_millis(),
        };
        let members = input.member_ids.unwrap_or_default();
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let members = check_members(&repos, members).await?;
                    let row = repos.insert_group(row).await?;
                    repos.set_group_members(row.id, &members).await?;
                    Ok((row, members))
                })
            })
            .await;
        self.forget_actors();
        self.forget_config();
        result
    }

    /// Changes a group or replaces its members (admins).
    pub async fn update_group(
        &self,
        actor: &Actor,
        id: i64,
        input: GroupInput,
    ) -> AppResult<(GroupRow, Vec<i64>)> {
        actor.require_admin()?;
        let name = input
            .name
            .as_deref()
            .map(|n| text::validate_name("name", n))
            .transpose()?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut row = repos
                        .group(id)
                        .await?
                        .ok_or_else(|| not_found("group", id))?;
                    if let Some(name) = name {
                        row.name = name;
                    }
                    if let Some(description) = input.description {
                        row.description = description;
                    }
                    let row = repos.update_group(row).await?;
                    if let Some(members) = input.member_ids {
                        let members = check_members(&repos, members).await?;
                        repos.set_group_members(id, &members).await?;
                    }
                    let members = repos.group_members(id).await?;
                    Ok((row, members))
                })
            })
            .await;
        self.forget_actors();
        self.forget_config();
        result
    }

    /// A group and its members (staff).
    pub async fn get_group(&self, actor: &Actor, id: i64) -> AppResult<(GroupRow, Vec<i64>)> {
        actor.require_staff()?;
        let repos = self.store.read();
        let row = repos
            .group(id)
            .await?
            .ok_or_else(|| not_found("group", id))?;
        Ok((row, repos.group_members(id).await?))
    }

    /// Every group (staff).
    pub async fn list_groups(&self, actor: &Actor) -> AppResult<Vec<GroupRow>> {
        actor.require_staff()?;
        Ok(self.store.read().list_groups().await?)
    }

    // ---- statuses ----

    /// Every status (anyone signed in: customers see status names on their tickets).
    pub async fn list_statuses(&self) -> AppResult<Vec<StatusRow>> {
        Ok(self.config_snapshot().await?.statuses.clone())
    }

    /// Adds a status in one of the fixed categories (admins).
    pub async fn create_status(&self, actor: &Actor, input: StatusInput) -> AppResult<StatusRow> {
        actor.require_admin()?;
        let name = text::validate_name("name", input.name.as_deref().unwrap_or(""))?;
        let category = StatusCategory::parse(input.category.as_deref().unwrap_or(""))?;
        let row = StatusRow {
            id: 0,
            name,
            category: category.as_str().to_string(),
            builtin: false,
            position: input.position.unwrap_or(1000),
            active: input.active.unwrap_or(true),
            plugin_id: None,
        };
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let taken = repos
                        .list_statuses()
                        .await?
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(&row.name));
                    if taken {
                        return Err(AppError::Conflict(format!(
                            "a status named {:?} already exists",
                            row.name
                        )));
                    }
                    Ok(repos.insert_status(row).await?)
                })
            })
            .await;
        self.forget_config();
        result
    }

    /// Renames, reorders or (de)activates a status; its category never changes (admins).
    pub async fn update_status(
        &self,
        actor: &Actor,
        id: i64,
        input: StatusInput,
    ) -> AppResult<StatusRow> {
        actor.require_admin()?;
        let name = input
            .name
            .as_deref()
            .map(|n| text::validate_name("name", n))
            .transpose()?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let all = repos.list_statuses().await?;
                    let mut row = all
                        .iter()
                        .find(|s| s.id == id)
                        .cloned()
                        .ok_or_else(|| not_found("status", id))?;
                    if let Some(category) = &input.category
                        && StatusCategory::parse(category)?.as_str() != row.category
                    {
                        return Err(AppError::invalid(
                            "category",
                            "a status keeps its category; add a new status instead",
                        ));
                    }
                    if let Some(name) = name {
                        if all
                            .iter()
                            .any(|s| s.id != id && s.name.eq_ignore_ascii_case(&name))
                        {
                            return Err(AppError::Conflict(format!(
                                "a status named {name:?} already exists"
                            )));
                        }
                        row.name = name;
                    }
                    if let Some(position) = input.position {
                        row.position = position;
                    }
                    if let Some(active) = input.active {
                        if !active && row.builtin {
                            return Err(AppError::invalid(
                                "active",
                                "built-in statuses cannot be deactivated",
                            ));
                        }
                        row.active = active;
                    }
                    Ok(repos.update_status(row).await?)
                })
            })
            .await;
        self.forget_config();
        result
    }

    // ---- custom fields ----

    /// Every custom field definition.
    pub async fn list_custom_fields(&self) -> AppResult<Vec<CustomFieldRow>> {
        Ok(self.config_snapshot().await?.fields.clone())
    }

    /// Defines a custom field (admins).
    pub async fn create_custom_field(
        &self,
        actor: &Actor,
        input: CustomFieldInput,
    ) -> AppResult<CustomFieldRow> {
        actor.require_admin()?;
        let kind = FieldKind::parse(input.kind.as_deref().unwrap_or(""))?;
        let def = CustomFieldDef {
            key: input.key.clone().unwrap_or_default(),
            label: input.label.clone().unwrap_or_default(),
            kind,
            options: input.options.clone().unwrap_or_default(),
            required: input.required.unwrap_or(false),
        };
        def.validate()?;
        let row = CustomFieldRow {
            id: 0,
            key: def.key,
            label: def.label.trim().to_string(),
            kind: kind.as_str().to_string(),
            options: json!(def.options),
            required: def.required,
            active: input.active.unwrap_or(true),
            position: input.position.unwrap_or(1000),
            created_at: now_millis(),
        };
        let result = self
            .store
            .write(move |tx| {
                Box::pin(
                    async move { Ok::<_, AppError>(tx.repos().insert_custom_field(row).await?) },
                )
            })
            .await;
        self.forget_config();
        result
    }

    /// Changes a custom field's label, options, required flag, order or activity; its key
    /// and kind never change (admins).
    pub async fn update_custom_field(
        &self,
        actor: &Actor,
        id: i64,
        input: CustomFieldInput,
    ) -> AppResult<CustomFieldRow> {
        actor.require_admin()?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut row = repos
                        .list_custom_fields()
                        .await?
                        .into_iter()
                        .find(|f| f.id == id)
                        .ok_or_else(|| not_found("custom field", id))?;
                    if input.key.as_ref().is_some_and(|k| *k != row.key)
                        || input.kind.as_ref().is_some_and(|k| *k != row.kind)
                    {
                        return Err(AppError::invalid(
                            "key",
                            "a custom field keeps its key and kind",
                        ));
                    }
                    if let Some(label) = input.label {
                        row.label = label;
                    }
                    if let Some(options) = input.options {
                        row.options = json!(options);
                    }
                    if let Some(required) = input.required {
                        row.required = required;
                    }
                    if let Some(active) = input.active {
                        row.active = active;
                    }
                    if let Some(position) = input.position {
                        row.position = position;
                    }
                    field_def(&row)?.validate()?;
                    Ok(repos.update_custom_field(row).await?)
                })
            })
            .await;
        self.forget_config();
        result
    }

    /// The active custom field definitions, as the domain validates them.
    pub(crate) async fn active_field_defs<C: triage_store::Conn>(
        repos: &triage_store::Repos<'_, C>,
    ) -> AppResult<Vec<CustomFieldDef>> {
        repos
            .list_custom_fields()
            .await?
            .iter()
            .filter(|f| f.active)
            .map(field_def)
            .collect()
    }

    // ---- macros ----

    /// Every macro (staff).
    pub async fn list_macros(&self, actor: &Actor) -> AppResult<Vec<MacroRow>> {
        actor.require_staff()?;
        Ok(self.store.read().list_macros().await?)
    }

    /// A macro (staff).
    pub async fn get_macro(&self, actor: &Actor, id: i64) -> AppResult<MacroRow> {
        actor.require_staff()?;
        self.store
            .read()
            .macro_by_id(id)
            .await?
            .ok_or_else(|| not_found("macro", id))
    }

    /// Creates a macro (admins).
    pub async fn create_macro(&self, actor: &Actor, input: MacroInput) -> AppResult<MacroRow> {
        actor.require_admin()?;
        let name = text::validate_name("name", input.name.as_deref().unwrap_or(""))?;
        let body = input.body.unwrap_or_default();
        template::validate(&body)?;
        let actions = input.actions.unwrap_or_default();
        check_macro_actions(&actions)?;
        let now = now_millis();
        let row = MacroRow {
            id: 0,
            name,
            body,
            public: input.public.unwrap_or(true),
            actions: actions.to_json(),
            active: input.active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    check_macro_status(&tx.repos().list_statuses().await?, &actions)?;
                    Ok(tx.repos().insert_macro(row).await?)
                })
            })
            .await
    }

    /// Changes a macro (admins).
    pub async fn update_macro(
        &self,
        actor: &Actor,
        id: i64,
        input: MacroInput,
    ) -> AppResult<MacroRow> {
        actor.require_admin()?;
        let name = input
            .name
            .as_deref()
            .map(|n| text::validate_name("name", n))
            .transpose()?;
        if let Some(body) = &input.body {
            template::validate(body)?;
        }
        if let Some(actions) = &input.actions {
            check_macro_actions(actions)?;
        }
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut row = repos
                        .macro_by_id(id)
                        .await?
                        .ok_or_else(|| not_found("macro", id))?;
                    if let Some(name) = name {
                        row.name = name;
                    }
                    if let Some(body) = input.body {
                        row.body = body;
                    }
                    if let Some(public) = input.public {
                        row.public = public;
                    }
                    if let Some(actions) = input.actions {
                        check_macro_status(&repos.list_statuses().await?, &actions)?;
                        row.actions = actions.to_json();
                    }
                    if let Some(active) = input.active {
                        row.active = active;
                    }
                    row.updated_at = now_millis();
                    Ok(repos.update_macro(row).await?)
                })
            })
            .await
    }

    /// Deletes a macro (admins).
    pub async fn delete_macro(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        let deleted = self
            .store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().delete_macro(id).await?) })
            })
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(not_found("macro", id))
        }
    }
}

fn check_macro_actions(actions: &MacroActions) -> AppResult<()> {
    if let Some(p) = &actions.priority {
        Priority::parse(p)?;
    }
    if let Some(k) = &actions.kind {
        TicketType::parse(k)?;
    }
    text::normalize_tags(&actions.add_tags)?;
    text::normalize_tags(&actions.remove_tags)?;
    Ok(())
}

fn check_macro_status(statuses: &[StatusRow], actions: &MacroActions) -> AppResult<()> {
    if let Some(name) = &actions.status
        && !statuses
            .iter()
            .any(|s| s.active && s.name.eq_ignore_ascii_case(name))
    {
        return Err(AppError::invalid(
            "actions.status",
            format!("there is no status {name:?}"),
        ));
    }
    Ok(())
}

fn normalize_domains(domains: Vec<String>) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for d in domains {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        let probe = format!("x@{d}");
        if text::normalize_email(&probe).is_err() {
            return Err(AppError::invalid(
                "domains",
                format!("{d:?} is not an email domain"),
            ));
        }
        out.push(d);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The organization whose domains include the email's domain.
pub(crate) fn organization_for_email(orgs: &[OrganizationRow], email: &str) -> Option<i64> {
    let domain = text::email_domain(email)?;
    orgs.iter()
        .find(|o| {
            triage_store::repo::json_strings(&o.domains)
                .iter()
                .any(|d| d == domain)
        })
        .map(|o| o.id)
}

async fn check_members<C: triage_store::Conn>(
    repos: &triage_store::Repos<'_, C>,
    mut ids: Vec<i64>,
) -> AppResult<Vec<i64>> {
    ids.sort();
    ids.dedup();
    let users = repos.users_by_ids(&ids).await?;
    for id in &ids {
        match users.iter().find(|u| u.id == *id) {
            Some(u) if u.role != Role::Customer.as_str() => {}
            Some(_) => {
                return Err(AppError::invalid(
                    "member_ids",
                    format!("user {id} is a customer; groups hold agents and admins"),
                ));
            }
            None => {
                return Err(AppError::invalid(
                    "member_ids",
                    format!("there is no user {id}"),
                ));
            }
        }
    }
    Ok(ids)
}

/// Placeholder values for custom field maps read from storage.
pub(crate) fn json_map(value: &Value) -> BTreeMap<String, Value> {
    value
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub(crate) use custom_field::apply_values;
