//! `kino-cli` against a real `kino` on a real S3 store (Garage): sign up, upload with resume
//! after the CLI is killed, follow a clip to published, list and inspect it.

use sha2::{Digest, Sha256};
use shared::store::ObjectStore;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use testkit::garage::Garage;
use testkit::kino;
use testkit::process::Guard;

const CLI: &str = env!("CARGO_BIN_EXE_kino-cli");
const MIB: usize = 1024 * 1024;

fn options(garage: &Garage, workers: u32) -> kino::Options {
    let env = garage.kino_env();
    kino::Options {
        workers,
        db: Some("mem://".into()),
        web_dir: None,
        env,
        listen: None,
    }
}

fn cli(home: &Path) -> Command {
    let mut c = Command::new(CLI);
    c.env("KINO_CLI_HOME", home)
        .env_remove("KINO_SERVER")
        .env_remove("KINO_PASSWORD");
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("kino-cli runs");
    eprintln!("kino-cli stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn signup(home: &Path, server: &str) {
    let out = run(cli(home).args([
        "signup",
        "--server",
        server,
        "--email",
        "creator@example.com",
        "--name",
        "Creator",
        "--password",
        "correct horse battery",
    ]));
    assert!(out.status.success());
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The upload the CLI remembers for its file, once it has started one.
fn remembered_upload(home: &Path) -> Option<String> {
    let dir = std::fs::read_dir(home.join("uploads")).ok()?;
    for entry in dir.flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            return v["upload_id"].as_str().map(str::to_owned);
        }
    }
    None
}

#[tokio::test]
async fn an_upload_killed_midway_resumes_where_it_stopped_and_arrives_intact() {
    let garage = Garage::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = kino::start(data.path(), &options(&garage, 0));
    let home = tempfile::tempdir().unwrap();
    signup(home.path(), &server.url);

    let file = data.path().join("long-take.mov");
    let bytes: Vec<u8> = (0..(48 * MIB + 999) as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.path().join("session.json")).unwrap())
            .unwrap();
    let api = shared::client::connect(&server.url, session["token"].as_str());

    // One part at a time at 16 MiB/s: about three seconds for the seven parts.
    let mut first = Guard(
        cli(home.path())
            .args(["upload", "--title", "Long take", "--parallel", "1"])
            .args(["--limit-rate", "16M"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let upload_id = loop {
        assert!(Instant::now() < deadline, "the upload never got going");
        if let Some(id) = remembered_upload(home.path()) {
            let st = api.get_upload(&id).await.unwrap().into_inner();
            if st.received.len() >= 2 {
                break id;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill();
    let held = api
        .get_upload(&upload_id)
        .await
        .unwrap()
        .into_inner()
        .received
        .len();
    assert!(held < 7, "killed before the end ({held} parts stored)");

    let out = run(cli(home.path())
        .args(["upload", "--title", "Long take"])
        .arg(&file));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("resumed: {held} of 7 parts")),
        "stderr: {stderr}"
    );
    let video_id = stdout(&out);
    let status = api.get_upload(&upload_id).await.unwrap().into_inner();
    assert_eq!(status.state, shared::client::types::UploadState::Completed);
    assert_eq!(status.video_id, video_id);

    let copy = data.path().join("stored");
    garage
        .store()
        .await
        .get_to_file(&shared::layout::source_key(&video_id), &copy)
        .await
        .unwrap();
    assert_eq!(
        Sha256::digest(std::fs::read(&copy).unwrap()),
        Sha256::digest(&bytes)
    );
    // Nothing is left to resume.
    assert!(remembered_upload(home.path()).is_none());
}

async fn clip(dir: &Path) -> PathBuf {
    let out = dir.join("clip.mp4");
    transcoder::ffmpeg::generate_test_clip(&out, 640, 360, 30, 3, true)
        .await
        .expect("ffmpeg makes a clip");
    out
}

#[tokio::test]
async fn a_clip_is_followed_to_published_then_listed_and_inspected() {
    let garage = Garage::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = kino::start(data.path(), &options(&garage, 1));
    let home = tempfile::tempdir().unwrap();

    // Not signed in yet: a clear error, exit code 1.
    let out = run(cli(home.path()).args(["ls"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kino-cli login"));
    // A wrong password is refused.
    signup(home.path(), &server.url);
    let out = run(cli(home.path())
        .args([
            "login",
            "--server",
            &server.url,
            "--email",
            "creator@example.com",
        ])
        .env("KINO_PASSWORD", "wrong password"));
    assert_eq!(out.status.code(), Some(1));
    let out = run(cli(home.path())
        .args([
            "login",
            "--server",
            &server.url,
            "--email",
            "creator@example.com",
        ])
        .env("KINO_PASSWORD", "correct horse battery"));
    assert!(out.status.success());

    let file = clip(data.path()).await;
    let out = run(cli(home.path())
        .args(["upload", "--title", "Test pattern", "--wait"])
        .arg(&file));
    assert!(out.status.success(), "exit: {:?}", out.status);
    let video_id = stdout(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("published"),
        "the state changes are shown"
    );

    let out = run(cli(home.path()).args(["ls"]));
    assert!(out.status.success());
    let listing = stdout(&out);
    let line = listing
        .lines()
        .find(|l| l.starts_with(&video_id))
        .expect("the video is listed");
    assert!(line.contains("published") && line.contains("Test pattern"));

    let out = run(cli(home.path()).args(["status", &video_id, "--json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "published");
    // The renditions came from and went to the bucket; the api serves them from there.
    let master = v["playback"]["master_url"].as_str().unwrap();
    let master = if master.starts_with('/') {
        format!("{}{master}", server.url)
    } else {
        master.to_owned()
    };
    let body = reqwest::get(&master).await.unwrap().text().await.unwrap();
    assert!(body.starts_with("#EXTM3U"), "{body}");

    // A file that is not a video: --wait reports the failure with exit code 3.
    let junk = data.path().join("notes.mp4");
    std::fs::write(&junk, "just some text\n".repeat(1000)).unwrap();
    let out = run(cli(home.path())
        .args(["upload", "--title", "Notes", "--wait"])
        .arg(&junk));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("processing failed"));
    // A missing file is an error before anything is sent.
    let out = run(cli(home.path())
        .args(["upload", "--title", "Nothing"])
        .arg(data.path().join("missing.mp4")));
    assert_eq!(out.status.code(), Some(1));
}
