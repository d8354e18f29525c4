//! The `triage demo` data set: a sample help desk to try the product with, and later to
//! search in.
//!
//! [`generate`] fills an empty database through the application's public commands, the
//! same change path every adapter uses, so each ticket comes with a complete event history.
//! It makes organizations, groups, agents and customers, two custom statuses, two custom
//! fields and three macros, then tickets in six languages spread over the last two years.
//! Every change carries its own past time in [`Ctx::at`], so the event log reads as if the
//! help desk had been running all along.
//!
//! The text comes from the phrasebook. Its lists are loosely parallel (the *n*-th subject
//! usually belongs to the *n*-th opening, and most agent replies follow the same order), so
//! subjects, openings and replies are paired by an in-order alignment on the words they
//! share and on their topics. Customer replies and internal notes that name a topic (a
//! printer, an invoice …) are only used on tickets of that topic.
//!
//! Everything random is drawn up front from one seeded generator; the tickets are then
//! written several at a time, which the store batches into shared transactions.

pub mod phrasebook;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use triage_domain::{Actor, StatusCategory, Via};
use triage_store::UserRow;

use self::phrasebook::{PHRASEBOOKS, Phrasebook};
use crate::directory::{
    CustomFieldInput, GroupInput, MacroActions, MacroInput, NewUser, OrganizationInput, StatusInput,
};
use crate::tickets::{NewMessage, NewTicket, TicketChanges};
use crate::{App, AppError, AppResult, Ctx};

/// The email address of the demo administrator.
pub const ADMIN_EMAIL: &str = "admin@helpdesk.example";

/// The password of the demo administrator and of every demo agent.
pub const DEMO_PASSWORD: &str = "demo-password-123";

/// How many tickets are written at the same time; the store commits them in shared batches.
const CONCURRENCY: usize = 64;

/// How much demo data to make.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many tickets to open, counting the duplicates that get merged.
    pub tickets: usize,
    /// The random seed: the same seed on an empty database gives the same help desk.
    pub seed: u64,
    /// Whether to draw a progress bar on the terminal.
    pub progress: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            tickets: 3000,
            seed: 42,
            progress: false,
        }
    }
}

/// What [`generate`] made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Customer organizations.
    pub organizations: usize,
    /// Agent groups.
    pub groups: usize,
    /// Agents (the administrator not counted).
    pub agents: usize,
    /// Customers.
    pub customers: usize,
    /// Tickets opened, merged duplicates included.
    pub tickets: usize,
    /// Messages written: first messages, replies, notes and merge notes.
    pub messages: usize,
    /// The administrator to sign in as.
    pub admin_email: String,
    /// The password of the administrator and of every agent.
    pub agent_password: String,
}

/// Fills an empty database with a sample help desk; see the [module docs](self).
///
/// Refuses with [`AppError::Conflict`] when the demo administrator already exists, that is
/// when the database already has demo data.
pub async fn generate(app: &App, options: DemoOptions) -> AppResult<DemoSummary> {
    if app.store.read().user_by_email(ADMIN_EMAIL).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "the database already has demo data ({ADMIN_EMAIL} exists); load the demo into an empty database"
        )));
    }
    let languages = Language::all();
    if languages.is_empty() {
        return Err(AppError::Internal(
            "the demo phrasebook has no usable language".into(),
        ));
    }
    let now = triage_store::now_millis();
    let mut rng = StdRng::seed_from_u64(options.seed);
    let cast = Cast::draw(&mut rng, &languages);
    let plans = plan_tickets(&mut rng, &languages, &cast, options.tickets, now);
    let links = plan_links(&mut rng, &plans, now);

    let world = World::create(app, &cast).await?;
    let progress = progress_bar(options.progress, options.tickets)?;
    let mut ticket_ids = vec![0_i64; plans.len()];
    let mut tickets = 0;
    let mut messages = 0;
    {
        let world = &world;
        let languages = &languages;
        let mut runs = stream::iter(plans.iter().enumerate().map(|(index, plan)| async move {
            run_ticket(app, world, languages, plan)
                .await
                .map(|done| (index, done))
        }))
        .buffer_unordered(CONCURRENCY);
        while let Some(result) = runs.next().await {
            let (index, done) = result?;
            if let Some(slot) = ticket_ids.get_mut(index) {
                *slot = done.id;
            }
            tickets += done.tickets;
            messages += done.messages;
            progress.inc(done.tickets as u64);
        }
    }
    let admin = &world.admin;
    let ticket_ids = &ticket_ids;
    stream::iter(links.iter().map(|link| async move {
        let from = *item(ticket_ids, link.from)?;
        let to = *item(ticket_ids, link.to)?;
        app.link_tickets(&demo_ctx(admin, link.at), from, to, "related")
            .await
    }))
    .buffer_unordered(CONCURRENCY)
    .try_collect::<Vec<()>>()
    .await?;
    progress.finish();

    Ok(DemoSummary {
        organizations: ORGANIZATIONS.len(),
        groups: world.group_ids.len(),
        agents: cast.agents.len(),
        customers: cast.customers.len(),
        tickets,
        messages,
        admin_email: ADMIN_EMAIL.to_string(),
        agent_password: DEMO_PASSWORD.to_string(),
    })
}

fn progress_bar(show: bool, len: usize) -> AppResult<ProgressBar> {
    if !show {
        return Ok(ProgressBar::hidden());
    }
    let style = ProgressStyle::with_template(
        "{bar:40.cyan/blue} {pos}/{len} tickets  {per_sec}  ETA {eta}",
    )
    .map_err(|e| AppError::Internal(format!("bad progress bar template: {e}")))?
    .progress_chars("=> ");
    let bar = ProgressBar::new(len as u64);
    bar.set_style(style);
    Ok(bar)
}

/// A change made as `actor` at the past time `at`.
fn demo_ctx(actor: &Actor, at: i64) -> Ctx {
    Ctx {
        actor: actor.clone(),
        via: Via::System,
        via_name: Some("demo".into()),
        depth: 0,
        origin: None,
        at: Some(at),
    }
}

fn item<T>(items: &[T], index: usize) -> AppResult<&T> {
    items
        .get(index)
        .ok_or_else(|| AppError::Internal(format!("demo plan refers to a missing entry {index}")))
}

/// The people and configuration as stored, with the permission views to act as.
#[derive(Debug)]
struct World {
    admin: Actor,
    agents: Vec<Actor>,
    agent_ids: Vec<i64>,
    customers: Vec<Actor>,
    group_ids: Vec<i64>,
    macro_ids: Vec<i64>,
}

impl World {
    /// Creates the statuses, fields, organizations, people, groups and macros.
    async fn create(app: &App, cast: &Cast) -> AppResult<World> {
        let system_actor = App::system_actor();
        let system = &system_actor;
        let statuses = [
            (ESCALATED, StatusCategory::Open, 150),
            (WAITING_ON_VENDOR, StatusCategory::OnHold, 350),
        ];
        for (name, category, position) in statuses {
            let input = StatusInput {
                name: Some(name.to_string()),
                category: Some(category.as_str().to_string()),
                position: Some(position),
                active: Some(true),
            };
            app.create_status(system, input).await?;
        }
        let plan_field = CustomFieldInput {
            key: Some("plan".into()),
            label: Some("Plan".into()),
            kind: Some("dropdown".into()),
            options: Some(PLANS.iter().map(|p| p.to_string()).collect()),
            required: Some(false),
            active: Some(true),
            position: Some(10),
        };
        app.create_custom_field(system, plan_field).await?;
        let order_field = CustomFieldInput {
            key: Some("order_number".into()),
            label: Some("Order number".into()),
            kind: Some("text".into()),
            options: None,
            required: Some(false),
            active: Some(true),
            position: Some(20),
        };
        app.create_custom_field(system, order_field).await?;
        for org in ORGANIZATIONS {
            let input = OrganizationInput {
                name: Some(org.name.to_string()),
                domains: Some(vec![org.domain.to_string()]),
                shared_tickets: Some(org.shared),
            };
            app.create_organization(system, input).await?;
        }

        let admin_row = app
            .create_user(system, staff_user(ADMIN_EMAIL, ADMIN_NAME, "admin"))
            .await?;
        let agent_rows: Vec<UserRow> = stream::iter(
            cast.agents
                .iter()
                .map(|a| app.create_user(system, staff_user(&a.email, &a.name, "agent"))),
        )
        .buffered(8)
        .try_collect()
        .await?;
        let agent_ids: Vec<i64> = agent_rows.iter().map(|row| row.id).collect();

        let mut group_ids = Vec::with_capacity(GROUPS.len());
        for (group, (name, description)) in GROUPS.iter().enumerate() {
            let member_ids = cast
                .agents
                .iter()
                .zip(&agent_ids)
                .filter(|(agent, _)| agent.groups.contains(&group))
                .map(|(_, id)| *id)
                .collect();
            let input = GroupInput {
                name: Some(name.to_string()),
                description: Some(description.to_string()),
                member_ids: Some(member_ids),
            };
            let (row, _) = app.create_group(system, input).await?;
            group_ids.push(row.id);
        }

        let customers: Vec<Actor> = stream::iter(cast.customers.iter().map(|c| async move {
            let user = NewUser {
                email: c.email.clone(),
                name: c.name.clone(),
                role: "customer".into(),
                password: None,
                organization_id: None,
            };
            let row = app.create_user(system, user).await?;
            app.actor_for(&row).await
        }))
        .buffered(16)
        .try_collect()
        .await?;

        let mut macro_ids = Vec::with_capacity(MACROS.len());
        for spec in MACROS {
            let input = MacroInput {
                name: Some(spec.name.to_string()),
                body: Some(spec.body.to_string()),
                public: Some(spec.public),
                actions: Some(MacroActions {
                    status: Some(spec.status.to_string()),
                    priority: None,
                    kind: None,
                    add_tags: spec.add_tags.iter().map(|t| t.to_string()).collect(),
                    remove_tags: Vec::new(),
                }),
                active: Some(true),
            };
            macro_ids.push(app.create_macro(system, input).await?.id);
        }

        // Agents act with their groups, so their views are built once the groups exist.
        let admin = app.actor_for(&admin_row).await?;
        let mut agents = Vec::with_capacity(agent_rows.len());
        for row in &agent_rows {
            agents.push(app.actor_for(row).await?);
        }
        Ok(World {
            admin,
            agents,
            agent_ids,
            customers,
            group_ids,
            macro_ids,
        })
    }
}

fn staff_user(email: &str, name: &str, role: &str) -> NewUser {
    NewUser {
        email: email.to_string(),
        name: name.to_string(),
        role: role.to_string(),
        password: Some(DEMO_PASSWORD.to_string()),
        organization_id: None,
    }
}

/// What writing one planned ticket made.
#[derive(Debug)]
struct Done {
    id: i64,
    tickets: usize,
    messages: usize,
}

/// Writes one planned ticket: the customer opens it, then every step follows as the person
/// who takes it, each at its own past time.
async fn run_ticket(
    app: &App,
    world: &World,
    languages: &[Language],
    plan: &Plan,
) -> AppResult<Done> {
    let issue = languages
        .get(plan.lang)
        .and_then(|l| l.issues.get(plan.issue))
        .ok_or_else(|| AppError::Internal("demo plan refers to a missing issue".into()))?;
    let customer = item(&world.customers, plan.requester)?;
    let assignee = item(&world.agents, plan.assignee)?;
    let helper = item(&world.agents, plan.helper)?;
    let assignee_id = *item(&world.agent_ids, plan.assignee)?;
    let group_id = *item(&world.group_ids, plan.group)?;
    let opening = NewTicket {
        subject: issue.subject.to_string(),
        body_text: Some(issue.opening.to_string()),
        channel: Some(plan.channel.to_string()),
        ..NewTicket::default()
    };
    let (view, _) = app
        .create_ticket(&demo_ctx(customer, plan.created_at), opening.clone(), None)
        .await?;
    let id = view.ticket.id;
    let mut category = view.category();
    let mut done = Done {
        id,
        tickets: 1,
        messages: 1,
    };
    let mut duplicate = None;
    for step in &plan.steps {
        let at = step.at;
        match &step.action {
            Action::Route { assign } => {
                let changes = TicketChanges {
                    group_id: Some(Some(group_id)),
                    assignee_id: assign.then_some(Some(assignee_id)),
                    ..TicketChanges::default()
                };
                category = app
                    .update_ticket(&demo_ctx(&world.admin, at), id, changes, None)
                    .await?
                    .category();
            }
            Action::Triage => {
                let changes = TicketChanges {
                    status: Some(StatusCategory::Open.builtin_name().to_string()),
                    priority: Some(plan.priority.to_string()),
                    kind: Some(plan.kind.to_string()),
                    add_tags: plan.tags.clone(),
                    custom_fields: plan.custom_fields.clone(),
                    ..TicketChanges::default()
                };
                category = app
                    .update_ticket(&demo_ctx(assignee, at), id, changes, None)
                    .await?
                    .category();
            }
            Action::Duplicate => {
                let (copy, _) = app
                    .create_ticket(&demo_ctx(customer, at), opening.clone(), None)
                    .await?;
                duplicate = Some(copy.ticket.id);
                done.tickets += 1;
                done.messages += 1;
            }
            Action::Merge => {
                if let Some(source) = duplicate.take() {
                    category = app
                        .merge_tickets(&demo_ctx(&world.admin, at), source, id)
                        .await?
                        .category();
                    // Both tickets get a note saying so.
                    done.messages += 2;
                }
            }
            Action::Reply { text, status } => {
                let reply = NewMessage {
                    public: true,
                    body_text: Some(text.to_string()),
                    status: status.map(str::to_string),
                    channel: Some("web".into()),
                    ..NewMessage::default()
                };
                let (_, view) = app.add_message(&demo_ctx(assignee, at), id, reply).await?;
                category = view.category();
                done.messages += 1;
            }
            Action::CustomerReply { text } => {
                let reply = NewMessage {
                    public: true,
                    body_text: Some(text.to_string()),
                    channel: Some(plan.channel.to_string()),
                    ..NewMessage::default()
                };
                let (_, view) = app.add_message(&demo_ctx(customer, at), id, reply).await?;
                category = view.category();
                done.messages += 1;
            }
            Action::Note {
                by_helper,
                text,
                status,
            } => {
                let author = if *by_helper { helper } else { assignee };
                let note = NewMessage {
                    public: false,
                    body_text: Some(text.to_string()),
                    status: status.map(str::to_string),
                    channel: Some("web".into()),
                    ..NewMessage::default()
                };
                let (_, view) = app.add_message(&demo_ctx(author, at), id, note).await?;
                category = view.category();
                done.messages += 1;
            }
            Action::Status(status) => {
                let changes = TicketChanges {
                    status: Some(status.to_string()),
                    ..TicketChanges::default()
                };
                category = app
                    .update_ticket(&demo_ctx(assignee, at), id, changes, None)
                    .await?
                    .category();
            }
            Action::Macro(canned) => {
                let macro_id = *item(&world.macro_ids, canned.index())?;
                let (view, _) = app
                    .apply_macro(&demo_ctx(assignee, at), id, macro_id)
                    .await?;
                category = view.category();
                done.messages += 1;
            }
        }
    }
    let expected = plan.outcome.category();
    if category != expected {
        return Err(AppError::Internal(format!(
            "demo ticket #{id} ended {} instead of {}",
            category.as_str(),
            expected.as_str()
        )));
    }
    Ok(done)
}

// ---------------------------------------------------------------------------------------
// The plan. Everything below is pure: it decides what to write, drawing from the seeded
// generator, before anything is written.
// ---------------------------------------------------------------------------------------

const ADMIN_NAME: &str = "Demo Admin";
const STAFF_DOMAIN: &str = "helpdesk.example";
const FREE_MAIL_DOMAIN: &str = "mail.example";
const CUSTOMERS: usize = 400;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How far back the tickets go.
const SPAN: i64 = 730 * DAY;

const ESCALATED: &str = "Escalated";
const WAITING_ON_VENDOR: &str = "Waiting on vendor";
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// The share of tickets (and customers) per phrasebook language.
const LANGUAGE_SHARES: &[(&str, u32)] = &[
    ("en", 45),
    ("sv", 11),
    ("da", 11),
    ("ro", 11),
    ("it", 11),
    ("ru", 11),
];

/// A customer organization.
#[derive(Debug)]
struct OrgSpec {
    name: &'static str,
    domain: &'static str,
    /// The language its people write in.
    lang: &'static str,
    shared: bool,
    vip: bool,
    plan: &'static str,
}

const ORGANIZATIONS: &[OrgSpec] = &[
    OrgSpec {
        name: "Northwind Traders Ltd",
        domain: "northwind.example",
        lang: "en",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Brightside Logistics",
        domain: "brightside-logistics.example",
        lang: "en",
        shared: true,
        vip: true,
        plan: "enterprise",
    },
    OrgSpec {
        name: "Harbour & Finch Solicitors",
        domain: "harbourfinch.example",
        lang: "en",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Fjällvind Bygg AB",
        domain: "fjallvind.example",
        lang: "sv",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Norrsken Media AB",
        domain: "norrsken.example",
        lang: "sv",
        shared: false,
        vip: true,
        plan: "enterprise",
    },
    OrgSpec {
        name: "Havnens Cykler ApS",
        domain: "havnenscykler.example",
        lang: "da",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Lund & Søn Revision",
        domain: "lundogsoen.example",
        lang: "da",
        shared: true,
        vip: false,
        plan: "enterprise",
    },
    OrgSpec {
        name: "Carpați Software SRL",
        domain: "carpati-software.example",
        lang: "ro",
        shared: false,
        vip: false,
        plan: "enterprise",
    },
    OrgSpec {
        name: "Dunărea Transport SA",
        domain: "dunarea-transport.example",
        lang: "ro",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Officine Moretti S.r.l.",
        domain: "officinemoretti.example",
        lang: "it",
        shared: false,
        vip: false,
        plan: "pro",
    },
    OrgSpec {
        name: "Studio Bellini Architetti",
        domain: "studiobellini.example",
        lang: "it",
        shared: false,
        vip: false,
        plan: "enterprise",
    },
    OrgSpec {
        name: "ООО «Балтийская логистика»",
        domain: "baltlog.example",
        lang: "ru",
        shared: false,
        vip: false,
        plan: "enterprise",
    },
    OrgSpec {
        name: "Уральские системы",
        domain: "uralsys.example",
        lang: "ru",
        shared: false,
        vip: false,
        plan: "pro",
    },
];

const FIRST_LINE: usize = 0;
const BILLING: usize = 1;
const TECHNICAL: usize = 2;
const SHIPPING: usize = 3;
const NORDICS: usize = 4;

/// The groups (name, description), indexed by the constants above.
const GROUPS: [(&str, &str); 5] = [
    (
        "First line",
        "Triage, quick answers and everything that fits nowhere else.",
    ),
    ("Billing", "Invoices, payments, plans and refunds."),
    (
        "Technical",
        "Devices, integrations, sync, email and connectivity.",
    ),
    ("Shipping", "Orders, deliveries, returns and replacements."),
    ("Nordics", "Customers who write in Swedish or Danish."),
];

/// One agent per slot: the language they speak and the groups they belong to.
const AGENT_SLOTS: &[(&str, &[usize])] = &[
    ("en", &[FIRST_LINE]),
    ("en", &[FIRST_LINE, SHIPPING]),
    ("en", &[BILLING]),
    ("en", &[BILLING, FIRST_LINE]),
    ("en", &[TECHNICAL]),
    ("en", &[TECHNICAL, SHIPPING]),
    ("sv", &[FIRST_LINE, NORDICS]),
    ("sv", &[TECHNICAL, NORDICS]),
    ("sv", &[SHIPPING, NORDICS]),
    ("da", &[FIRST_LINE, NORDICS]),
    ("da", &[BILLING, NORDICS]),
    ("da", &[TECHNICAL, NORDICS]),
    ("ro", &[FIRST_LINE]),
    ("ro", &[TECHNICAL]),
    ("ro", &[BILLING, SHIPPING]),
    ("it", &[FIRST_LINE, SHIPPING]),
    ("it", &[TECHNICAL]),
    ("it", &[BILLING]),
    ("ru", &[FIRST_LINE, TECHNICAL]),
    ("ru", &[BILLING, SHIPPING]),
];

/// A macro to create.
#[derive(Debug)]
struct MacroSpec {
    name: &'static str,
    body: &'static str,
    public: bool,
    status: &'static str,
    add_tags: &'static [&'static str],
}

const MACROS: [MacroSpec; 3] = [
    MacroSpec {
        name: "Ask for details",
        body: "Hi {{requester.first_name}},\n\nthanks for contacting us about ticket #{{ticket.number}} (\"{{ticket.subject}}\"). To look into it, could you send us a screenshot and tell us roughly when the problem started?\n\nBest regards,\n{{agent.name}}",
        public: true,
        status: "Pending",
        add_tags: &[],
    },
    MacroSpec {
        name: "Solved: closing note",
        body: "Hi {{requester.first_name}},\n\nwe have marked ticket #{{ticket.number}} as solved. If anything comes up again, just reply to this message and the ticket will reopen.\n\nBest regards,\n{{agent.first_name}} ({{ticket.group}})",
        public: true,
        status: "Solved",
        add_tags: &[],
    },
    MacroSpec {
        name: "Escalate to vendor",
        body: "Escalated to the vendor for {{organization.name}}: ticket #{{ticket.number}}, priority {{ticket.priority}}. Waiting for their answer before we get back to {{requester.name}}.",
        public: false,
        status: WAITING_ON_VENDOR,
        add_tags: &["vendor"],
    },
];

/// The macros, by their position in [`MACROS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canned {
    AskForDetails,
    Solved,
    Vendor,
}

impl Canned {
    fn index(self) -> usize {
        match self {
            Canned::AskForDetails => 0,
            Canned::Solved => 1,
            Canned::Vendor => 2,
        }
    }
}

/// A topic: the ticket tag it gives and, per language, the word beginnings that reveal it.
/// A stem with spaces matches consecutive words; a trailing `$` asks for a whole word.
#[derive(Debug)]
struct Topic {
    tag: &'static str,
    stems: &'static [(&'static str, &'static [&'static str])],
}

const T_LOGIN: u32 = 1 << 0;
const T_BILLING: u32 = 1 << 1;
const T_REFUND: u32 = 1 << 2;
const T_SHIPPING: u32 = 1 << 3;
const T_HARDWARE: u32 = 1 << 4;
const T_API: u32 = 1 << 5;
const T_NETWORK: u32 = 1 << 6;
const T_EMAIL: u32 = 1 << 7;
const T_EVENTS: u32 = 1 << 9;
const T_LEDGER: u32 = 1 << 10;
const T_FEATURE: u32 = 1 << 11;

/// The topics, in the order of the `T_` bits.
#[rustfmt::skip]
const TOPICS: &[Topic] = &[
    Topic {
        tag: "login",
        stems: &[
            ("en", &["log in", "login", "logins", "password", "sign in", "sign-in", "signin", "locked", "lockout", "two-factor", "2fa", "unlock", "sso", "credentials", "authenticator"]),
            ("sv", &["logga in", "inlogg", "kommer in$", "lösenord", "låst", "låstes", "utelåst", "verifieringskod", "tvåsteg", "sso"]),
            ("da", &["logge ind", "log ind", "login", "adgangskode", "låst", "totrin", "sms-kode", "sso"]),
            ("ro", &["autentific", "parol", "conecta", "deblocat", "contul meu este blocat", "contul mi s-a blocat", "codul de verificare", "sso"]),
            ("it", &["accedere", "accesso", "login", "password", "bloccato fuori", "account bloccato", "sbloccat", "codice di verifica", "sso"]),
            ("ru", &["войти", "вход", "парол", "заблокир", "разблокир", "код подтвержд", "sso"]),
        ],
    },
    Topic {
        tag: "billing",
        stems: &[
            ("en", &["invoice", "charged", "charge", "vat", "subscription", "billing", "billed", "payment", "refund", "discount", "trial", "upgrade", "plan", "prorated", "seat"]),
            ("sv", &["faktur", "debiter", "dragen", "dragning", "drogs", "återbetal", "prenumeration", "organisationsnummer", "rabatt", "provperiod", "uppgrader", "betal", "pengarna"]),
            ("da", &["faktur", "trukket", "træk", "refusion", "refunder", "abonnement", "cvr", "rabat", "prøveperiod", "opgrader", "betaling", "pengene"]),
            ("ro", &["factur", "încasat", "încasare", "taxat", "plan", "rambursa", "abonament", "cui", "reducere", "perioadei de probă", "perioada de probă", "upgrade", "plată", "plata", "banii"]),
            ("it", &["fattur", "addebit", "rimbors", "abbonament", "partita iva", "iva", "sconto", "prova gratuita", "piano", "pagament"]),
            ("ru", &["счёт", "счет", "оплат", "списал", "списани", "возврат", "вернуть деньги", "деньги", "подписк", "инн", "промокод", "скидк", "тариф", "пробн"]),
        ],
    },
    Topic {
        tag: "refund",
        stems: &[
            ("en", &["refund"]),
            ("sv", &["återbetal", "pengarna tillbaka"]),
            ("da", &["refusion", "refunder", "pengene retur", "penge retur"]),
            ("ro", &["rambursa", "banii"]),
            ("it", &["rimbors"]),
            ("ru", &["возврат", "вернуть деньги", "деньги вернулись", "верните деньги"]),
        ],
    },
    Topic {
        tag: "shipping",
        stems: &[
            ("en", &["order", "shipped", "ship", "package", "deliver", "tracking", "parcel", "return label", "customs", "replacement", "warehouse", "carrier", "missing items"]),
            ("sv", &["order", "skickats", "paket", "leverer", "spårning", "returfrakt", "varor", "varorna", "tull", "frakt", "lager", "beställ"]),
            ("da", &["ordre", "afsendt", "pakke", "leveret", "sporing", "returlabel", "varer", "told", "fragt", "lageret", "bestil"]),
            ("ro", &["comand", "expedi", "colet", "livrat", "urmărir", "retur", "produse lipsă", "curier", "depozit", "vamă"]),
            ("it", &["ordin", "spedit", "spedizion", "pacco", "consegna", "tracciamento", "reso", "articoli mancanti", "corriere", "magazzino", "dogan"]),
            ("ru", &["заказ", "посылк", "доставк", "доставлен", "отслеживан", "этикетк", "товар", "склад", "таможн", "замен"]),
        ],
    },
    Topic {
        tag: "hardware",
        stems: &[
            ("en", &["router", "printer", "pixelprint", "aurora", "nimbus", "tablet", "battery", "screen$", "firmware", "paper jam", "flicker"]),
            ("sv", &["router", "skrivare", "pixelprint", "aurora", "nimbus", "surfplatt", "batteri", "skärm$", "skärmen$", "firmware", "pappersstopp", "flimr"]),
            ("da", &["router", "printer", "pixelprint", "aurora", "nimbus", "tablet", "batteri", "skærm$", "skærmen$", "firmware", "papirstop", "flimr"]),
            ("ro", &["router", "imprimant", "pixelprint", "aurora", "nimbus", "tablet", "bateri", "ecranul", "firmware", "hârti", "pâlpâ"]),
            ("it", &["router", "stampant", "pixelprint", "aurora", "nimbus", "tablet", "batteri", "schermo", "firmware", "inceppament", "sfarfall"]),
            ("ru", &["роутер", "принтер", "pixelprint", "aurora", "nimbus", "планшет", "батаре", "экран", "прошивк", "бумаг", "мерца"]),
        ],
    },
    Topic {
        tag: "api",
        stems: &[
            ("en", &["api", "http", "webhook", "rate limit", "integration", "endpoint"]),
            ("sv", &["api", "http", "webhook", "integration"]),
            ("da", &["api", "http", "webhook", "integration"]),
            ("ro", &["api", "http", "webhook", "integrar"]),
            ("it", &["api", "http", "webhook", "integrazion"]),
            ("ru", &["api", "http", "webhook", "интеграц"]),
        ],
    },
    Topic {
        tag: "network",
        stems: &[
            ("en", &["vpn", "upload", "err_conn_reset", "wi-fi", "wifi", "network"]),
            ("sv", &["vpn", "uppladdning", "ladda upp", "err_conn_reset", "wifi", "nätverk"]),
            ("da", &["vpn", "upload", "err_conn_reset", "wifi", "netværk"]),
            ("ro", &["vpn", "încărca", "err_conn_reset", "wi-fi", "rețea"]),
            ("it", &["vpn", "caricament", "caricare", "err_conn_reset", "wi-fi", "rete"]),
            ("ru", &["vpn", "загрузк", "err_conn_reset", "wi-fi", "сет"]),
        ],
    },
    Topic {
        tag: "email",
        stems: &[
            ("en", &["email", "e-mail", "emails", "mail", "outlook", "calendar", "contacts", "iphone", "time zone"]),
            ("sv", &["mejl", "e-post", "outlook", "kalender", "kontakter", "iphone"]),
            ("da", &["mail", "e-mail", "outlook", "kalender", "kontakter", "iphone"]),
            ("ro", &["e-mail", "outlook", "calendar", "contacte", "iphone"]),
            ("it", &["email", "e-mail", "posta", "outlook", "calendario", "contatti", "iphone"]),
            ("ru", &["почт", "e-mail", "outlook", "календар", "контакт", "iphone", "письм"]),
        ],
    },
    Topic {
        tag: "data",
        stems: &[
            ("en", &["export", "import", "csv", "excel", "gdpr", "personal data", "delete my account", "delete the account", "verification link", "article 15"]),
            ("sv", &["export", "import", "csv", "excel", "gdpr", "personuppgift", "registerutdrag", "radera"]),
            ("da", &["eksport", "import", "csv", "excel", "gdpr", "personoplysning", "indsigt", "slet"]),
            ("ro", &["export", "import", "csv", "excel", "gdpr", "date personale", "șterge"]),
            ("it", &["esport", "import", "csv", "excel", "gdpr", "dati personali", "cancellazion"]),
            ("ru", &["выгруз", "экспорт", "импорт", "csv", "excel", "gdpr", "персональн", "удал"]),
        ],
    },
    Topic {
        tag: "events",
        stems: &[
            ("en", &["workshop", "concert", "conference", "event", "booked", "booking", "qr", "my tickets", "the tickets", "two tickets", "three tickets", "both tickets", "my ticket", "event ticket", "ticket to a colleague"]),
            ("sv", &["biljett", "workshop", "konsert", "konferens", "evenemang", "arrangör", "bokade", "bokning"]),
            ("da", &["billet", "workshop", "koncert", "konference", "arrangement", "arrangør", "bestilte", "booking"]),
            ("ro", &["bilet", "workshop", "concert", "conferinț", "eveniment", "organizator", "rezervat", "rezervare"]),
            ("it", &["bigliett", "workshop", "concert", "conferenza", "evento", "organizzator", "prenotat", "prenotazion"]),
            ("ru", &["билет", "семинар", "концерт", "конференц", "мероприят", "организатор"]),
        ],
    },
    Topic {
        tag: "ledger-cloud",
        stems: &[
            ("en", &["ledger", "sync stuck", "syncing", "reports", "workspace", "seats"]),
            ("sv", &["ledger", "synk"]),
            ("da", &["ledger", "synkroniser"]),
            ("ro", &["ledger", "sincroniz"]),
            ("it", &["ledger", "sincronizz"]),
            ("ru", &["ledger", "синхрониз"]),
        ],
    },
    Topic {
        tag: "feature-request",
        stems: &[
            ("en", &["feature", "suggestion", "dark mode", "roadmap", "next release", "new release"]),
            ("sv", &["önskemål", "förslag", "mörkt läge", "roadmap", "nästa version"]),
            ("da", &["ønske$", "ønsket$", "forslag", "mørk tilstand", "roadmap", "næste version"]),
            ("ro", &["sugesti", "mod întunecat", "modul întunecat", "roadmap", "următoarea versiune"]),
            ("it", &["suggeriment", "modalità scura", "roadmap", "prossima versione"]),
            ("ru", &["пожелани", "предложени", "тёмн", "следующей версии"]),
        ],
    },
];

/// Words that make a subject urgent.
const URGENT: &[(&str, &[&str])] = &[
    ("en", &["urgent"]),
    ("sv", &["brådskande"]),
    ("da", &["haster"]),
    ("ro", &["urgent"]),
    ("it", &["urgente"]),
    ("ru", &["срочно"]),
];

/// Agent replies that fit any ticket, for when the phrasebook has no reply to an issue
/// and for the steps of a longer conversation.
#[derive(Debug)]
struct Generic {
    code: &'static str,
    /// We got it and are on it.
    ack: [&'static str; 2],
    /// We need more from you (the ticket then waits for the customer).
    ask: [&'static str; 2],
    /// Still working on it.
    update: [&'static str; 2],
    /// Fixed.
    fix: [&'static str; 2],
}

static GENERIC: [Generic; 6] = [
    Generic {
        code: "en",
        ack: [
            "Thanks for getting in touch. I'm looking into this now and will get back to you as soon as I know more. Kind regards",
            "Thank you for the details. I've passed this on to the right team and will keep you updated here. Best regards",
        ],
        ask: [
            "Thanks for your message. Could you send us a screenshot of what you see and tell us roughly when it started? That will help us find the cause. Best regards",
            "To look into this further I need a little more information: which device and browser are you using, and does it happen every time? Kind regards",
        ],
        update: [
            "A quick update: our specialists are still working on this. Thank you for your patience, I'll get back to you as soon as there is news. Best regards",
            "We're still investigating and have escalated this internally. I'll keep you posted here. Kind regards",
        ],
        fix: [
            "Thanks for your patience. This has now been fixed on our side. If anything still doesn't work as expected, just reply to this message and we'll take another look. Best regards",
            "Good news: the issue has been resolved. I'll mark this ticket as solved, but feel free to reply if you need anything else. Kind regards",
        ],
    },
    Generic {
        code: "sv",
        ack: [
            "Tack för att du hörde av dig! Jag tittar på det här nu och återkommer så snart jag vet mer. Vänliga hälsningar",
            "Tack för informationen. Jag har skickat ärendet vidare till rätt team och uppdaterar dig här. Med vänlig hälsning",
        ],
        ask: [
            "Tack för ditt meddelande. Kan du skicka en skärmdump av det du ser och berätta ungefär när det började? Då blir det lättare för oss att hitta orsaken. Vänliga hälsningar",
            "För att kunna felsöka vidare behöver jag lite mer information: vilken enhet och webbläsare använder du, och händer det varje gång? Med vänlig hälsning",
        ],
        update: [
            "En kort uppdatering: våra specialister arbetar fortfarande med det här. Tack för ditt tålamod, jag hör av mig så snart det finns nyheter. Vänliga hälsningar",
            "Vi undersöker fortfarande saken och har eskalerat den internt. Jag håller dig uppdaterad här. Med vänlig hälsning",
        ],
        fix: [
            "Tack för ditt tålamod. Felet är nu åtgärdat hos oss. Om något fortfarande inte fungerar som det ska är det bara att svara på det här meddelandet. Vänliga hälsningar",
            "Goda nyheter: problemet är löst. Jag markerar ärendet som löst, men hör gärna av dig om du behöver något mer. Med vänlig hälsning",
        ],
    },
    Generic {
        code: "da",
        ack: [
            "Tak fordi du kontaktede os. Jeg kigger på det nu og vender tilbage, så snart jeg ved mere. Venlig hilsen",
            "Tak for oplysningerne. Jeg har sendt sagen videre til det rette team og opdaterer dig her. Med venlig hilsen",
        ],
        ask: [
            "Tak for din besked. Kan du sende et skærmbillede af det, du ser, og fortælle cirka hvornår det begyndte? Så er det lettere for os at finde årsagen. Venlig hilsen",
            "For at komme videre har jeg brug for lidt flere oplysninger: hvilken enhed og browser bruger du, og sker det hver gang? Med venlig hilsen",
        ],
        update: [
            "En kort opdatering: vores specialister arbejder stadig på sagen. Tak for din tålmodighed, jeg vender tilbage, så snart der er nyt. Venlig hilsen",
            "Vi undersøger stadig sagen og har eskaleret den internt. Jeg holder dig opdateret her. Med venlig hilsen",
        ],
        fix: [
            "Tak for din tålmodighed. Fejlen er nu rettet hos os. Hvis noget stadig ikke virker som forventet, skal du bare svare på denne besked. Venlig hilsen",
            "Gode nyheder: problemet er løst. Jeg markerer sagen som løst, men skriv endelig, hvis du har brug for mere hjælp. Med venlig hilsen",
        ],
    },
    Generic {
        code: "ro",
        ack: [
            "Vă mulțumim că ne-ați contactat. Analizez acum situația și revin cu un răspuns imediat ce aflu mai multe. Cu stimă",
            "Vă mulțumim pentru detalii. Am transmis solicitarea echipei potrivite și vă țin la curent aici. Toate cele bune",
        ],
        ask: [
            "Vă mulțumim pentru mesaj. Ne puteți trimite o captură de ecran și ne spuneți aproximativ când a început problema? Ne va ajuta să găsim cauza. Cu stimă",
            "Ca să putem investiga mai departe, avem nevoie de câteva detalii: ce dispozitiv și ce browser folosiți și se întâmplă de fiecare dată? Toate cele bune",
        ],
        update: [
            "O scurtă actualizare: colegii noștri specializați lucrează în continuare la această problemă. Vă mulțumim pentru răbdare, revin imediat ce avem noutăți. Cu stimă",
            "Încă investigăm situația și am escaladat-o intern. Vă țin la curent aici. Toate cele bune",
        ],
        fix: [
            "Vă mulțumim pentru răbdare. Problema a fost remediată de partea noastră. Dacă ceva tot nu funcționează cum trebuie, răspundeți pur și simplu la acest mesaj. Cu stimă",
            "Vești bune: problema a fost rezolvată. Marchez tichetul ca rezolvat, dar ne puteți scrie oricând dacă mai aveți nevoie de ajutor. Toate cele bune",
        ],
    },
    Generic {
        code: "it",
        ack: [
            "Grazie per averci contattato. Sto verificando la situazione e le farò sapere appena avrò novità. Cordiali saluti",
            "Grazie per i dettagli. Ho inoltrato la richiesta al team competente e la aggiornerò qui. Un saluto",
        ],
        ask: [
            "Grazie per il messaggio. Può inviarci uno screenshot di ciò che vede e dirci più o meno quando è iniziato il problema? Ci aiuterà a trovarne la causa. Cordiali saluti",
            "Per approfondire ho bisogno di qualche informazione in più: quale dispositivo e quale browser usa, e succede ogni volta? Un saluto",
        ],
        update: [
            "Un breve aggiornamento: i nostri specialisti ci stanno ancora lavorando. Grazie per la pazienza, le scriverò appena ci saranno novità. Cordiali saluti",
            "Stiamo ancora analizzando il problema e l'abbiamo segnalato internamente con priorità. La terrò aggiornata qui. Un saluto",
        ],
        fix: [
            "Grazie per la pazienza. Il problema è stato risolto da parte nostra. Se qualcosa non dovesse ancora funzionare, risponda pure a questo messaggio. Cordiali saluti",
            "Buone notizie: il problema è stato risolto. Segno la richiesta come risolta, ma ci scriva pure se ha bisogno di altro. Un saluto",
        ],
    },
    Generic {
        code: "ru",
        ack: [
            "Спасибо за обращение! Я уже разбираюсь с вопросом и вернусь к вам, как только что-то выясню. С уважением",
            "Спасибо за подробности. Я передал заявку профильной команде и буду держать вас в курсе здесь. С уважением",
        ],
        ask: [
            "Спасибо за сообщение. Пришлите, пожалуйста, скриншот того, что вы видите, и напишите, примерно когда это началось. Так нам будет проще найти причину. С уважением",
            "Чтобы разобраться дальше, нужно немного больше информации: каким устройством и браузером вы пользуетесь и повторяется ли это каждый раз? С уважением",
        ],
        update: [
            "Коротко о статусе: наши специалисты всё ещё работают над проблемой. Спасибо за терпение, напишу, как только появятся новости. С уважением",
            "Мы продолжаем разбираться и передали вопрос на следующий уровень поддержки. Буду держать вас в курсе. С уважением",
        ],
        fix: [
            "Спасибо за терпение! Проблема на нашей стороне устранена. Если что-то всё ещё работает не так, просто ответьте на это письмо. С уважением",
            "Хорошие новости: проблема решена. Я отмечу заявку как решённую, но если понадобится помощь, просто напишите нам. С уважением",
        ],
    },
];

// ---- reading the phrasebook ----

/// Lower-cased words: runs of letters, digits and `_`.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `text` contains one of the word beginnings in `stems`.
fn mentions(text: &str, stems: &[&str]) -> bool {
    let haystack = format!(" {} ", words(text).join(" "));
    stems.iter().any(|stem| {
        let mut needle = format!(" {}", words(stem).join(" "));
        if stem.ends_with('$') {
            needle.push(' ');
        }
        haystack.contains(&needle)
    })
}

/// The topics (`T_` bits) a text in language `code` is about.
fn topics_of(code: &str, text: &str) -> u32 {
    let mut mask = 0;
    for (bit, topic) in TOPICS.iter().enumerate() {
        let stems = topic.stems.iter().find(|(c, _)| *c == code);
        if stems.is_some_and(|(_, stems)| mentions(text, stems)) {
            mask |= 1 << bit;
        }
    }
    mask
}

/// Whether a reply or note about `topics` fits a ticket about `ticket`: it names no topic,
/// or one the ticket has.
fn fits(topics: u32, ticket: u32) -> bool {
    topics == 0 || topics & ticket != 0
}

/// The tokens texts are compared by: numbers whole, words of four letters or more cut to
/// their first five (a cheap stem that works for all six languages).
fn tokens(text: &str) -> BTreeSet<String> {
    words(text)
        .into_iter()
        .filter_map(|w| {
            let len = w.chars().count();
            if w.chars().any(char::is_numeric) {
                (len >= 2).then_some(w)
            } else if len >= 4 {
                Some(w.chars().take(5).collect())
            } else {
                None
            }
        })
        .collect()
}

/// Pairs the items of two ordered lists, keeping the order on both sides, so that the sum
/// of the pair scores is as large as possible. `score` returns `None` for pairs that may
/// not be made; pairs scoring below `min` are not made either. Returns, for each item of
/// the first list, the item of the second it is paired with.
fn align(
    n: usize,
    m: usize,
    min: f64,
    score: impl Fn(usize, usize) -> Option<f64>,
) -> Vec<Option<usize>> {
    let scores: Vec<Vec<Option<f64>>> = (0..n)
        .map(|i| (0..m).map(|j| score(i, j).filter(|s| *s >= min)).collect())
        .collect();
    let mut best = vec![vec![0.0_f64; m + 1]; n + 1];
    for i in 1..=n {
        for j in 1..=m {
            let mut value = best[i - 1][j].max(best[i][j - 1]);
            if let Some(s) = scores[i - 1][j - 1] {
                value = value.max(best[i - 1][j - 1] + s);
            }
            best[i][j] = value;
        }
    }
    let mut pairs = vec![None; n];
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let diagonal = scores[i - 1][j - 1]
            .is_some_and(|s| (best[i][j] - (best[i - 1][j - 1] + s)).abs() < 1e-9);
        if diagonal {
            pairs[i - 1] = Some(j - 1);
            i -= 1;
            j -= 1;
        } else if (best[i][j] - best[i - 1][j]).abs() < 1e-9 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    pairs
}

/// One kind of request: a subject, the customer's first message and, when the phrasebook
/// has one, the agent's answer to it.
#[derive(Debug)]
struct Issue {
    subject: &'static str,
    opening: &'static str,
    solution: Option<&'static str>,
    topics: u32,
    urgent: bool,
    /// An order number the text mentions, for the order number field.
    order_number: Option<String>,
}

/// A customer reply or internal note with what it is about.
#[derive(Debug, Clone, Copy)]
struct Tagged {
    text: &'static str,
    topics: u32,
    /// A note that calls the customer a VIP.
    vip: bool,
}

/// A phrasebook, read.
#[derive(Debug)]
struct Language {
    book: &'static Phrasebook,
    share: u32,
    issues: Vec<Issue>,
    customer_replies: Vec<Tagged>,
    notes: Vec<Tagged>,
    generic: &'static Generic,
}

impl Language {
    /// Every phrasebook language with a share of the tickets and at least one issue.
    fn all() -> Vec<Language> {
        PHRASEBOOKS
            .iter()
            .filter_map(|book| {
                let share = LANGUAGE_SHARES
                    .iter()
                    .find(|(code, _)| *code == book.code)
                    .map(|(_, share)| *share)
                    .filter(|share| *share > 0)?;
                let language = Language::read(book, share);
                (!language.issues.is_empty()).then_some(language)
            })
            .collect()
    }

    /// Pairs subjects with openings and openings with agent replies, and finds what the
    /// customer replies and notes are about.
    fn read(book: &'static Phrasebook, share: u32) -> Language {
        let code = book.code;
        let mut document_frequency: HashMap<String, usize> = HashMap::new();
        let mut documents = 0_usize;
        for text in book
            .subjects
            .iter()
            .chain(book.openings)
            .chain(book.agent_replies)
            .chain(book.customer_replies)
            .chain(book.internal_notes)
        {
            documents += 1;
            for token in tokens(text) {
                *document_frequency.entry(token).or_insert(0) += 1;
            }
        }
        let weight = |token: &String| {
            let df = document_frequency.get(token).copied().unwrap_or(1).max(1);
            (documents as f64 / df as f64).ln()
        };
        let similarity = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> f64 {
            a.iter().filter(|t| b.contains(*t)).map(weight).sum()
        };
        let subject_tokens: Vec<_> = book.subjects.iter().map(|s| tokens(s)).collect();
        let opening_tokens: Vec<_> = book.openings.iter().map(|s| tokens(s)).collect();
        let reply_tokens: Vec<_> = book.agent_replies.iter().map(|s| tokens(s)).collect();
        let subject_topics: Vec<u32> = book.subjects.iter().map(|s| topics_of(code, s)).collect();
        let opening_topics: Vec<u32> = book.openings.iter().map(|s| topics_of(code, s)).collect();
        let reply_topics: Vec<u32> = book
            .agent_replies
            .iter()
            .map(|s| topics_of(code, s))
            .collect();

        let openings = align(book.subjects.len(), book.openings.len(), 4.0, |i, j| {
            let (st, ot) = (subject_topics[i], opening_topics[j]);
            if st != 0 && ot != 0 && st & ot == 0 {
                return None;
            }
            let same_place = if i == j { 2.0 } else { 0.0 };
            Some(
                similarity(&subject_tokens[i], &opening_tokens[j])
                    + 2.5 * f64::from((st & ot).count_ones())
                    + same_place,
            )
        });
        let pairs: Vec<(usize, usize)> = openings
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.map(|j| (i, j)))
            .collect();
        let pair_topics: Vec<u32> = pairs
            .iter()
            .map(|&(i, j)| {
                if subject_topics[i] != 0 {
                    subject_topics[i]
                } else {
                    opening_topics[j]
                }
            })
            .collect();
        let pair_tokens: Vec<BTreeSet<String>> = pairs
            .iter()
            .map(|&(i, j)| {
                subject_tokens[i]
                    .union(&opening_tokens[j])
                    .cloned()
                    .collect()
            })
            .collect();
        let replies = align(pairs.len(), book.agent_replies.len(), 3.5, |k, r| {
            let (tt, rt) = (pair_topics[k], reply_topics[r]);
            if tt != 0 && rt != 0 && tt & rt == 0 {
                return None;
            }
            let same_place = if pairs[k].0 == r { 1.5 } else { 0.0 };
            Some(similarity(&pair_tokens[k], &reply_tokens[r]) + same_place)
        });

        let urgent_words = URGENT
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(&[][..], |(_, w)| *w);
        let issues = pairs
            .iter()
            .zip(&pair_topics)
            .zip(&replies)
            .map(|((&(i, j), &topics), reply)| {
                let subject = book.subjects[i];
                let opening = book.openings[j];
                Issue {
                    subject,
                    opening,
                    solution: reply.and_then(|r| book.agent_replies.get(r).copied()),
                    topics,
                    urgent: mentions(subject, urgent_words),
                    order_number: order_number(subject).or_else(|| order_number(opening)),
                }
            })
            .collect();
        let tagged = |texts: &'static [&'static str]| -> Vec<Tagged> {
            texts
                .iter()
                .map(|&text| Tagged {
                    text,
                    topics: topics_of(code, text),
                    vip: mentions(text, &["vip$"]),
                })
                .collect()
        };
        Language {
            book,
            share,
            issues,
            customer_replies: tagged(book.customer_replies),
            notes: tagged(book.internal_notes),
            generic: GENERIC
                .iter()
                .find(|g| g.code == code)
                .unwrap_or(&GENERIC[0]),
        }
    }
}

/// The first five-digit number in a text.
fn order_number(text: &str) -> Option<String> {
    words(text)
        .into_iter()
        .find(|w| w.len() == 5 && w.chars().all(|c| c.is_ascii_digit()))
}

// ---- the people ----

/// A person to create.
#[derive(Debug)]
struct PersonSpec {
    name: String,
    email: String,
    /// Index into the languages.
    lang: usize,
    /// Index into [`ORGANIZATIONS`].
    org: Option<usize>,
    /// Indices into [`GROUPS`] (agents only).
    groups: &'static [usize],
}

/// Everyone who takes part.
#[derive(Debug)]
struct Cast {
    agents: Vec<PersonSpec>,
    customers: Vec<PersonSpec>,
    /// Customer indices per language.
    customers_by_language: Vec<Vec<usize>>,
    /// Agent indices per group.
    members: Vec<Vec<usize>>,
}

impl Cast {
    fn draw(rng: &mut StdRng, languages: &[Language]) -> Cast {
        let mut emails: HashSet<String> = HashSet::new();
        emails.insert(ADMIN_EMAIL.to_string());
        let mut names: HashSet<String> = HashSet::new();
        let mut agents = Vec::with_capacity(AGENT_SLOTS.len());
        for &(code, groups) in AGENT_SLOTS {
            let lang = languages
                .iter()
                .position(|l| l.book.code == code)
                .unwrap_or(0);
            let Some(language) = languages.get(lang) else {
                continue;
            };
            let mut name = person_name(rng, language.book);
            for _ in 0..50 {
                if !names.contains(&name.full) {
                    break;
                }
                name = person_name(rng, language.book);
            }
            names.insert(name.full.clone());
            let local = format!("{}.{}", slug(&name.first), slug(&name.last));
            agents.push(PersonSpec {
                email: unique_email(&mut emails, &local, STAFF_DOMAIN),
                name: name.full,
                lang,
                org: None,
                groups,
            });
        }

        let shares: Vec<u32> = languages.iter().map(|l| l.share).collect();
        let mut customers = Vec::with_capacity(CUSTOMERS);
        let mut customers_by_language = vec![Vec::new(); languages.len()];
        for ((lang, language), count) in languages
            .iter()
            .enumerate()
            .zip(apportion(CUSTOMERS, &shares))
        {
            let orgs: Vec<usize> = ORGANIZATIONS
                .iter()
                .enumerate()
                .filter(|(_, o)| o.lang == language.book.code)
                .map(|(i, _)| i)
                .collect();
            for _ in 0..count {
                let name = person_name(rng, language.book);
                let (first, last) = (slug(&name.first), slug(&name.last));
                let org = if !orgs.is_empty() && rng.gen_bool(0.6) {
                    orgs.choose(rng).copied()
                } else {
                    None
                };
                let email = match org.and_then(|o| ORGANIZATIONS.get(o)) {
                    Some(o) => unique_email(&mut emails, &format!("{first}.{last}"), o.domain),
                    None => {
                        let local = match rng.gen_range(0..4) {
                            0 => format!("{first}.{last}"),
                            1 => format!("{first}{last}"),
                            2 => format!("{first}.{last}{}", rng.gen_range(1..100)),
                            _ => format!("{}.{last}", first.chars().next().unwrap_or('x')),
                        };
                        unique_email(&mut emails, &local, FREE_MAIL_DOMAIN)
                    }
                };
                if let Some(list) = customers_by_language.get_mut(lang) {
                    list.push(customers.len());
                }
                customers.push(PersonSpec {
                    name: name.full,
                    email,
                    lang,
                    org,
                    groups: &[],
                });
            }
        }

        let members = (0..GROUPS.len())
            .map(|group| {
                agents
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.groups.contains(&group))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        Cast {
            agents,
            customers,
            customers_by_language,
            members,
        }
    }
}

/// A person's name.
#[derive(Debug)]
struct Name {
    first: String,
    last: String,
    full: String,
}

fn person_name(rng: &mut StdRng, book: &Phrasebook) -> Name {
    let first = book.first_names.choose(rng).copied().unwrap_or("Alex");
    let mut last = book
        .last_names
        .choose(rng)
        .copied()
        .unwrap_or("Morgan")
        .to_string();
    if book.code == "ru" && (first.ends_with('а') || first.ends_with('я')) {
        last = russian_feminine(&last);
    }
    Name {
        full: format!("{first} {last}"),
        first: first.to_string(),
        last,
    }
}

/// The feminine form of a Russian family name: Иванов → Иванова.
fn russian_feminine(last: &str) -> String {
    if let Some(stem) = last.strip_suffix("ий").or_else(|| last.strip_suffix("ой")) {
        format!("{stem}ая")
    } else if ["ов", "ев", "ёв", "ин", "ын"]
        .iter()
        .any(|s| last.ends_with(s))
    {
        format!("{last}а")
    } else {
        last.to_string()
    }
}

/// A name as the ASCII part of an email address: Søren → soren, Фёдоров → fedorov.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        let spelled = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ă' => "a",
            'æ' => "ae",
            'ø' | 'ö' | 'ò' | 'ó' | 'ô' => "o",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ș' | 'ş' => "s",
            'ț' | 'ţ' => "t",
            'ç' => "c",
            'ñ' => "n",
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "yu",
            'я' => "ya",
            _ => "",
        };
        out.push_str(spelled);
    }
    if out.is_empty() { "user".into() } else { out }
}

/// `local@domain`, or with a number after `local` when that is taken.
fn unique_email(taken: &mut HashSet<String>, local: &str, domain: &str) -> String {
    let mut email = format!("{local}@{domain}");
    let mut n = 2;
    while !taken.insert(email.clone()) {
        email = format!("{local}{n}@{domain}");
        n += 1;
    }
    email
}

// ---- the tickets ----

/// How a ticket ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Outcome {
    New,
    Open,
    Escalated,
    Pending,
    OnHold,
    Vendor,
    Solved,
    Closed,
}

impl Outcome {
    /// The status category a ticket with this outcome ends in.
    fn category(self) -> StatusCategory {
        match self {
            Outcome::New => StatusCategory::New,
            Outcome::Open | Outcome::Escalated => StatusCategory::Open,
            Outcome::Pending => StatusCategory::Pending,
            Outcome::OnHold | Outcome::Vendor => StatusCategory::OnHold,
            Outcome::Solved => StatusCategory::Solved,
            Outcome::Closed => StatusCategory::Closed,
        }
    }
}

/// The share of tickets per outcome.
const OUTCOME_SHARES: [(Outcome, u32); 8] = [
    (Outcome::New, 5),
    (Outcome::Open, 7),
    (Outcome::Escalated, 3),
    (Outcome::Pending, 10),
    (Outcome::OnHold, 3),
    (Outcome::Vendor, 2),
    (Outcome::Solved, 40),
    (Outcome::Closed, 30),
];

/// One change to a ticket after it was opened.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// The administrator puts the ticket in its group, and maybe assigns it.
    Route { assign: bool },
    /// The assignee opens it and sets priority, type, tags and fields.
    Triage,
    /// The customer sends the same request again, as a new ticket.
    Duplicate,
    /// The administrator merges that duplicate into the ticket.
    Merge,
    /// The assignee answers, maybe setting a status.
    Reply {
        text: &'static str,
        status: Option<&'static str>,
    },
    /// The customer writes again.
    CustomerReply { text: &'static str },
    /// An internal note by the assignee or a colleague from the group.
    Note {
        by_helper: bool,
        text: &'static str,
        status: Option<&'static str>,
    },
    /// The assignee sets a status.
    Status(&'static str),
    /// The assignee applies a macro.
    Macro(Canned),
}

/// An action at a time.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    at: i64,
    action: Action,
}

/// Everything about one ticket, decided before it is written.
#[derive(Debug)]
struct Plan {
    lang: usize,
    issue: usize,
    requester: usize,
    created_at: i64,
    channel: &'static str,
    group: usize,
    assignee: usize,
    helper: usize,
    priority: &'static str,
    kind: &'static str,
    tags: Vec<String>,
    custom_fields: BTreeMap<String, Value>,
    outcome: Outcome,
    steps: Vec<Step>,
}

/// Plans `total` tickets (duplicates included) created over the two years before `now`.
fn plan_tickets(
    rng: &mut StdRng,
    languages: &[Language],
    cast: &Cast,
    total: usize,
    now: i64,
) -> Vec<Plan> {
    let duplicates = if total >= 20 { (total / 150).max(1) } else { 0 };
    let count = total - duplicates;
    let shares: Vec<u32> = languages.iter().map(|l| l.share).collect();
    let mut langs: Vec<usize> = apportion(count, &shares)
        .into_iter()
        .enumerate()
        .flat_map(|(lang, n)| std::iter::repeat_n(lang, n))
        .collect();
    langs.shuffle(rng);
    let mut created: Vec<i64> = (0..count).map(|_| sample_created(rng, now)).collect();
    created.sort_unstable();
    let outcomes = assign_outcomes(rng, count);
    let mut routed: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| **o != Outcome::New)
        .map(|(i, _)| i)
        .collect();
    routed.shuffle(rng);
    let duplicated: HashSet<usize> = routed.into_iter().take(duplicates).collect();

    let mut plans = Vec::with_capacity(count);
    for (index, ((&lang, &created_at), &outcome)) in
        langs.iter().zip(&created).zip(&outcomes).enumerate()
    {
        let Some(language) = languages.get(lang) else {
            continue;
        };
        let issue_index = rng.gen_range(0..language.issues.len());
        let Some(issue) = language.issues.get(issue_index) else {
            continue;
        };
        let requester = pick_requester(rng, cast, lang);
        let org = cast
            .customers
            .get(requester)
            .and_then(|c| c.org)
            .and_then(|o| ORGANIZATIONS.get(o));
        let vip = org.is_some_and(|o| o.vip) || rng.gen_bool(0.02);
        let group = choose_group(rng, issue.topics, language.book.code);
        let (assignee, helper) = choose_agents(rng, cast, group, lang);
        let priority = choose_priority(rng, issue, vip);
        let kind = choose_kind(rng, issue.topics);

        let mut tags: Vec<String> = TOPICS
            .iter()
            .enumerate()
            .filter(|(bit, _)| issue.topics & (1 << bit) != 0)
            .map(|(_, topic)| topic.tag.to_string())
            .collect();
        tags.push(format!("lang-{}", language.book.code));
        if vip {
            tags.push("vip".into());
        }
        if kind == "problem" || (kind == "incident" && rng.gen_bool(0.3)) {
            tags.push("bug".into());
        }

        let mut custom_fields = BTreeMap::new();
        let plan_value = match org {
            Some(o) => rng.gen_bool(0.85).then_some(o.plan),
            None => rng
                .gen_bool(0.5)
                .then(|| if rng.gen_bool(0.75) { "free" } else { "pro" }),
        };
        if let Some(plan) = plan_value {
            custom_fields.insert("plan".to_string(), Value::String(plan.to_string()));
        }
        if issue.topics & T_SHIPPING != 0 && rng.gen_bool(0.9) {
            let number = issue
                .order_number
                .clone()
                .unwrap_or_else(|| rng.gen_range(40_000..60_000).to_string());
            custom_fields.insert("order_number".to_string(), Value::String(number));
        }

        let channel = if rng.gen_bool(0.6) { "email" } else { "web" };
        let conversation = Conversation {
            language,
            issue,
            outcome,
            duplicate: duplicated.contains(&index),
            english: language.book.code == "en",
            has_org: org.is_some(),
            vip,
        };
        let drafts = conversation.plan(rng);
        let steps = schedule(rng, created_at, now, drafts);
        plans.push(Plan {
            lang,
            issue: issue_index,
            requester,
            created_at,
            channel,
            group,
            assignee,
            helper,
            priority,
            kind,
            tags,
            custom_fields,
            outcome,
            steps,
        });
    }
    plans
}

/// A customer of the language; some customers write much more often than others.
fn pick_requester(rng: &mut StdRng, cast: &Cast, lang: usize) -> usize {
    match cast
        .customers_by_language
        .get(lang)
        .filter(|pool| !pool.is_empty())
    {
        Some(pool) => {
            let u: f64 = rng.r#gen();
            let k = (u.powf(1.7) * pool.len() as f64) as usize;
            pool[k.min(pool.len() - 1)]
        }
        None => rng.gen_range(0..cast.customers.len().max(1)),
    }
}

/// The group a ticket about `topics` goes to.
fn choose_group(rng: &mut StdRng, topics: u32, code: &str) -> usize {
    if (code == "sv" || code == "da") && rng.gen_bool(0.6) {
        return NORDICS;
    }
    if rng.gen_bool(0.15) {
        return FIRST_LINE;
    }
    if topics & (T_BILLING | T_REFUND) != 0 && topics & T_EVENTS == 0 {
        BILLING
    } else if topics & T_SHIPPING != 0 && topics & T_API == 0 {
        SHIPPING
    } else if topics & (T_HARDWARE | T_API | T_NETWORK | T_EMAIL | T_LEDGER) != 0 {
        TECHNICAL
    } else {
        FIRST_LINE
    }
}

/// The assignee (preferably one who speaks the language) and a colleague from the group.
fn choose_agents(rng: &mut StdRng, cast: &Cast, group: usize, lang: usize) -> (usize, usize) {
    let everyone: Vec<usize> = (0..cast.agents.len()).collect();
    let members = cast
        .members
        .get(group)
        .filter(|m| !m.is_empty())
        .unwrap_or(&everyone);
    let speakers: Vec<usize> = members
        .iter()
        .copied()
        .filter(|a| cast.agents.get(*a).is_some_and(|agent| agent.lang == lang))
        .collect();
    let assignee = if !speakers.is_empty() && rng.gen_bool(0.8) {
        speakers.choose(rng).copied()
    } else {
        members.choose(rng).copied()
    }
    .unwrap_or(0);
    let others: Vec<usize> = members.iter().copied().filter(|a| *a != assignee).collect();
    let helper = others.choose(rng).copied().unwrap_or(assignee);
    (assignee, helper)
}

fn choose_priority(rng: &mut StdRng, issue: &Issue, vip: bool) -> &'static str {
    const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
    if issue.urgent {
        return "urgent";
    }
    let mut level = pick_weighted(rng, &[20.0, 55.0, 19.0, 6.0]);
    if vip && level < 2 && rng.gen_bool(0.5) {
        level += 1;
    }
    PRIORITIES.get(level).copied().unwrap_or("normal")
}

fn choose_kind(rng: &mut StdRng, topics: u32) -> &'static str {
    const KINDS: [&str; 4] = ["question", "incident", "problem", "task"];
    let technical = T_HARDWARE | T_API | T_NETWORK | T_EMAIL | T_LEDGER | T_LOGIN;
    let weights = if topics & T_FEATURE != 0 {
        [10.0, 0.0, 0.0, 90.0]
    } else if topics & technical != 0 {
        [20.0, 55.0, 25.0, 0.0]
    } else {
        [70.0, 15.0, 0.0, 15.0]
    };
    KINDS
        .get(pick_weighted(rng, &weights))
        .copied()
        .unwrap_or("question")
}

/// Who says what in a ticket, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Agent,
    Customer,
    Note,
}

/// Plans the steps of one ticket after it was opened.
#[derive(Debug)]
struct Conversation<'a> {
    language: &'a Language,
    issue: &'a Issue,
    outcome: Outcome,
    duplicate: bool,
    english: bool,
    has_org: bool,
    vip: bool,
}

/// Gaps between steps, as the shortest and longest time.
type Gap = (i64, i64);
const ROUTE_GAP: Gap = (3 * MINUTE, 4 * HOUR);
const TRIAGE_GAP: Gap = (MINUTE, 90 * MINUTE);
const FIRST_REPLY_GAP: Gap = (15 * MINUTE, DAY);
const REPLY_GAP: Gap = (30 * MINUTE, 2 * DAY);
const CUSTOMER_GAP: Gap = (10 * MINUTE, 3 * DAY);
const NOTE_GAP: Gap = (5 * MINUTE, 8 * HOUR);
const STATUS_GAP: Gap = (10 * MINUTE, DAY);
const CLOSE_GAP: Gap = (3 * DAY, 7 * DAY);

impl Conversation<'_> {
    fn plan(&self, rng: &mut StdRng) -> Vec<(Gap, Action)> {
        let mut texts = Texts {
            language: self.language,
            issue: self.issue,
            vip: self.vip,
            solution_used: false,
            customer_used: HashSet::new(),
            notes_used: HashSet::new(),
        };
        let mut out = Vec::new();
        if self.outcome == Outcome::New {
            // Still waiting for an agent: at most routed to a group, maybe a nudge.
            if rng.gen_bool(0.5) {
                out.push((ROUTE_GAP, Action::Route { assign: false }));
            }
            if rng.gen_bool(0.25)
                && let Some(text) = texts.customer(rng)
            {
                out.push(((2 * HOUR, 2 * DAY), Action::CustomerReply { text }));
            }
            return out;
        }
        out.push((ROUTE_GAP, Action::Route { assign: true }));
        out.push((TRIAGE_GAP, Action::Triage));
        if self.duplicate {
            out.push(((5 * MINUTE, 3 * HOUR), Action::Duplicate));
            out.push(((2 * MINUTE, 2 * HOUR), Action::Merge));
        }

        let mut turns = conversation_turns(rng, self.outcome);
        let final_reply = matches!(
            self.outcome,
            Outcome::Solved | Outcome::Closed | Outcome::Pending
        );
        if final_reply && turns.last() != Some(&Turn::Agent) {
            turns.push(Turn::Agent);
        }
        let mut replies = 0;
        for (n, turn) in turns.iter().enumerate() {
            let gap = if replies == 0 {
                FIRST_REPLY_GAP
            } else {
                REPLY_GAP
            };
            match turn {
                Turn::Customer => {
                    if let Some(text) = texts.customer(rng) {
                        out.push((CUSTOMER_GAP, Action::CustomerReply { text }));
                    }
                }
                Turn::Note => {
                    if let Some(text) = texts.note(rng) {
                        let by_helper = rng.gen_bool(0.3);
                        let note = Action::Note {
                            by_helper,
                            text,
                            status: None,
                        };
                        out.push((NOTE_GAP, note));
                    }
                }
                Turn::Agent if final_reply && n + 1 == turns.len() => {
                    out.push((gap, self.final_reply(rng, &mut texts)));
                    replies += 1;
                }
                Turn::Agent => {
                    // Only a reply the customer answers may leave the ticket pending: the
                    // answer reopens it.
                    let answered = turns.get(n + 1) == Some(&Turn::Customer);
                    let (text, waits) = if rng.gen_bool(if replies == 0 { 0.45 } else { 0.4 })
                        && let Some(solution) = texts.unused_solution()
                    {
                        (solution, rng.gen_bool(0.6))
                    } else if rng.gen_bool(0.5) {
                        (texts.generic(rng, |g| &g.ask), rng.gen_bool(0.8))
                    } else if replies == 0 {
                        (texts.generic(rng, |g| &g.ack), false)
                    } else {
                        (texts.generic(rng, |g| &g.update), false)
                    };
                    let status =
                        (answered && waits).then(|| StatusCategory::Pending.builtin_name());
                    out.push((gap, Action::Reply { text, status }));
                    replies += 1;
                }
            }
        }

        match self.outcome {
            Outcome::Closed => {
                let closed = StatusCategory::Closed.builtin_name();
                out.push((CLOSE_GAP, Action::Status(closed)));
            }
            Outcome::OnHold => {
                let status = StatusCategory::OnHold.builtin_name();
                out.push((NOTE_GAP, self.note_with_status(rng, &mut texts, status)));
            }
            Outcome::Vendor => {
                if self.english && self.has_org && rng.gen_bool(0.6) {
                    out.push((NOTE_GAP, Action::Macro(Canned::Vendor)));
                } else {
                    let action = self.note_with_status(rng, &mut texts, WAITING_ON_VENDOR);
                    out.push((NOTE_GAP, action));
                }
            }
            Outcome::Escalated => {
                if rng.gen_bool(0.5) {
                    out.push((STATUS_GAP, Action::Status(ESCALATED)));
                } else {
                    let action = self.note_with_status(rng, &mut texts, ESCALATED);
                    out.push((NOTE_GAP, action));
                }
            }
            Outcome::New | Outcome::Open | Outcome::Pending | Outcome::Solved => {}
        }
        out
    }

    /// The reply that leaves the ticket solved or pending.
    fn final_reply(&self, rng: &mut StdRng, texts: &mut Texts<'_>) -> Action {
        if self.outcome == Outcome::Pending {
            if self.english && rng.gen_bool(0.3) {
                return Action::Macro(Canned::AskForDetails);
            }
            let text = match texts.unused_solution() {
                Some(solution) if rng.gen_bool(0.4) => solution,
                _ => texts.generic(rng, |g| &g.ask),
            };
            return Action::Reply {
                text,
                status: Some(StatusCategory::Pending.builtin_name()),
            };
        }
        if self.english && texts.solution_spent() && rng.gen_bool(0.3) {
            return Action::Macro(Canned::Solved);
        }
        Action::Reply {
            text: texts.solution(rng),
            status: Some(StatusCategory::Solved.builtin_name()),
        }
    }

    fn note_with_status(
        &self,
        rng: &mut StdRng,
        texts: &mut Texts<'_>,
        status: &'static str,
    ) -> Action {
        match texts.note(rng) {
            Some(text) => Action::Note {
                by_helper: rng.gen_bool(0.3),
                text,
                status: Some(status),
            },
            None => Action::Status(status),
        }
    }
}

/// The order of speakers after the ticket was opened, before the outcome adds its ending:
/// agents and customers take turns, agents sometimes add a note first.
fn conversation_turns(rng: &mut StdRng, outcome: Outcome) -> Vec<Turn> {
    let lengths: &[f64] = match outcome {
        Outcome::Solved | Outcome::Closed => &[2.0, 3.0, 3.0, 2.0, 1.0, 1.0],
        _ => &[2.0, 3.0, 3.0, 2.0, 1.0],
    };
    let count = pick_weighted(rng, lengths);
    let mut turns = Vec::with_capacity(count + 1);
    let mut agent = true;
    for _ in 0..count {
        if !agent {
            turns.push(Turn::Customer);
            agent = true;
        } else if rng.gen_bool(0.2) {
            turns.push(Turn::Note);
        } else {
            turns.push(Turn::Agent);
            agent = false;
        }
    }
    turns
}

/// Picks texts for one ticket without repeating itself.
#[derive(Debug)]
struct Texts<'a> {
    language: &'a Language,
    issue: &'a Issue,
    vip: bool,
    solution_used: bool,
    customer_used: HashSet<usize>,
    notes_used: HashSet<usize>,
}

impl Texts<'_> {
    /// The phrasebook's answer to the issue, the first time it is asked for.
    fn unused_solution(&mut self) -> Option<&'static str> {
        if self.solution_used {
            return None;
        }
        let solution = self.issue.solution?;
        self.solution_used = true;
        Some(solution)
    }

    /// Whether the phrasebook's answer is used up or missing.
    fn solution_spent(&self) -> bool {
        self.solution_used || self.issue.solution.is_none()
    }

    /// The answer that solves the ticket.
    fn solution(&mut self, rng: &mut StdRng) -> &'static str {
        match self.unused_solution() {
            Some(solution) => solution,
            None => self.generic(rng, |g| &g.fix),
        }
    }

    fn generic(
        &self,
        rng: &mut StdRng,
        kind: impl Fn(&Generic) -> &[&'static str; 2],
    ) -> &'static str {
        let choices = kind(self.language.generic);
        choices[rng.gen_range(0..choices.len())]
    }

    fn customer(&mut self, rng: &mut StdRng) -> Option<&'static str> {
        let topics = self.issue.topics;
        pick_fresh(
            rng,
            &self.language.customer_replies,
            &mut self.customer_used,
            |t| fits(t.topics, topics),
        )
    }

    fn note(&mut self, rng: &mut StdRng) -> Option<&'static str> {
        let (topics, vip) = (self.issue.topics, self.vip);
        pick_fresh(rng, &self.language.notes, &mut self.notes_used, |t| {
            fits(t.topics, topics) && (vip || !t.vip)
        })
    }
}

/// A text that fits and was not used yet (or, when all were, one that fits).
fn pick_fresh(
    rng: &mut StdRng,
    texts: &[Tagged],
    used: &mut HashSet<usize>,
    fitting: impl Fn(&Tagged) -> bool,
) -> Option<&'static str> {
    let candidates: Vec<usize> = (0..texts.len())
        .filter(|i| texts.get(*i).is_some_and(&fitting))
        .collect();
    let fresh: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| !used.contains(i))
        .collect();
    let pool = if fresh.is_empty() {
        &candidates
    } else {
        &fresh
    };
    let chosen = pool.choose(rng).copied()?;
    used.insert(chosen);
    texts.get(chosen).map(|t| t.text)
}

/// Gives each outcome its share. Tickets still being worked on are mostly recent ones (and
/// new ones the most recent); closed ones are mostly old. `count` tickets, oldest first.
fn assign_outcomes(rng: &mut StdRng, count: usize) -> Vec<Outcome> {
    let quotas = apportion(count, &OUTCOME_SHARES.map(|(_, share)| share));
    let quota = |outcome: Outcome| {
        OUTCOME_SHARES
            .iter()
            .zip(&quotas)
            .find(|((o, _), _)| *o == outcome)
            .map_or(0, |(_, q)| *q)
    };
    let age = |i: usize| {
        if count > 1 {
            i as f64 / (count - 1) as f64
        } else {
            1.0
        }
    };
    let all: Vec<usize> = (0..count).collect();
    let active_count = count - quota(Outcome::Solved) - quota(Outcome::Closed);
    let active = weighted_sample(rng, &all, active_count, |i| 0.05 + age(i).powi(2));
    let new = weighted_sample(rng, &active, quota(Outcome::New), |i| 0.01 + age(i).powi(6));
    let active_set: HashSet<usize> = active.iter().copied().collect();
    let new_set: HashSet<usize> = new.iter().copied().collect();
    let mut outcomes = vec![Outcome::Solved; count];
    let mut working: Vec<usize> = active
        .iter()
        .copied()
        .filter(|i| !new_set.contains(i))
        .collect();
    working.sort_unstable();
    working.shuffle(rng);
    let mut working = working.into_iter();
    for &i in &new {
        if let Some(o) = outcomes.get_mut(i) {
            *o = Outcome::New;
        }
    }
    for outcome in [
        Outcome::Open,
        Outcome::Escalated,
        Outcome::Pending,
        Outcome::OnHold,
        Outcome::Vendor,
    ] {
        for i in working.by_ref().take(quota(outcome)) {
            if let Some(o) = outcomes.get_mut(i) {
                *o = outcome;
            }
        }
    }
    let done: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| !active_set.contains(i))
        .collect();
    for i in weighted_sample(rng, &done, quota(Outcome::Closed), |i| {
        0.05 + (1.0 - age(i)).powi(2)
    }) {
        if let Some(o) = outcomes.get_mut(i) {
            *o = Outcome::Closed;
        }
    }
    outcomes
}

/// Picks `k` of `items` without repetition, each with a chance growing with its weight
/// (Efraimidis and Spirakis).
fn weighted_sample(
    rng: &mut StdRng,
    items: &[usize],
    k: usize,
    weight: impl Fn(usize) -> f64,
) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = items
        .iter()
        .map(|&i| {
            let u: f64 = rng.r#gen();
            (u.powf(1.0 / weight(i).max(1e-6)), i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().take(k).map(|(_, i)| i).collect()
}

/// Splits `total` in proportion to `weights` (largest remainders get the rest).
fn apportion(total: usize, weights: &[u32]) -> Vec<usize> {
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total64 = total as u64;
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (total64 * u64::from(*w) / sum) as usize)
        .collect();
    let mut remainders: Vec<(u64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| ((total64 * u64::from(*w)) % sum, i))
        .collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let missing = total.saturating_sub(counts.iter().sum());
    for (_, i) in remainders.into_iter().take(missing) {
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

/// An index drawn in proportion to `weights` (the last one if they are all zero).
fn pick_weighted(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut left = rng.r#gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if left < *w {
            return i;
        }
        left -= w;
    }
    weights.len().saturating_sub(1)
}

/// Ticket volume per hour of the day (UTC): office hours, a quiet night.
const HOUR_WEIGHTS: [f64; 24] = [
    1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 6.0, 9.0, 10.0, 10.0, 10.0, 9.0, 10.0, 10.0, 9.0, 8.0, 6.0,
    4.0, 3.0, 3.0, 2.0, 2.0, 1.0,
];

/// When a ticket was opened: within the two years before `now`, more in recent months,
/// mostly on weekdays and in office hours, never in the last five minutes.
fn sample_created(rng: &mut StdRng, now: i64) -> i64 {
    // Density 1 + GROWTH·x over x in [0, 1] from oldest to newest, by inverting its CDF.
    const GROWTH: f64 = 0.8;
    let u: f64 = rng.r#gen();
    let x = ((1.0 + 2.0 * GROWTH * u * (1.0 + GROWTH / 2.0)).sqrt() - 1.0) / GROWTH;
    let start = now - SPAN;
    let mut day = (start + (x * SPAN as f64) as i64).div_euclid(DAY);
    match (day + 4).rem_euclid(7) {
        // 1970-01-01 was a Thursday, so 6 is a Saturday and 0 a Sunday.
        6 if rng.gen_bool(0.7) => day -= 1,
        0 if rng.gen_bool(0.7) => day += 1,
        _ => {}
    }
    let hour = pick_weighted(rng, &HOUR_WEIGHTS) as i64;
    let at = day * DAY + hour * HOUR + rng.gen_range(0..HOUR);
    let latest = now - 5 * MINUTE;
    if at > latest {
        latest - rng.gen_range(0..3 * HOUR)
    } else {
        at
    }
}

/// A random duration between `min` and `max`, evenly spread on a log scale.
fn duration(rng: &mut StdRng, (min, max): Gap) -> i64 {
    if max <= min || min < 1 {
        return min.max(1);
    }
    let (low, high) = ((min as f64).ln(), (max as f64).ln());
    rng.gen_range(low..high).exp() as i64
}

/// Gives each action a time after the ticket was opened. When the steps would reach past
/// `now`, the whole timeline is squeezed to end a minute before it.
fn schedule(rng: &mut StdRng, created_at: i64, now: i64, drafts: Vec<(Gap, Action)>) -> Vec<Step> {
    let mut offsets = Vec::with_capacity(drafts.len());
    let mut total = 0_i64;
    for (gap, _) in &drafts {
        total += duration(rng, *gap);
        offsets.push(total);
    }
    let room = (now - MINUTE - created_at).max(drafts.len() as i64 + 1);
    let scale = if total > room {
        room as f64 / total as f64
    } else {
        1.0
    };
    let mut last = created_at;
    drafts
        .into_iter()
        .zip(offsets)
        .map(|((_, action), offset)| {
            let at = (created_at + (offset as f64 * scale) as i64).max(last + 1);
            last = at;
            Step { at, action }
        })
        .collect()
}

/// A "related" link between two tickets about the same thing.
#[derive(Debug)]
struct LinkPlan {
    /// The later ticket (plan index).
    from: usize,
    /// The earlier ticket (plan index).
    to: usize,
    at: i64,
}

/// Links about one ticket in 25 to an earlier one on the same issue from the weeks before.
fn plan_links(rng: &mut StdRng, plans: &[Plan], now: i64) -> Vec<LinkPlan> {
    let wanted = plans.len() / 25;
    if wanted == 0 {
        return Vec::new();
    }
    let mut by_issue: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, plan) in plans.iter().enumerate() {
        by_issue.entry((plan.lang, plan.issue)).or_default().push(i);
    }
    let mut candidates = Vec::new();
    for list in by_issue.values() {
        for pair in list.windows(2) {
            if let &[earlier, later] = pair {
                let close = plans
                    .get(earlier)
                    .zip(plans.get(later))
                    .is_some_and(|(a, b)| b.created_at - a.created_at <= 45 * DAY);
                if close {
                    candidates.push((earlier, later));
                }
            }
        }
    }
    candidates.shuffle(rng);
    candidates
        .into_iter()
        .take(wanted)
        .filter_map(|(earlier, later)| {
            let created = plans.get(later)?.created_at;
            let at = (created + duration(rng, (30 * MINUTE, 2 * DAY))).min(now - MINUTE);
            Some(LinkPlan {
                from: later,
                to: earlier,
                at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppConfig;
    use crate::tickets::ListQuery;
    use triage_domain::check_transition;

    #[test]
    fn english_subjects_pair_with_their_own_openings_and_answers() {
        let languages = Language::all();
        let english = languages.iter().find(|l| l.book.code == "en");
        assert!(english.is_some());
        let Some(english) = english else { return };
        let book = english.book;
        assert_eq!(english.issues.len(), book.subjects.len());
        for (i, issue) in english.issues.iter().enumerate() {
            assert_eq!(issue.subject, book.subjects[i]);
            assert_eq!(
                issue.opening, book.openings[i],
                "opening of {:?}",
                issue.subject
            );
        }
        for i in 0..12 {
            assert_eq!(english.issues[i].solution, Some(book.agent_replies[i]));
        }
        assert!(english.issues[1].topics & T_BILLING != 0);
        assert!(english.issues[2].topics & T_SHIPPING != 0);
    }

    #[test]
    fn every_language_has_issues_and_texts() {
        let languages = Language::all();
        assert_eq!(languages.len(), LANGUAGE_SHARES.len());
        for language in &languages {
            assert!(language.issues.len() >= 30, "{}", language.book.code);
            assert!(
                language
                    .issues
                    .iter()
                    .filter(|i| i.solution.is_some())
                    .count()
                    >= 20
            );
            assert!(language.customer_replies.iter().any(|t| t.topics == 0));
            assert_eq!(language.generic.code, language.book.code);
        }
    }

    #[test]
    fn names_become_ascii_addresses() {
        assert_eq!(slug("Søren"), "soren");
        assert_eq!(slug("Ștefănescu"), "stefanescu");
        assert_eq!(slug("De Luca"), "deluca");
        assert_eq!(slug("Фёдоров"), "fedorov");
        assert_eq!(slug("Наталья"), "natalya");
        assert_eq!(russian_feminine("Иванов"), "Иванова");
        assert_eq!(russian_feminine("Зайцев"), "Зайцева");
        let mut taken = HashSet::new();
        assert_eq!(
            unique_email(&mut taken, "anna.berg", "mail.example"),
            "anna.berg@mail.example"
        );
        assert_eq!(
            unique_email(&mut taken, "anna.berg", "mail.example"),
            "anna.berg2@mail.example"
        );
    }

    #[test]
    fn shares_add_up() {
        assert_eq!(
            apportion(60, &[45, 11, 11, 11, 11, 11]),
            vec![27, 7, 7, 7, 6, 6]
        );
        assert_eq!(apportion(0, &[1, 2]), vec![0, 0]);
        let outcomes = assign_outcomes(&mut StdRng::seed_from_u64(1), 100);
        let closed = outcomes.iter().filter(|o| **o == Outcome::Closed).count();
        let solved = outcomes.iter().filter(|o| **o == Outcome::Solved).count();
        assert_eq!((closed, solved), (30, 40));
    }

    /// Plays a planned ticket's status changes by the domain's rules.
    fn play(plan: &Plan) -> Result<StatusCategory, String> {
        let category_of = |name: &str| match name {
            ESCALATED => Ok(StatusCategory::Open),
            WAITING_ON_VENDOR => Ok(StatusCategory::OnHold),
            other => StatusCategory::ALL
                .into_iter()
                .find(|c| c.builtin_name() == other)
                .ok_or_else(|| format!("unknown status {other}")),
        };
        let mut current = StatusCategory::New;
        let move_to = |current: &mut StatusCategory, name: &str| -> Result<(), String> {
            let next = category_of(name)?;
            check_transition(*current, next).map_err(|e| e.to_string())?;
            *current = next;
            Ok(())
        };
        for step in &plan.steps {
            match &step.action {
                Action::Route { .. } | Action::Duplicate | Action::Merge => {}
                Action::Triage => move_to(&mut current, "Open")?,
                Action::CustomerReply { .. } => current = current.after_customer_reply(),
                Action::Reply { status, .. } | Action::Note { status, .. } => {
                    if current == StatusCategory::Closed {
                        return Err("message on a closed ticket".into());
                    }
                    if let Some(status) = status {
                        move_to(&mut current, status)?;
                    }
                }
                Action::Status(status) => move_to(&mut current, status)?,
                Action::Macro(canned) => move_to(&mut current, MACROS[canned.index()].status)?,
            }
        }
        Ok(current)
    }

    #[test]
    fn plans_follow_the_status_rules_and_stay_in_the_past() {
        let languages = Language::all();
        let mut rng = StdRng::seed_from_u64(3);
        let now = 1_750_000_000_000;
        let cast = Cast::draw(&mut rng, &languages);
        assert_eq!(cast.agents.len(), AGENT_SLOTS.len());
        assert_eq!(cast.customers.len(), CUSTOMERS);
        assert!(cast.members.iter().all(|m| m.len() >= 2));
        let plans = plan_tickets(&mut rng, &languages, &cast, 1000, now);
        assert_eq!(
            plans.len()
                + plans
                    .iter()
                    .filter(|p| p.steps.iter().any(|s| s.action == Action::Duplicate))
                    .count(),
            1000
        );
        for plan in &plans {
            assert_eq!(play(plan), Ok(plan.outcome.category()), "{plan:?}");
            assert!(plan.created_at > now - SPAN - 2 * DAY && plan.created_at < now);
            let mut last = plan.created_at;
            for step in &plan.steps {
                assert!(step.at > last && step.at < now, "{plan:?}");
                last = step.at;
            }
            assert!(cast.members[plan.group].contains(&plan.assignee));
            assert!(cast.members[plan.group].contains(&plan.helper));
        }
        let again = {
            let mut rng = StdRng::seed_from_u64(3);
            let cast = Cast::draw(&mut rng, &languages);
            plan_tickets(&mut rng, &languages, &cast, 1000, now)
        };
        assert_eq!(format!("{plans:?}"), format!("{again:?}"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn generates_a_small_help_desk() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let app = App::open(AppConfig::for_data_dir(dir.path())).await?;
        let options = DemoOptions {
            tickets: 60,
            seed: 7,
            progress: false,
        };
        let summary = generate(&app, options.clone()).await?;
        assert_eq!(summary.tickets, 60);
        assert_eq!(summary.organizations, ORGANIZATIONS.len());
        assert_eq!(summary.groups, GROUPS.len());
        assert_eq!(summary.agents, AGENT_SLOTS.len());
        assert_eq!(summary.customers, CUSTOMERS);
        assert!(summary.messages > summary.tickets);
        assert_eq!(summary.admin_email, ADMIN_EMAIL);
        assert_eq!(summary.agent_password, DEMO_PASSWORD);

        let admin_row = app
            .store
            .read()
            .user_by_email(ADMIN_EMAIL)
            .await?
            .ok_or("the demo admin is missing")?;
        let admin = app.actor_for(&admin_row).await?;
        let closed = app
            .list_tickets(
                &admin,
                ListQuery {
                    category: vec!["closed".into()],
                    ..Default::default()
                },
            )
            .await?;
        assert!(!closed.items.is_empty());

        let all = app
            .list_tickets(
                &admin,
                ListQuery {
                    limit: Some(200),
                    ..Default::default()
                },
            )
            .await?;
        assert_eq!(all.items.len(), 60);
        let mut cyrillic = false;
        for ticket in &all.items {
            let messages = app.list_messages(&admin, ticket.ticket.id, 0, 100).await?;
            cyrillic |= messages.iter().any(|m| {
                m.message
                    .body_text
                    .chars()
                    .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
            });
        }
        assert!(cyrillic, "no message in Russian");

        let again = generate(&app, options).await;
        assert!(matches!(again, Err(AppError::Conflict(_))));
        app.close().await;
        Ok(())
    }
}
