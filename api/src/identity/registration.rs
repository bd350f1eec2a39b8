//! Who may create an account and with which role: the registration mode, invitations from
//! admins, and the one-time setup token that makes the first admin.
//!
//! The first admin is not whoever signs up first (on a public address that is a race anyone
//! can win) but whoever holds the token the server prints at start-up. Spending the token or
//! an invitation and creating the account happen in one transaction: racing sign-ups with the
//! same code conflict on its record, and only one of them finds it.

use crate::config::Registration;
use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::{self, User};
use serde::Deserialize;
use shared::Role;

/// How long an invitation stays usable.
pub const INVITE_DAYS: i64 = 7;

/// The install's admission rules.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    pub registration: Registration,
    pub role: Role,
}

/// A sign-up form.
pub struct Signup<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub display_name: &'a str,
    /// An invitation code, or the setup token.
    pub code: Option<&'a str>,
}

/// Creates an account: the setup token makes it an admin, an invitation (or open
/// registration) gives it the install's role for new accounts.
pub async fn signup(db: &Db, form: Signup<'_>, admission: Admission) -> Result<User, ApiError> {
    let (email, display_name) =
        accounts::check_signup(form.email, form.password, form.display_name)?;
    let code = form.code.map(str::trim).filter(|c| !c.is_empty());
    if code.is_none() {
        // Refused before the costly hash.
        admits_without_code(admission.registration)?;
    }
    let hash = accounts::hash_off_thread(form.password).await?;
    let id = ulid::Ulid::new().to_string();
    #[derive(Deserialize)]
    struct Outcome {
        role: Option<Role>,
    }
    let outcome: Outcome = db::retry_conflicts(|| async {
        let mut resp = db
            .query(
                "BEGIN TRANSACTION;
                 LET $setup = IF $has_code {
                     (DELETE type::record('config', 'setup') WHERE token = $code RETURN BEFORE)
                 } ELSE { [] };
                 LET $invite = IF $has_code AND array::len($setup) = 0 AND $mode != 'closed' {
                     (DELETE type::record('invite', $code_hash) WHERE expires_at > $now RETURN BEFORE)
                 } ELSE { [] };
                 LET $granted = IF array::len($setup) > 0 { 'admin' }
                     ELSE IF array::len($invite) > 0 { $new_role }
                     ELSE IF !$has_code AND $mode = 'open' { $new_role }
                     ELSE { NONE };
                 IF $granted != NONE {
                     CREATE type::record('user', $id) SET email = $email, display_name = $name,
                         password_hash = $hash, role = $granted, created_at = $now
                 };
                 RETURN { role: $granted };
                 COMMIT TRANSACTION;",
            )
            .bind(("has_code", code.is_some()))
            .bind(("code", code.unwrap_or_default().to_owned()))
            .bind(("code_hash", accounts::token_hash(code.unwrap_or_default())))
            .bind(("mode", mode_name(admission.registration)))
            .bind(("new_role", admission.role.as_str()))
            .bind(("id", id.clone()))
            .bind(("email", email.clone()))
            .bind(("name", display_name.to_owned()))
            .bind(("hash", hash.clone()))
            .bind(("now", db::now()))
            .await?;
        let errors = db::errors(&mut resp);
        if errors.iter().any(|e| {
            let msg = e.to_string();
            msg.contains("user_email") || msg.contains("already contains")
        }) {
            return Err(ApiError::new(
                Code::EmailTaken,
                "an account with that email exists",
            ));
        }
        if let Some(e) = db::first_failure(errors) {
            return Err(e.into());
        }
        let n = resp.num_statements();
        let outcome: Option<Outcome> =
            db::first(&mut resp, n - 1).or_else(|_| db::first(&mut resp, n - 2))?;
        outcome.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("sign-up said nothing")))
    })
    .await?;
    if outcome.role.is_none() {
        // A closed install says so whatever code was tried; elsewhere a code that did not
        // admit is a bad code.
        return Err(match (code, admits_without_code(admission.registration)) {
            (_, Err(closed)) if admission.registration == Registration::Closed => closed,
            (Some(_), _) => ApiError::new(
                Code::InvalidInvite,
                "that code is not valid: it was used already, has expired or was mistyped",
            ),
            (None, Err(e)) => e,
            (None, Ok(())) => ApiError::Internal(anyhow::anyhow!("an open sign-up was refused")),
        });
    }
    accounts::user_by_id(db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("user vanished")))
}

fn mode_name(r: Registration) -> &'static str {
    match r {
        Registration::Open => "open",
        Registration::Invite => "invite",
        Registration::Closed => "closed",
    }
}

/// Whether a sign-up without a code may go ahead.
fn admits_without_code(r: Registration) -> Result<(), ApiError> {
    match r {
        Registration::Open => Ok(()),
        Registration::Invite => Err(ApiError::new(
            Code::RegistrationClosed,
            "this install takes new accounts by invitation only: ask an admin for a code",
        )),
        Registration::Closed => Err(ApiError::new(
            Code::RegistrationClosed,
            "this install does not take new accounts",
        )),
    }
}

/// The setup token while the install has no admin (`None` once it has one). A configured
/// token replaces a stored one; otherwise the first replica to start stores a random one and
/// every replica prints that.
pub async fn setup_token(db: &Db, configured: Option<&str>) -> anyhow::Result<Option<String>> {
    let mut r = db
        .query("SELECT count() AS n FROM user WHERE role = 'admin' GROUP ALL")
        .await?;
    let admins: Option<serde_json::Value> = db::first(&mut r, 0)?;
    if admins.and_then(|v| v["n"].as_u64()).unwrap_or(0) > 0 {
        return Ok(None);
    }
    match configured {
        Some(t) => {
            db.query("UPSERT type::record('config', 'setup') SET token = $t")
                .bind(("t", t.to_owned()))
                .await?
                .check()?;
        }
        None => {
            // Two replicas starting together race here; the loser's CREATE fails and both
            // read the winner's token.
            let _ = db
                .query("CREATE type::record('config', 'setup') SET token = $t")
                .bind(("t", accounts::random_token()))
                .await;
        }
    }
    let mut r = db
        .query("SELECT VALUE token FROM type::record('config', 'setup')")
        .await?;
    let token: Option<String> = db::first(&mut r, 0)?;
    Ok(token)
}

/// A new invitation: the code to hand over and when it stops working.
pub struct Invite {
    pub code: String,
    pub expires_at: String,
}

/// Issues a single-use invitation (admins only). Only the code's hash is kept.
pub async fn create_invite(db: &Db, by: &User) -> Result<Invite, ApiError> {
    if by.role != Role::Admin {
        return Err(ApiError::forbidden("only admins invite"));
    }
    let code = accounts::random_token();
    let expires_at = db::ts(chrono::Utc::now() + chrono::Duration::days(INVITE_DAYS));
    db.query(
        "CREATE type::record('invite', $h) SET created_by = $by, created_at = $now, expires_at = $exp",
    )
    .bind(("h", accounts::token_hash(&code)))
    .bind(("by", by.id.clone()))
    .bind(("now", db::now()))
    .bind(("exp", expires_at.clone()))
    .await?
    .check()?;
    Ok(Invite { code, expires_at })
}
