//! Sign-up, sign-in, sign-out and the current user; the bearer security schemes.

use crate::error::{ApiError, ApiResult, Code, ErrorResponse};
use crate::identity::accounts::{self, User};
use crate::identity::registration;
use crate::rest::ApiTags;
use crate::state::AppState;
use poem::Request;
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme};
use shared::Role;

/// A signed-in user (`Authorization: Bearer <token>` from `signup` or `login`).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_user")]
pub struct UserAuth(pub User);

async fn check_user(req: &Request, bearer: Bearer) -> poem::Result<User> {
    let state = req
        .data::<AppState>()
        .expect("state is attached to every route");
    match state.sessions.authenticate(&state.db, &bearer.token).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(poem::Error::from_string(
            "invalid or expired token",
            poem::http::StatusCode::UNAUTHORIZED,
        )),
        Err(e) => Err(poem::Error::from_string(e.to_string(), e.status())),
    }
}

/// A signed-in user, or nobody.
#[derive(SecurityScheme)]
pub enum MaybeUser {
    User(UserAuth),
    #[oai(fallback)]
    Anonymous,
}

impl MaybeUser {
    pub fn user(&self) -> Option<&User> {
        match self {
            MaybeUser::User(UserAuth(u)) => Some(u),
            MaybeUser::Anonymous => None,
        }
    }
}

/// An account as clients see it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none, rename = "User")]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// An admin's invitation code (needed when the install takes accounts by invitation), or
    /// the one-time setup token `kino` prints while the install has no admin, which makes
    /// this account the admin.
    pub invite_code: Option<String>,
}

/// A single-use invitation to create an account.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none, rename = "Invite")]
pub struct InviteDto {
    /// The code the new account signs up with (`invite_code`); shown once.
    pub code: String,
    pub expires_at: String,
}

#[derive(ApiResponse)]
pub enum InviteResponse {
    /// Invitation created.
    #[oai(status = 201)]
    Created(Json<InviteDto>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A password change: the current password proves it is the owner; the new one (at least 8
/// characters, at most 1024 bytes) replaces it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SetRoleRequest {
    pub role: Role,
}

/// One page of accounts.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserPage {
    pub items: Vec<UserDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuthResponse {
    /// Bearer token for `Authorization: Bearer ...`.
    pub token: String,
    pub user: UserDto,
}

#[derive(ApiResponse)]
pub enum SignupResponse {
    /// Account created and signed in.
    #[oai(status = 201)]
    Created(Json<AuthResponse>),
}

#[derive(ApiResponse)]
pub enum Empty {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Accounts")]
impl AuthApi {
    /// Create an account and sign in.
    #[oai(path = "/auth/signup", method = "post", operation_id = "signup")]
    async fn signup(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<SignupRequest>,
    ) -> ApiResult<SignupResponse> {
        // Counted once the fields are valid, so typos do not use up the address's allowance,
        // and before the costly hash.
        accounts::check_signup(&body.email, &body.password, &body.display_name)?;
        state.limits.signup(state.client_key(req).as_deref())?;
        let form = registration::Signup {
            email: &body.email,
            password: &body.password,
            display_name: &body.display_name,
            code: body.invite_code.as_deref(),
        };
        let admission = registration::Admission {
            registration: state.settings.registration,
            role: state.settings.new_account_role,
        };
        let user = registration::signup(&state.db, form, admission).await?;
        let token = accounts::open_session(&state.db, &user.id).await?;
        Ok(SignupResponse::Created(Json(AuthResponse {
            token,
            user: user.into(),
        })))
    }

    /// Sign in with email and password.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<AuthResponse>> {
        let account = accounts::normalise_email(&body.email)
            .unwrap_or_else(|_| body.email.trim().to_lowercase());
        let address = state.client_key(req);
        // The attempt holds its place before the password is checked, so parallel guesses
        // cannot outrun the limit.
        let attempt = state.limits.sign_in(&account, address.as_deref())?;
        match accounts::login(&state.db, &body.email, &body.password).await {
            Ok((token, user)) => {
                attempt.succeeded();
                Ok(Json(AuthResponse {
                    token,
                    user: user.into(),
                }))
            }
            Err(e) => {
                if e.code() == Code::InvalidCredentials {
                    attempt.failed();
                }
                Err(e.into())
            }
        }
    }

    /// Change the password; every other session of the account is signed out.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: UserAuth,
        body: Json<ChangePasswordRequest>,
    ) -> ApiResult<Empty> {
        let token = crate::identity::sessions::bearer_token(req)
            .ok_or(ApiError::unauthenticated())
            .map_err(ErrorResponse::from)?;
        accounts::change_password(
            &state.db,
            &auth.0,
            &body.current_password,
            &body.new_password,
            token,
        )
        .await?;
        state.sessions.forget_user(&auth.0.id);
        Ok(Empty::NoContent)
    }

    /// Accounts, oldest first: every one, or those whose email or display name contains `q`
    /// and those of one role. Admins only.
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list_users(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        /// Part of the email or display name, in any case (at most 100 characters).
        q: Query<Option<String>>,
        /// Only accounts with this role.
        role: Query<Option<Role>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<UserPage>> {
        if auth.0.role != Role::Admin {
            return Err(ApiError::forbidden("only admins list accounts").into());
        }
        let filter = accounts::UserFilter {
            query: q.0,
            role: role.0,
        };
        let (users, next_cursor) = accounts::list_users(
            &state.db,
            &filter,
            cursor.0.as_deref(),
            limit.0.unwrap_or(50),
        )
        .await?;
        Ok(Json(UserPage {
            items: users.into_iter().map(UserDto::from).collect(),
            next_cursor,
        }))
    }

    /// Give an account another role (viewer, creator, admin). Admins only; the last admin
    /// cannot step down.
    #[oai(
        path = "/users/:user_id/role",
        method = "put",
        operation_id = "set_user_role"
    )]
    async fn set_role(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        user_id: Path<String>,
        body: Json<SetRoleRequest>,
    ) -> ApiResult<Json<UserDto>> {
        let user = accounts::set_role(&state.db, &auth.0, &user_id, body.role).await?;
        state.sessions.forget_user(&user.id);
        Ok(Json(user.into()))
    }

    /// Create a single-use invitation, valid for 7 days. Admins only.
    #[oai(path = "/invites", method = "post", operation_id = "create_invite")]
    async fn create_invite(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
    ) -> ApiResult<InviteResponse> {
        let invite = registration::create_invite(&state.db, &auth.0).await?;
        Ok(InviteResponse::Created(Json(InviteDto {
            code: invite.code,
            expires_at: invite.expires_at,
        })))
    }

    /// Revoke the token this request carries.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        req: &Request,
        _auth: UserAuth,
    ) -> ApiResult<Empty> {
        let token = crate::identity::sessions::bearer_token(req)
            .ok_or(ApiError::unauthenticated())
            .map_err(ErrorResponse::from)?;
        accounts::logout(&state.db, token).await?;
        state.sessions.forget(token).await;
        Ok(Empty::NoContent)
    }

    /// The signed-in user.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, auth: UserAuth) -> ApiResult<Json<UserDto>> {
        Ok(Json(auth.0.into()))
    }
}
