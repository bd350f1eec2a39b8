//! The committed OpenAPI spec and GraphQL schema match the code; a stale file is rewritten
//! and the test fails, so the diff shows up in review.

fn check(path: &str, fresh: &str) {
    // Where cargo runs this test from, not where it was compiled: one target directory
    // serves every clone, and a test built in another clone is reused as it is.
    let full = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap())
        .join("..")
        .join(path);
    let committed = std::fs::read_to_string(&full).unwrap_or_default();
    if committed != fresh {
        std::fs::write(&full, fresh).unwrap();
        panic!(
            "{path} was stale and has been rewritten; rebuild and commit it (cargo xtask codegen)"
        );
    }
}

#[test]
fn openapi_spec_is_fresh() {
    check("openapi/kino.openapi.json", &api::openapi_json());
}

#[test]
fn graphql_schema_is_fresh() {
    check("openapi/schema.graphql", &api::graphql_sdl());
}

#[test]
fn every_operation_has_an_operation_id() {
    let spec: serde_json::Value = serde_json::from_str(&api::openapi_json()).unwrap();
    let mut ids = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            ids.push(id.to_owned());
        }
    }
    for expected in [
        "signup",
        "login",
        "logout",
        "get_me",
        "create_upload",
        "get_upload",
        "complete_upload",
        "abort_upload",
        "list_videos",
        "get_video",
        "update_video",
        "delete_video",
        "register_worker",
        "lease_job",
        "heartbeat_job",
        "complete_job",
        "fail_job",
    ] {
        assert!(
            ids.iter().any(|i| i == expected),
            "missing operation {expected}"
        );
    }
}
