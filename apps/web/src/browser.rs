//! The browser: the api is the origin the app was loaded from, state in localStorage.

use dioxus::html::FileData;
use ui::{LocalFuture, Platform, PutError};
use web_sys::wasm_bindgen::JsCast;

/// The browser: the api is the origin the app was loaded from.
pub struct Browser;

impl Platform for Browser {
    fn api_base(&self) -> String {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_else(|| "http://localhost:8080".to_owned())
    }

    fn load(&self, key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }

    fn read_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
    ) -> LocalFuture<Result<Vec<u8>, String>> {
        let blob = file
            .inner()
            .downcast_ref::<web_sys::File>()
            .map(|f| f.slice_with_f64_and_f64(start as f64, end as f64));
        Box::pin(async move {
            let blob = blob
                .ok_or("the browser gave no file")?
                .map_err(|e| format!("could not read the file: {e:?}"))?;
            let buf = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
                .await
                .map_err(|e| format!("could not read the file: {e:?}"))?;
            Ok(js_sys::Uint8Array::new(&buf).to_vec())
        })
    }

    fn put_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
        url: &str,
    ) -> LocalFuture<Result<String, PutError>> {
        // A slice of the File is a Blob the network stack reads from disk itself: the part
        // never passes through the page's memory.
        let blob = file
            .inner()
            .downcast_ref::<web_sys::File>()
            .map(|f| f.slice_with_f64_and_f64(start as f64, end as f64));
        let url = url.to_owned();
        Box::pin(async move {
            let blob = blob
                .ok_or_else(|| PutError::Read("the browser gave no file".into()))?
                .map_err(|e| PutError::Read(format!("could not read the file: {e:?}")))?;
            let init = web_sys::RequestInit::new();
            init.set_method("PUT");
            init.set_body(&blob);
            let window = web_sys::window().ok_or_else(|| PutError::Retry("no window".into()))?;
            let response =
                wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(&url, &init))
                    .await
                    .map_err(|e| PutError::Retry(format!("the part could not be sent: {e:?}")))?;
            let response: web_sys::Response = response
                .dyn_into()
                .map_err(|_| PutError::Retry("fetch gave no response".into()))?;
            let status = response.status();
            if status >= 500 || status == 429 {
                return Err(PutError::Retry(format!("HTTP {status}")));
            }
            if !response.ok() {
                return Err(PutError::Refused(format!(
                    "the server refused a part (HTTP {status})"
                )));
            }
            response
                .headers()
                .get("etag")
                .ok()
                .flatten()
                .ok_or_else(|| PutError::Retry("the server sent no ETag".into()))
        })
    }

    fn sleep(&self, ms: u32) -> LocalFuture<()> {
        let timer = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ =
                    w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
            }
        });
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
        })
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn save(&self, key: &str, value: Option<&str>) {
        if let Some(s) = storage() {
            let _ = match value {
                Some(v) => s.set_item(key, v),
                None => s.remove_item(key),
            };
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
