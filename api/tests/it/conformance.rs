//! Every REST answer a test app sends is checked against the published OpenAPI document:
//! the status must be one the operation declares, the content type one it names, and the JSON
//! body must fit the declared schema (no `null` where the schema has no `nullable`, every
//! required field present, types and enums as declared). Generated clients in stricter
//! languages break on exactly these differences.
//!
//! The checker covers the subset of OpenAPI 3.0 that poem-openapi emits: `$ref`, `allOf`,
//! `oneOf`/`anyOf`, `type`, `properties`, `required`, `items`, `enum`, `nullable` and
//! `additionalProperties`.

use poem::http::{Method, StatusCode};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// The spec and the violations seen so far.
pub struct Conformance {
    spec: Value,
    pub violations: Mutex<Vec<String>>,
}

impl Conformance {
    pub fn new() -> Arc<Self> {
        Arc::new(Conformance {
            spec: serde_json::from_str(&api::openapi_json()).expect("the spec is JSON"),
            violations: Mutex::new(Vec::new()),
        })
    }

    /// The observer to hand to `Application::observe_responses`.
    pub fn observer(self: &Arc<Self>) -> api::rest::ResponseObserver {
        let me = self.clone();
        Arc::new(move |method, path, status, content_type, body| {
            if let Err(e) = me.check(method, path, status, content_type, body) {
                me.violations.lock().unwrap().push(e);
            }
        })
    }

    /// Checks one answer; `Ok` also for paths that are no operation (poem's 404s).
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let Some((template, op)) = self.operation(method, path) else {
            return Ok(());
        };
        let what = format!("{method} {path} ({template}) answered {status}");
        let responses = &op["responses"];
        let Some(declared) = responses
            .get(status.as_str())
            .or_else(|| responses.get("default"))
        else {
            return Err(format!(
                "{what}, which the spec does not declare: {}",
                String::from_utf8_lossy(body)
            ));
        };
        let Some(content) = declared.get("content").and_then(Value::as_object) else {
            return Ok(());
        };
        let media = content_type.map(|c| c.split(';').next().unwrap_or("").trim());
        let schema = content.iter().find_map(|(k, v)| {
            (Some(k.split(';').next().unwrap_or("").trim()) == media).then_some(&v["schema"])
        });
        let Some(schema) = schema else {
            return Err(format!(
                "{what} with content type {content_type:?}; the spec names {:?}",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if media != Some("application/json") {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{what} with a body that is not JSON: {e}"))?;
        let mut errors = Vec::new();
        self.validate(schema, &value, "$", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {}; body {value}", errors.join("; ")))
        }
    }

    fn operation(&self, method: &Method, path: &str) -> Option<(&str, &Value)> {
        let method = method.as_str().to_ascii_lowercase();
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.spec["paths"]
            .as_object()?
            .iter()
            .find_map(|(template, ops)| {
                let t: Vec<&str> = template.split('/').collect();
                let fits = t.len() == segments.len()
                    && t.iter()
                        .zip(&segments)
                        .all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()));
                fits.then(|| ops.get(&method).map(|op| (template.as_str(), op)))
                    .flatten()
            })
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                self.resolve(&self.spec["components"]["schemas"][name])
            }
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() {
            if schema.get("nullable") != Some(&Value::Bool(true)) {
                errors.push(format!("{at} is null where the schema is not nullable"));
            }
            return;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.validate(s, value, at, errors);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(any) = schema.get(key).and_then(Value::as_array) {
                let fits = any.iter().any(|s| {
                    let mut e = Vec::new();
                    self.validate(s, value, at, &mut e);
                    e.is_empty()
                });
                if !fits {
                    errors.push(format!("{at} fits none of its {key} schemas"));
                }
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            errors.push(format!("{at} = {value} is not one of {options:?}"));
        }
        let ty = schema.get("type").and_then(Value::as_str);
        let fits = match ty {
            None => true,
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some(_) => true,
        };
        if !fits {
            errors.push(format!(
                "{at} = {value} is not of type {}",
                ty.unwrap_or("")
            ));
            return;
        }
        if let Some(obj) = value.as_object() {
            self.validate_object(schema, obj, at, errors);
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), errors);
            }
        }
    }

    fn validate_object(
        &self,
        schema: &Value,
        obj: &Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(req) {
                errors.push(format!("{at}.{req} is required but missing"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.validate(s, v, &format!("{at}.{k}"), errors),
                None => {
                    if let Some(extra) = schema.get("additionalProperties")
                        && extra.is_object()
                    {
                        self.validate(extra, v, &format!("{at}.{k}"), errors);
                    }
                }
            }
        }
    }
}

#[test]
fn the_checker_finds_what_a_strict_client_would_refuse() {
    let c = Conformance::new();
    let ok = br#"{"items": [], "next_cursor": "abc"}"#;
    let json = Some("application/json; charset=utf-8");
    let get = Method::GET;
    assert_eq!(
        c.check(&get, "/api/v1/videos", StatusCode::OK, json, ok),
        Ok(())
    );
    let null = br#"{"items": [], "next_cursor": null}"#;
    let e = c
        .check(&get, "/api/v1/videos", StatusCode::OK, json, null)
        .unwrap_err();
    assert!(e.contains("next_cursor is null"), "{e}");
    let missing = br#"{"next_cursor": "abc"}"#;
    let e = c
        .check(&get, "/api/v1/videos", StatusCode::OK, json, missing)
        .unwrap_err();
    assert!(e.contains("items is required"), "{e}");
    let e = c
        .check(&get, "/api/v1/videos", StatusCode::IM_A_TEAPOT, json, ok)
        .unwrap_err();
    assert!(e.contains("does not declare"), "{e}");
    let e = c
        .check(
            &get,
            "/api/v1/videos/abc",
            StatusCode::NOT_FOUND,
            json,
            b"{\"code\": 1}",
        )
        .unwrap_err();
    assert!(e.contains("$.code = 1 is not of type string"), "{e}");
    // Not an operation: poem's own 404 for an unknown route is not the spec's business.
    assert_eq!(
        c.check(&get, "/api/v1/nope", StatusCode::NOT_FOUND, json, b"{}"),
        Ok(())
    );
}

/// What poem refuses before any handler runs gets a code from the table and a status the
/// spec declares: a JSON body sent without `Content-Type` (415), and JSON that does not parse
/// (400).
#[tokio::test]
async fn bodies_refused_before_a_handler_runs_get_declared_answers() {
    let app = crate::helpers::spawn_app(0).await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/auth/login", app.base);
    let r = http
        .post(&url)
        .body(r#"{"email": "a@example.com", "password": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_media_type", "{body}");
    let r = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_request", "{body}");
    // Dropping the app checks both answers against the spec.
}
