//! Who is calling: passwords, browser sessions, API tokens and the first-admin setup.
//!
//! Secrets (session cookies, API tokens, the setup token) are random 256-bit values shown
//! once; only their SHA-256 is stored. Passwords are hashed with argon2id.

use rand::RngCore;
use sha2::{Digest, Sha256};
use triage_domain::{Actor, Role, text};
use triage_store::{ApiTokenRow, SessionRow, UserRow, now_millis};

use crate::{App, AppError, AppResult};

const SETUP_TOKEN_KEY: &str = "setup_token_sha256";
/// The prefix of every API token, so leaked tokens are easy to find in logs and code.
pub const TOKEN_PREFIX: &str = "trg_";
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A new random secret, hex-encoded.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a secret, hex-encoded: what is stored.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with argon2id, after checking the password policy.
pub async fn hash_password(password: &str) -> AppResult<String> {
    check_password_policy(password)?;
    crate::password::hash(password).await
}

fn check_password_policy(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid("password", "must be at most 1024 bytes"));
    }
    Ok(())
}

async fn verify_password(password: &str, hash: Option<String>) -> bool {
    // A user without a password (or no such user) is checked against a fixed hash so the
    // answer takes as long as for a real one.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8b2ytHzGdZBR4GmhRe7jeR2FNbp1mUQxVD/Q6Kzl9dI";
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY.to_string());
    crate::password::verify(password, &hash).await && known
}

/// A browser session just created: the cookie value and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The cookie value (shown once).
    pub cookie: String,
    /// The token the browser must echo in `X-CSRF-Token` on unsafe requests.
    pub csrf_token: String,
    /// When the session ends, in epoch milliseconds.
    pub expires_at: i64,
    /// Who signed in.
    pub user: UserRow,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who it is, with their permissions.
    pub actor: Actor,
    /// Their user record.
    pub user: UserRow,
    /// For a session: the CSRF token unsafe requests must carry.
    pub csrf_token: Option<String>,
}

impl App {
    /// Builds the permission view of a user.
    pub async fn actor_for(&self, user: &UserRow) -> AppResult<Actor> {
        let role = Role::parse(&user.role)?;
        let repos = self.store.read();
        let group_ids = if role.is_staff() {
            repos.groups_of_user(user.id).await?
        } else {
            Vec::new()
        };
        let sees_organization_tickets = match user.organization_id {
            Some(org) if role == Role::Customer => repos
                .organization(org)
                .await?
                .is_some_and(|o| o.shared_tickets),
            _ => false,
        };
        Ok(Actor {
            user_id: user.id,
            role,
            group_ids,
            organization_id: user.organization_id,
            sees_organization_tickets,
        })
    }

    /// Checks an email and password and opens a session.
    pub async fn sign_in(&self, email: &str, password: &str) -> AppResult<NewSession> {
        let refused = || AppError::Unauthenticated("wrong email or password".into());
        let email = text::normalize_email(email).map_err(|_| refused())?;
        let user = self.store.read().user_by_email(&email).await?;
        let hash = user
            .as_ref()
            .filter(|u| u.active)
            .and_then(|u| u.password_hash.clone());
        if !verify_password(password, hash).await {
            return Err(refused());
        }
        let user = user.ok_or_else(refused)?;
        let cookie = random_secret();
        let csrf_token = random_secret();
        let now = now_millis();
        let expires_at = now + self.config.session_ttl_secs * 1000;
        let row = SessionRow {
            id: digest(&cookie),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at,
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.repos().insert_session(row).await?;
                    tx.repos().delete_expired_sessions(now).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(NewSession {
            cookie,
            csrf_token,
            expires_at,
            user,
        })
    }

    /// Ends the session with this cookie value.
    pub async fn sign_out(&self, cookie: &str) -> AppResult<()> {
        let id = digest(cookie);
        let user_id = self.store.read().session(&id).await?.map(|s| s.user_id);
        self.store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().delete_session(&id).await?) })
            })
            .await?;
        if user_id.is_some() {
            self.live_reauthenticate(user_id);
        }
        Ok(())
    }

    /// The caller behind a session cookie.
    pub async fn authenticate_session(&self, cookie: &str) -> AppResult<Authenticated> {
        let unauthenticated =
            || AppError::Unauthenticated("the session has expired; sign in again".into());
        let session = self
            .store
            .read()
            .session(&digest(cookie))
            .await?
            .filter(|s| s.expires_at > now_millis())
            .ok_or_else(unauthenticated)?;
        let (user, actor) = self
            .cached_actor(session.user_id)
            .await?
            .filter(|(u, _)| u.active)
            .ok_or_else(unauthenticated)?;
        Ok(Authenticated {
            actor,
            user,
            csrf_token: Some(session.csrf_token),
        })
    }

    /// The caller behind an API token.
    pub async fn authenticate_token(&self, token: &str) -> AppResult<Authenticated> {
        let refused = || AppError::Unauthenticated("the API token is unknown or revoked".into());
        let row = self
            .store
            .read()
            .token_by_hash(&digest(token))
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or_else(refused)?;
        let (user, actor) = self
            .cached_actor(row.user_id)
            .await?
            .filter(|(u, _)| u.active)
            .ok_or_else(refused)?;
        let now = now_millis();
        // Record use at most once a minute, so reads stay reads.
        if row.last_used_at.is_none_or(|t| now - t > 60_000) {
            let mut row = row;
            row.last_used_at = Some(now);
            let _ = self
                .store
                .write(move |tx| {
                    Box::pin(async move { tx.repos().update_token(row).await.map(|_| ()) })
                })
                .await;
        }
        Ok(Authenticated {
            actor,
            user,
            csrf_token: None,
        })
    }

    /// Creates an API token for `user_id` (one's own, or anyone's for an admin) and returns
    /// its record and the token, which is never shown again.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
    ) -> AppResult<(ApiTokenRow, String)> {
        actor.require_self_or_admin(user_id)?;
        let name = text::validate_name("name", name)?;
        let user = self
            .store
            .read()
            .user(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        let token = format!("{TOKEN_PREFIX}{}", random_secret());
        let row = ApiTokenRow {
            id: 0,
            user_id: user.id,
            name,
            token_hash: digest(&token),
            prefix: token[..12].to_string(),
            created_at: now_millis(),
            last_used_at: None,
            revoked_at: None,
        };
        let row = self
            .store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().insert_token(row).await?) })
            })
            .await?;
        Ok((row, token))
    }

    /// The tokens of a user (own, or any for an admin).
    pub async fn list_tokens(&self, actor: &Actor, user_id: i64) -> AppResult<Vec<ApiTokenRow>> {
        actor.require_self_or_admin(user_id)?;
        Ok(self.store.read().tokens_of_user(user_id).await?)
    }

    /// Revokes a token (own, or any for an admin). Revoking twice is harmless.
    pub async fn revoke_token(&self, actor: &Actor, token_id: i64) -> AppResult<ApiTokenRow> {
        let actor = actor.clone();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut row = repos
                        .token(token_id)
                        .await?
                        .filter(|t| t.user_id == actor.user_id || actor.role == Role::Admin)
                        .ok_or_else(|| AppError::NotFound(format!("token {token_id}")))?;
                    if row.revoked_at.is_none() {
                        row.revoked_at = Some(now_millis());
                        row = repos.update_token(row).await?;
                    }
                    Ok(row)
                })
            })
            .await
    }

    /// If no admin exists yet, makes a new one-time setup token, stores its hash and returns
    /// it; the first admin is created with it through [`App::complete_setup`].
    pub async fn setup_token_if_needed(&self) -> AppResult<Option<String>> {
        if self.store.read().has_admin().await? {
            return Ok(None);
        }
        let token = random_secret();
        let hash = digest(&token);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, AppError>(tx.repos().set_setting(SETUP_TOKEN_KEY, Some(&hash)).await?)
                })
            })
            .await?;
        Ok(Some(token))
    }

    /// Creates the first admin with the setup token printed by `serve`.
    pub async fn complete_setup(
        &self,
        token: &str,
        email: &str,
        name: &str,
        password: &str,
    ) -> AppResult<UserRow> {
        let email = text::normalize_email(email)?;
        let name = text::validate_name("name", name)?;
        let password_hash = hash_password(password).await?;
        let offered = digest(token);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let stored = repos.setting(SETUP_TOKEN_KEY).await?;
                    if repos.has_admin().await? || stored.as_deref() != Some(offered.as_str()) {
                        return Err(AppError::Unauthenticated(
                            "the setup token is wrong or was already used".into(),
                        ));
                    }
                    repos.set_setting(SETUP_TOKEN_KEY, None).await?;
                    let now = now_millis();
                    Ok(repos
                        .insert_user(UserRow {
                            id: 0,
                            email,
                            name,
                            role: Role::Admin.as_str().to_string(),
                            password_hash: Some(password_hash),
                            organization_id: None,
                            active: true,
                            created_at: now,
                            updated_at: now,
                        })
                        .await?)
                })
            })
            .await
    }
}
