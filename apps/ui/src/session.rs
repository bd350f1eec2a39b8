//! Who is signed in: the bearer token, kept by the platform across restarts.

use crate::{PlatformHandle, Route, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{Me, MeQuery};

/// The signed-in session, shared through context.
#[derive(Clone, Copy)]
pub struct Session {
    pub token: Signal<Option<String>>,
    /// The last token stopped working (expired or revoked): the sign-in page says so.
    pub expired: Signal<bool>,
}

impl Session {
    /// Reads the stored token and provides the session to the whole app.
    pub fn provide(platform: &PlatformHandle) -> Session {
        let stored = platform.0.load_token();
        use_context_provider(|| Session {
            token: Signal::new(stored),
            expired: Signal::new(false),
        })
    }

    pub fn get() -> Session {
        use_context::<Session>()
    }

    /// Remembers a new token (or forgets it with `None`).
    pub fn set(mut self, platform: &PlatformHandle, token: Option<String>) {
        platform.0.save_token(token.as_deref());
        if token.is_some() {
            self.expired.set(false);
        }
        self.token.set(token);
    }

    /// The api no longer accepts the token: forget it and say so.
    pub fn expire(mut self, platform: &PlatformHandle) {
        if self.token.peek().is_some() {
            self.set(platform, None);
            self.expired.set(true);
        }
    }

    /// A client signed in as this session, if it is.
    pub fn client(&self, platform: &PlatformHandle) -> Option<shared::client::Client> {
        let token = self.token.read().clone()?;
        Some(shared::client::connect(
            &platform.0.api_base(),
            Some(&token),
        ))
    }
}

/// The sign-in page, returning to `back` once signed in.
pub fn sign_in_then(back: &Route) -> Route {
    Route::SignIn {
        next: back.to_string(),
        code: None,
    }
}

/// Where a sign-in page's `next` may send the viewer: a page of this app, never elsewhere.
pub fn return_route(next: &str) -> Route {
    let next = next.trim();
    let inside = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    match next.parse::<Route>() {
        Ok(r) if inside && !matches!(r, Route::SignIn { .. } | Route::NotFound { .. }) => r,
        _ => Route::Home {},
    }
}

/// For pages of signed-in viewers: a signed-out one is sent to sign in, and back here after.
/// Returns whether the viewer is signed in.
pub fn use_signed_in(here: Route) -> bool {
    let session = Session::get();
    use_effect(move || {
        if session.token.read().is_none() {
            navigator().replace(sign_in_then(&here));
        }
    });
    session.token.read().is_some()
}

/// A page whose query was refused for want of a valid session ends the session, which sends
/// the viewer to sign in and back.
pub fn use_expiry<T: 'static>(result: ReadSignal<Option<Result<T, crate::gql::Failure>>>) {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    use_effect(move || {
        if let Some(Err(e)) = &*result.read()
            && e.signed_out()
        {
            session.expire(&platform);
        }
    });
}

/// The signed-in account (None when signed out), asked once per token; a stored token the
/// api no longer knows (expired, revoked) ends the session.
pub fn use_me() -> Resource<Result<Option<Me>, gql::Failure>> {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let me = use_resource({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let token = session.token.read().clone();
            async move {
                match token {
                    None => Ok(None),
                    t => gql::run(&platform, t, MeQuery::build(()))
                        .await
                        .map(|q| q.me),
                }
            }
        }
    });
    use_effect(move || {
        if let Some(Ok(None)) = &*me.read()
            && session.token.peek().is_some()
        {
            session.expire(&platform);
        }
    });
    me
}
