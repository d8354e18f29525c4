//! Who may see and change what.

use crate::DomainError;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sees and configures everything.
    Admin,
    /// Works tickets of their groups and those assigned to them.
    Agent,
    /// Opens tickets and follows their own.
    Customer,
}

impl Role {
    /// The stable name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Customer => "customer",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "customer" => Ok(Role::Customer),
            other => Err(DomainError::invalid(
                "role",
                format!("unknown role {other:?}; expected admin, agent or customer"),
            )),
        }
    }

    /// Admins and agents are staff: they see internal notes and work tickets.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Agent)
    }
}

/// The signed-in user a command or query runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: i64,
    /// The user's role.
    pub role: Role,
    /// The groups an agent belongs to.
    pub group_ids: Vec<i64>,
    /// The customer's organization, if any.
    pub organization_id: Option<i64>,
    /// Whether the customer's organization lets its members see each other's tickets.
    pub sees_organization_tickets: bool,
}

/// The tickets an actor may see, as a rule a query can apply in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every ticket (admins).
    All,
    /// Tickets in one of `group_ids` or assigned to `user_id` (agents).
    Agent { user_id: i64, group_ids: Vec<i64> },
    /// Tickets requested by `user_id`, or of `organization_id` where the organization shares.
    Customer {
        user_id: i64,
        organization_id: Option<i64>,
    },
}

/// The facts about a ticket that decide who sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketAccess {
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    pub group_id: Option<i64>,
    pub organization_id: Option<i64>,
}

impl Actor {
    /// The rule that selects the tickets this actor may see.
    pub fn visibility(&self) -> Visibility {
        match self.role {
            Role::Admin => Visibility::All,
            Role::Agent => Visibility::Agent {
                user_id: self.user_id,
                group_ids: self.group_ids.clone(),
            },
            Role::Customer => Visibility::Customer {
                user_id: self.user_id,
                organization_id: self
                    .organization_id
                    .filter(|_| self.sees_organization_tickets),
            },
        }
    }

    /// Whether this actor may see the ticket.
    pub fn can_see(&self, ticket: &TicketAccess) -> bool {
        match self.visibility() {
            Visibility::All => true,
            Visibility::Agent { user_id, group_ids } => {
                ticket.assignee_id == Some(user_id)
                    || ticket.group_id.is_some_and(|g| group_ids.contains(&g))
            }
            Visibility::Customer {
                user_id,
                organization_id,
            } => {
                ticket.requester_id == user_id
                    || (organization_id.is_some() && ticket.organization_id == organization_id)
            }
        }
    }

    /// Whether this actor is staff (admin or agent).
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// Refuses unless the actor is an admin.
    pub fn require_admin(&self) -> Result<(), DomainError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(DomainError::Forbidden("only admins may do this".into()))
        }
    }

    /// Refuses unless the actor is the user `user_id` or an admin.
    pub fn require_self_or_admin(&self, user_id: i64) -> Result<(), DomainError> {
        if self.user_id == user_id {
            Ok(())
        } else {
            self.require_admin()
        }
    }

    /// Refuses unless the actor is staff.
    pub fn require_staff(&self) -> Result<(), DomainError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "only agents and admins may do this".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, user_id: i64) -> Actor {
        Actor {
            user_id,
            role,
            group_ids: vec![10],
            organization_id: Some(7),
            sees_organization_tickets: false,
        }
    }

    fn ticket(requester: i64, assignee: Option<i64>, group: Option<i64>) -> TicketAccess {
        TicketAccess {
            requester_id: requester,
            assignee_id: assignee,
            group_id: group,
            organization_id: Some(7),
        }
    }

    #[test]
    fn agents_see_their_groups_and_their_assignments() {
        let agent = actor(Role::Agent, 2);
        assert!(agent.can_see(&ticket(100, None, Some(10))));
        assert!(agent.can_see(&ticket(100, Some(2), Some(11))));
        assert!(!agent.can_see(&ticket(100, Some(3), Some(11))));
        assert!(!agent.can_see(&ticket(100, None, None)));
    }

    #[test]
    fn customers_see_their_own_and_their_sharing_organization() {
        let mut customer = actor(Role::Customer, 100);
        assert!(customer.can_see(&ticket(100, None, None)));
        assert!(!customer.can_see(&ticket(101, None, Some(10))));
        customer.sees_organization_tickets = true;
        assert!(customer.can_see(&ticket(101, None, Some(10))));
    }

    #[test]
    fn admins_see_everything() {
        assert!(actor(Role::Admin, 1).can_see(&ticket(100, None, None)));
        assert!(actor(Role::Admin, 1).require_admin().is_ok());
        assert!(actor(Role::Agent, 1).require_admin().is_err());
        assert!(actor(Role::Customer, 1).require_staff().is_err());
    }
}
