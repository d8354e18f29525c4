//! Choosing an agent of a group: in turn (round-robin) or the least loaded.

use std::collections::HashMap;

use triage_domain::{Role, StatusCategory};
use triage_store::{Conn, Repos, StatusRow};

use crate::AppResult;

/// The members of a group who take tickets now: active staff, available, below their
/// capacity. With each, how many open tickets they hold. In id order.
async fn eligible<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    group_id: i64,
) -> AppResult<Vec<(i64, i64)>> {
    let members = repos.group_members(group_id).await?;
    let users = repos.users_by_ids(&members).await?;
    let staff: Vec<i64> = users
        .iter()
        .filter(|u| u.active && Role::parse(&u.role).is_ok_and(Role::is_staff))
        .map(|u| u.id)
        .collect();
    let availability: HashMap<i64, triage_store::AvailabilityRow> = repos
        .availability_of(&staff)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a))
        .collect();
    let open: Vec<i64> = statuses
        .iter()
        .filter(|s| StatusCategory::parse(&s.category).is_ok_and(|c| !c.is_done()))
        .map(|s| s.id)
        .collect();
    let load: HashMap<i64, i64> = repos
        .assigned_counts(&staff, &open)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<(i64, i64)> = staff
        .into_iter()
        .filter_map(|id| {
            let held = load.get(&id).copied().unwrap_or(0);
            match availability.get(&id) {
                Some(a) if !a.available => None,
                Some(a) if a.capacity.is_some_and(|cap| held >= i64::from(cap)) => None,
                _ => Some((id, held)),
            }
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// The next eligible member in turn. The turn is a counter row advanced inside the
/// command's transaction, so concurrent assignments never pick the same turn; `peek`
/// (a dry run) reads it without advancing.
pub(crate) async fn round_robin<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    group_id: i64,
    peek: bool,
) -> AppResult<Option<i64>> {
    let candidates = eligible(repos, statuses, group_id).await?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let name = format!("round_robin:{group_id}");
    let turn = if peek {
        repos.counter_value(&name).await?.unwrap_or(0) + 1
    } else {
        repos.ensure_counter(&name, 1).await?;
        repos.next_value(&name).await?
    };
    let index = usize::try_from((turn - 1).rem_euclid(candidates.len() as i64)).unwrap_or(0);
    Ok(candidates.get(index).map(|(id, _)| *id))
}

/// The eligible member with the fewest open tickets (the lowest id on a tie).
pub(crate) async fn least_loaded<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    group_id: i64,
) -> AppResult<Option<i64>> {
    Ok(eligible(repos, statuses, group_id)
        .await?
        .into_iter()
        .min_by_key(|(id, held)| (*held, *id))
        .map(|(id, _)| id))
}
