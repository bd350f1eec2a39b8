//! Writes, with the same rules and error codes as their REST twins.

use super::types::*;
use super::{gql_error, signed_in, state};
use crate::catalog::videos::{self, Patch};
use crate::identity::devices;
use crate::{catalog::moderation, library};
use async_graphql::{Context, ID, InputObject, Object};
use shared::Visibility;

/// Metadata changes; absent fields stay as they are.
#[derive(InputObject)]
#[graphql(name = "VideoInput")]
pub struct GqlVideoInput {
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
    /// Replaces the genres (lower-cased, at most 20).
    pub genres: Option<Vec<String>>,
    /// Replaces the tags (lower-cased, at most 20).
    pub tags: Option<Vec<String>>,
    /// Who may see it.
    pub visibility: Option<Visibility>,
    /// Which poster candidate to show: an index into `Playback.posterOptions`.
    pub poster: Option<u32>,
}

/// Changes on behalf of the signed-in account.
pub struct Mutation;

/// Changes on behalf of the signed-in account.
#[Object]
impl Mutation {
    /// Edit a video's metadata (owner or admin).
    async fn update_video(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: GqlVideoInput,
    ) -> async_graphql::Result<GqlVideo> {
        let user = signed_in(ctx)?;
        let db = &state(ctx).db;
        let v = videos::get_managed(db, &id, user)
            .await
            .map_err(gql_error)?;
        let patch = Patch {
            title: input.title,
            description: input.description.map(Some),
            genres: input.genres,
            tags: input.tags,
            visibility: input.visibility,
            poster: input.poster,
        };
        let v = videos::update(db, &v, patch).await.map_err(gql_error)?;
        state(ctx).cache.forget_video(&v.id).await;
        Ok(GqlVideo(v))
    }

    /// Delete a video (owner or admin): it disappears at once; its files are removed.
    async fn delete_video(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let user = signed_in(ctx)?;
        let s = state(ctx);
        let v = videos::get_managed(&s.db, &id, user)
            .await
            .map_err(gql_error)?;
        crate::ingest::removal::delete_video(&s.db, &s.store, &v, s.settings.job_lease_s)
            .await
            .map_err(gql_error)?;
        s.cache.forget_video(&v.id).await;
        Ok(id)
    }

    /// Hide a video (admins): it leaves the catalogue and its links stop working for everyone
    /// but its owner and admins, who see the reason.
    async fn hide_video(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why, in words the owner can act on (1 to 500 characters).")]
        reason: String,
    ) -> async_graphql::Result<GqlVideo> {
        let user = signed_in(ctx)?;
        let v = moderation::hide(&state(ctx).db, user, &id, &reason)
            .await
            .map_err(gql_error)?;
        state(ctx).cache.forget_video(&v.id).await;
        Ok(GqlVideo(v))
    }

    /// Queue a dead-lettered job again, with a fresh set of attempts (admins; any other job
    /// is refused with `job_not_dead`).
    async fn retry_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let user = signed_in(ctx)?;
        crate::queue::jobs::retry_dead(&state(ctx).db, user, &id)
            .await
            .map_err(gql_error)?;
        state(ctx).job_wake.notify_waiters();
        Ok(true)
    }

    /// Restore a hidden video (admins).
    async fn restore_video(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<GqlVideo> {
        let user = signed_in(ctx)?;
        let v = moderation::restore(&state(ctx).db, user, &id)
            .await
            .map_err(gql_error)?;
        state(ctx).cache.forget_video(&v.id).await;
        Ok(GqlVideo(v))
    }

    /// Put a video on the watchlist (again is fine).
    async fn add_to_watchlist(
        &self,
        ctx: &Context<'_>,
        video_id: ID,
    ) -> async_graphql::Result<bool> {
        let user = signed_in(ctx)?;
        let db = &state(ctx).db;
        let v = videos::get_visible(db, &video_id, Some(user))
            .await
            .map_err(gql_error)?;
        library::add_to_watchlist(db, user, &v)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Take a video off the watchlist (absent is fine).
    async fn remove_from_watchlist(
        &self,
        ctx: &Context<'_>,
        video_id: ID,
    ) -> async_graphql::Result<bool> {
        let user = signed_in(ctx)?;
        library::remove_from_watchlist(&state(ctx).db, user, &video_id)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Report how far the viewer got in a video (players call this every few seconds).
    async fn report_progress(
        &self,
        ctx: &Context<'_>,
        video_id: ID,
        #[graphql(desc = "Seconds from the start.")] position_s: f64,
    ) -> async_graphql::Result<GqlProgress> {
        let user = signed_in(ctx)?;
        let db = &state(ctx).db;
        let v = videos::get_visible(db, &video_id, Some(user))
            .await
            .map_err(gql_error)?;
        let p = library::report(db, user, &v, position_s)
            .await
            .map_err(gql_error)?;
        Ok(GqlProgress::new(&p, &v))
    }

    /// Start signing a TV in by code (RFC 8628): show `userCode` and `verificationUri`,
    /// then poll `pollDeviceSignIn` every `interval` seconds.
    async fn start_device_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the approving viewer is shown, e.g. \"Living room TV\".")]
        name: Option<String>,
    ) -> async_graphql::Result<GqlDeviceSignIn> {
        let s = state(ctx);
        s.limits
            .device_start(super::client_key(ctx))
            .map_err(gql_error)?;
        let started = devices::start(
            &s.db,
            name.as_deref().unwrap_or_default(),
            s.settings.device_code_lifetime_s,
        )
        .await
        .map_err(gql_error)?;
        let base = ctx
            .data_opt::<super::BaseUrl>()
            .map_or("", |b| b.0.as_str());
        let (verification_uri, verification_uri_complete) = started.verification_uris(base);
        Ok(GqlDeviceSignIn {
            verification_uri,
            verification_uri_complete,
            device_code: started.device_code,
            user_code: started.user_code,
            expires_in: started.expires_in,
            interval: started.interval,
        })
    }

    /// Poll a TV's sign-in: the session once a viewer approved it (given once); until then
    /// an error with code `authorization_pending`, `slow_down`, `expired_token` or
    /// `invalid_grant`.
    async fn poll_device_sign_in(
        &self,
        ctx: &Context<'_>,
        device_code: String,
    ) -> async_graphql::Result<GqlSession> {
        let (token, user) = devices::poll(&state(ctx).db, &device_code)
            .await
            .map_err(gql_error)?;
        Ok(GqlSession {
            token,
            user: user.into(),
        })
    }

    /// Approve the TV showing `userCode`: it is signed in as the caller. Returns the name the
    /// TV gave itself.
    async fn approve_device(
        &self,
        ctx: &Context<'_>,
        user_code: String,
    ) -> async_graphql::Result<String> {
        let user = signed_in(ctx)?;
        let s = state(ctx);
        s.limits
            .code_entry(super::client_key(ctx), &user.id)
            .map_err(gql_error)?;
        devices::approve(&s.db, user, &user_code)
            .await
            .map_err(gql_error)
    }
}
