//! Who is signed in: the bearer token, kept by the platform across restarts.

use crate::PlatformHandle;
use dioxus::prelude::*;

const TOKEN_KEY: &str = "kino.token";

/// The signed-in session, shared through context.
#[derive(Clone, Copy)]
pub struct Session {
    pub token: Signal<Option<String>>,
}

impl Session {
    /// Reads the stored token and provides the session to the whole app.
    pub fn provide(platform: &PlatformHandle) -> Session {
        let stored = platform.0.load(TOKEN_KEY);
        use_context_provider(|| Session {
            token: Signal::new(stored),
        })
    }

    pub fn get() -> Session {
        use_context::<Session>()
    }

    /// Remembers a new token (or forgets it with `None`).
    pub fn set(mut self, platform: &PlatformHandle, token: Option<String>) {
        platform.0.save(TOKEN_KEY, token.as_deref());
        self.token.set(token);
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
