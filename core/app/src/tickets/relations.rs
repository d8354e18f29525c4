//! Merging duplicates and linking related tickets.

use serde_json::json;
use triage_domain::{EventKind, FieldChange, LinkKind, StatusCategory};
use triage_store::MessageRow;

use super::changes::save_with_events;
use super::messages::link;
use super::{TicketView, builtin_status, category_of, emit, load_visible};
use crate::html::text_to_html;
use crate::{App, AppError, AppResult, Ctx};

impl App {
    /// Merges ticket `source` into `target`: the source's messages and attachments move to
    /// the target, both get an internal note saying so, the source is closed and from then
    /// on points at the target.
    pub async fn merge_tickets(
        &self,
        ctx: &Ctx,
        source: i64,
        target: i64,
    ) -> AppResult<TicketView> {
        ctx.actor.require_staff()?;
        if source == target {
            return Err(AppError::invalid(
                "target",
                "a ticket cannot be merged into itself",
            ));
        }
        let config = self.config_snapshot().await?;
        let ctx = ctx.clone();
        let view = self
            .command(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let from = load_visible(&repos, &ctx.actor, source).await?;
                    let into = load_visible(&repos, &ctx.actor, target).await?;
                    for t in [&from, &into] {
                        if t.merged_into.is_some() {
                            return Err(AppError::Conflict(format!(
                                "ticket #{} is already merged",
                                t.id
                            )));
                        }
                        if category_of(&statuses, t.status_id)? == StatusCategory::Closed {
                            return Err(AppError::Domain(triage_domain::DomainError::Closed(t.id)));
                        }
                    }
                    let now = ctx.now();
                    repos.move_messages(source, target).await?;
                    let note = |ticket_id: i64, text: String| MessageRow {
                        id: 0,
                        ticket_id,
                        author_id: ctx.actor.user_id,
                        public: false,
                        body_html: text_to_html(&text),
                        body_text: text,
                        channel: "system".into(),
                        metadata: json!({"merge": {"source": source, "target": target}}),
                        created_at: now,
                    };
                    repos
                        .insert_message(note(
                            source,
                            format!("Merged into #{target}: its messages now live there."),
                        ))
                        .await?;
                    repos
                        .insert_message(note(
                            target,
                            format!(
                                "Ticket #{source} (\"{}\") was merged into this ticket.",
                                from.subject
                            ),
                        ))
                        .await?;
                    link(&repos, &ctx, source, target, LinkKind::DuplicateOf, now).await?;
                    // Close the source, whatever its status: a merge is not a solve.
                    let old_status = statuses
                        .iter()
                        .find(|s| s.id == from.status_id)
                        .cloned()
                        .ok_or_else(|| AppError::Internal("unknown status".into()))?;
                    let closed = builtin_status(&statuses, StatusCategory::Closed)?.clone();
                    let mut merged = from.clone();
                    merged.merged_into = Some(target);
                    merged.status_id = closed.id;
                    merged.closed_at = Some(now);
                    let moved = vec![
                        FieldChange {
                            field: "merged_into".into(),
                            from: json!(null),
                            to: json!(target),
                        },
                        FieldChange {
                            field: "status".into(),
                            from: json!(old_status.name),
                            to: json!(closed.name),
                        },
                    ];
                    save_with_events(
                        &repos,
                        &ctx,
                        merged,
                        &moved,
                        Some((old_status, closed)),
                        now,
                    )
                    .await?;
                    emit(
                        &repos,
                        &ctx,
                        Some(source),
                        EventKind::TicketMerged,
                        json!({"source": source, "target": target}),
                        now,
                    )
                    .await?;
                    emit(
                        &repos,
                        &ctx,
                        Some(target),
                        EventKind::TicketMerged,
                        json!({"source": source, "target": target}),
                        now,
                    )
                    .await?;
                    let mut into = into;
                    let base = into.version;
                    into.version += 1;
                    into.updated_at = now;
                    if !repos.save_ticket(into.clone(), base).await? {
                        return Err(AppError::Conflict(format!(
                            "ticket #{target} changed meanwhile; try again"
                        )));
                    }
                    TicketView::new(into, &statuses)
                })
            })
            .await?;
        Ok(view)
    }

    /// Links two tickets (related, duplicate of, parent of, child of). Linking twice is
    /// harmless.
    pub async fn link_tickets(&self, ctx: &Ctx, id: i64, other: i64, kind: &str) -> AppResult<()> {
        ctx.actor.require_staff()?;
        let kind = LinkKind::parse(kind)?;
        if id == other {
            return Err(AppError::invalid(
                "other",
                "a ticket cannot be linked to itself",
            ));
        }
        let ctx = ctx.clone();
        self.command(move |tx| {
            Box::pin(async move {
                let repos = tx.repos();
                load_visible(&repos, &ctx.actor, id).await?;
                load_visible(&repos, &ctx.actor, other).await?;
                link(&repos, &ctx, id, other, kind, ctx.now()).await?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
        Ok(())
    }

    /// Removes a link between two tickets.
    pub async fn unlink_tickets(
        &self,
        ctx: &Ctx,
        id: i64,
        other: i64,
        kind: &str,
    ) -> AppResult<()> {
        ctx.actor.require_staff()?;
        let kind = LinkKind::parse(kind)?;
        let ctx = ctx.clone();
        self.command(move |tx| {
            Box::pin(async move {
                let repos = tx.repos();
                load_visible(&repos, &ctx.actor, id).await?;
                if !repos.delete_link(id, other, kind.as_str()).await? {
                    return Err(AppError::NotFound(format!(
                        "link from #{id} to #{other} ({})",
                        kind.as_str()
                    )));
                }
                let now = ctx.now();
                emit(
                    &repos,
                    &ctx,
                    Some(id),
                    EventKind::TicketUnlinked,
                    json!({"kind": kind.as_str(), "other": other}),
                    now,
                )
                .await?;
                emit(
                    &repos,
                    &ctx,
                    Some(other),
                    EventKind::TicketUnlinked,
                    json!({"kind": kind.inverse(), "other": id}),
                    now,
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(())
    }
}
