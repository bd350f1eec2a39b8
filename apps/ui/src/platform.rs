//! What the UI needs from the platform it runs on.

use std::rc::Rc;

/// Capabilities that differ between the browser, the TV shell and the native apps.
pub trait Platform {
    /// Absolute base URL of the api, without a trailing slash.
    fn api_base(&self) -> String;
}

/// A shareable handle to the platform, provided as Dioxus context by each launcher.
#[derive(Clone)]
pub struct PlatformHandle(pub Rc<dyn Platform>);

impl PlatformHandle {
    /// A REST client for the api.
    pub fn client(&self) -> shared::client::Client {
        shared::client::connect(&self.0.api_base(), None)
    }
}
