//! The Kino web app: mounts the shared UI in the browser, against the api that served it, or
//! in the desktop app's webview, against the server the user chose there.

mod browser;
mod desktop;

use dioxus::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use ui::{App, Platform, PlatformHandle};

thread_local! {
    static PLATFORM: RefCell<Option<Rc<dyn Platform>>> = const { RefCell::new(None) };
}

#[component]
fn Root() -> Element {
    use_context_provider(|| {
        let platform = PLATFORM.with(|p| p.borrow().clone());
        PlatformHandle(platform.unwrap_or_else(|| Rc::new(browser::Browser)))
    });
    rsx! { App {} }
}

fn main() {
    if desktop::present() {
        // The app's settings come from the native side before anything is drawn.
        wasm_bindgen_futures::spawn_local(async {
            match desktop::Desktop::start().await {
                Ok(d) => {
                    PLATFORM.with(|p| *p.borrow_mut() = Some(Rc::new(d)));
                    dioxus::launch(Root);
                }
                Err(e) => desktop::fail(&e),
            }
        });
    } else {
        dioxus::launch(Root);
    }
}
