//! Registers the committed GraphQL schema with cynic so the `client` feature can derive typed
//! queries from it. Regenerate the schema with `cargo xtask codegen`.
fn main() {
    println!("cargo:rerun-if-changed=../openapi/schema.graphql");
    cynic_codegen::register_schema("kino")
        .from_sdl_file("../openapi/schema.graphql")
        .expect("openapi/schema.graphql must exist")
        .as_default()
        .expect("schema registers");
}
