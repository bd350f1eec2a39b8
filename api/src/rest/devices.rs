//! Signing a TV in by code (RFC 8628's device flow): the TV starts and polls, a signed-in
//! viewer approves on `/activate`.

use crate::error::ApiResult;
use crate::identity::devices;
use crate::rest::ApiTags;
use crate::rest::auth::{AuthResponse, UserAuth};
use crate::state::AppState;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StartDeviceSignInRequest {
    /// What the viewer approving it is shown, e.g. "Living room TV" (at most 60 characters).
    pub name: Option<String>,
}

/// What the TV keeps (`device_code`) and shows (`user_code` and where to enter it).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeviceSignIn {
    /// Secret: the TV polls with it.
    pub device_code: String,
    /// Shown on the TV, e.g. `BCDF-GHJK`; entered on `verification_uri`.
    pub user_code: String,
    /// Where a signed-in viewer enters the code (this server's `/activate`).
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code).
    pub verification_uri_complete: String,
    /// Seconds the codes last.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

#[derive(ApiResponse)]
pub enum Started {
    /// Show `user_code` and `verification_uri`, and poll.
    #[oai(status = 201)]
    Created(Json<DeviceSignIn>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PollDeviceSignInRequest {
    pub device_code: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApproveDeviceRequest {
    /// The code the TV shows (case, spaces and dashes do not matter).
    pub user_code: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeviceApproved {
    /// The name the TV gave itself.
    pub name: String,
}

pub struct DevicesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Accounts")]
impl DevicesApi {
    /// Start signing a TV in: a code to show and a device code to poll with.
    #[oai(
        path = "/devices/sign-in",
        method = "post",
        operation_id = "start_device_sign_in"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<StartDeviceSignInRequest>,
    ) -> ApiResult<Started> {
        state
            .limits
            .device_start(state.client_key(req).as_deref())?;
        let started = devices::start(
            &state.db,
            body.name.as_deref().unwrap_or_default(),
            state.settings.device_code_lifetime_s,
        )
        .await?;
        let (verification_uri, verification_uri_complete) =
            started.verification_uris(&crate::rest::base_url(&state, req));
        Ok(Started::Created(Json(DeviceSignIn {
            verification_uri,
            verification_uri_complete,
            device_code: started.device_code,
            user_code: started.user_code,
            expires_in: started.expires_in,
            interval: started.interval,
        })))
    }

    /// Poll a TV's sign-in: the session once a viewer approved it (given once), else
    /// `authorization_pending`, `slow_down`, `expired_token` or `invalid_grant`.
    #[oai(
        path = "/devices/token",
        method = "post",
        operation_id = "poll_device_sign_in"
    )]
    async fn poll(
        &self,
        state: Data<&AppState>,
        body: Json<PollDeviceSignInRequest>,
    ) -> ApiResult<Json<AuthResponse>> {
        let (token, user) = devices::poll(&state.db, &body.device_code).await?;
        Ok(Json(AuthResponse {
            token,
            user: user.into(),
        }))
    }

    /// Approve the TV showing `user_code`: it is signed in as the caller.
    #[oai(
        path = "/devices/approve",
        method = "post",
        operation_id = "approve_device"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: UserAuth,
        body: Json<ApproveDeviceRequest>,
    ) -> ApiResult<Json<DeviceApproved>> {
        state
            .limits
            .code_entry(state.client_key(req).as_deref(), &auth.0.id)?;
        let name = devices::approve(&state.db, &auth.0, &body.user_code).await?;
        Ok(Json(DeviceApproved { name }))
    }
}
