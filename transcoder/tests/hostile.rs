//! The hostile corpus: files that are not videos, or that try to make ffmpeg read other files
//! or reach the network. Each is refused with a reason, without a retry, without a network
//! request and without reading a file outside the job's scratch space.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};
use transcoder::pipeline::{self, TranscodeError};

fn ffmpeg(args: &[&str]) {
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "ffmpeg {args:?}");
}

/// A file whose access time shows whether anything read it: set far in the past, so any
/// read moves it (relatime updates an access time older than the modification time).
fn canary(dir: &Path) -> PathBuf {
    let path = dir.join("secret.mp4");
    std::fs::write(&path, b"not for ffmpeg").unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_times(
        std::fs::FileTimes::new()
            .set_accessed(SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800)),
    )
    .unwrap();
    path
}

fn accessed(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().accessed().unwrap()
}

/// An HLS playlist naming a local file and a URL.
fn playlist(secret: &Path, port: u16) -> String {
    format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile://{}\n#EXTINF:1,\n{}\n#EXTINF:1,\nhttp://127.0.0.1:{port}/x.ts\n#EXT-X-ENDLIST\n",
        secret.display(),
        secret.display()
    )
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn list(kind: &[u8; 4], parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for p in parts {
        body.extend_from_slice(p);
    }
    chunk(b"LIST", &body)
}

/// An AVI whose subtitle stream carries a GAB2 packet holding `payload` (the classic way to
/// smuggle a playlist past a demuxer).
fn avi_with_gab2(payload: &[u8]) -> Vec<u8> {
    let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let avih = u32s(&[40_000, 0, 0, 0x10, 1, 0, 1, 0, 320, 240, 0, 0, 0, 0]);
    let mut strh = b"txts".to_vec();
    strh.extend_from_slice(&u32s(&[0, 0]));
    strh.extend_from_slice(&[0, 0, 0, 0]);
    strh.extend_from_slice(&u32s(&[0, 1, 25, 0, 1, 0, 0, 0]));
    strh.extend_from_slice(&[0; 8]);
    let strl = list(b"strl", &[chunk(b"strh", &strh), chunk(b"strf", &[0; 4])]);
    let hdrl = list(b"hdrl", &[chunk(b"avih", &avih), strl]);
    let name: Vec<u8> = "x\0".encode_utf16().flat_map(|c| c.to_le_bytes()).collect();
    let mut gab2 = b"GAB2\0".to_vec();
    gab2.extend_from_slice(&2u16.to_le_bytes());
    gab2.extend_from_slice(&(name.len() as u32).to_le_bytes());
    gab2.extend_from_slice(&name);
    gab2.extend_from_slice(&4u16.to_le_bytes());
    gab2.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    gab2.extend_from_slice(payload);
    let movi = list(b"movi", &[chunk(b"00tx", &gab2)]);
    let mut body = b"AVI ".to_vec();
    body.extend_from_slice(&hdrl);
    body.extend_from_slice(&movi);
    chunk(b"RIFF", &body)
}

#[tokio::test]
async fn the_hostile_corpus_is_refused_cleanly_and_touches_nothing_outside_scratch() {
    let outside = tempfile::tempdir().unwrap();
    let secret = canary(outside.path());
    let before = accessed(&secret);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut corpus: Vec<PathBuf> = Vec::new();
    let mut add = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        corpus.push(p);
    };
    add("empty.mp4", b"");
    add("notes.mp4", "just some text\n".repeat(100).as_bytes());
    add("playlist.mp4", playlist(&secret, port).as_bytes());
    add(
        "playlist-in-avi.mp4",
        &avi_with_gab2(playlist(&secret, port).as_bytes()),
    );

    // A real clip cut short: no index, no frames past the cut.
    let clip = d.join("whole.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=3",
        "-c:v",
        "libx264",
        clip.to_str().unwrap(),
    ]);
    let whole = std::fs::read(&clip).unwrap();
    add("truncated.mp4", &whole[..whole.len() * 2 / 5]);
    let png = d.join("picture.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240",
        "-frames:v",
        "1",
        png.to_str().unwrap(),
    ]);
    add("picture.mp4", &std::fs::read(&png).unwrap());
    let tone = d.join("tone.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
        "-c:a",
        "aac",
        tone.to_str().unwrap(),
    ]);
    add("tone.mp4", &std::fs::read(&tone).unwrap());

    for f in &corpus {
        let out = d.join("out");
        let _ = std::fs::remove_dir_all(&out);
        let err = pipeline::transcode(f, &out, "ultrafast", |_| {})
            .await
            .expect_err(&format!("{} must be refused", f.display()));
        assert!(
            matches!(
                err,
                TranscodeError::Rejected(_) | TranscodeError::Unreadable(_)
            ),
            "{f:?}: {err:?}"
        );
        assert!(!err.retryable(), "{f:?} would be retried");
        let reason = err.to_string();
        assert!(
            reason.contains("not a video") || reason.contains("no video"),
            "{f:?}: {reason}"
        );
    }
    assert_eq!(
        accessed(&secret),
        before,
        "a hostile file made ffmpeg read a file outside scratch"
    );
    assert!(
        listener
            .accept()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "a hostile file made a network request"
    );
}
