//! `surreal start …`: the SurrealDB community server, for tests that need one database shared
//! by several processes.
#![recursion_limit = "256"]

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_core::CommunityComposer())
}
