//! The test server starts, answers its health check and serves SQL. (Also what makes
//! `cargo test` build the `surreal` binary the replica tests run.)

#[test]
fn the_server_starts_and_answers_sql() {
    // SAFETY: set before any other thread of this test binary starts.
    unsafe { std::env::set_var("KINO_SURREAL_BIN", env!("CARGO_BIN_EXE_surreal")) };
    let server = testkit::surreal::Surreal::start();
    let out = std::process::Command::new("curl")
        .args(["-sS", "-u", "root:root", "-H", "Accept: application/json"])
        .args(["-H", "surreal-ns: health", "-H", "surreal-db: main"])
        .args(["--data", "RETURN 1 + 1"])
        .arg(format!("http://127.0.0.1:{}/sql", server.port))
        .output()
        .expect("curl runs");
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(body.contains("\"result\":2"), "{body}");
}
