//! `cargo xtask cluster chaos`: the loopback cluster under load while its parts fail.
//!
//! A fresh cluster (`testkit::cluster`) gets an admin, three creators and their first videos.
//! Then, until the end: viewers play public videos at playback pace through the edge, an app
//! mix asks GraphQL for the home screen and search, and creators upload a clip every 20 s.
//! Meanwhile, one after the other, each held for a phase and then restored:
//!
//! 1. `kino-1` killed with SIGKILL;
//! 2. `garage-2` stopped;
//! 3. the transcoder holding a job killed with SIGKILL;
//! 4. the SurrealDB server stopped and started again.
//!
//! Then uploads stop, every completed upload is waited for, its source read back from the
//! bucket and compared by SHA-256 with the file sent, and the admin's job list is checked for
//! jobs left queued or leased. Printed: per phase, segment latency (p50/p99) and the requests
//! retried or failed after one retry; the uploads; stuck jobs; the edge's hit ratio for media.
//! Exits 1 when a viewer request failed after its retry, an upload was lost or a job is stuck.
//!
//! Options: `--dir` (default `.cluster-chaos`, emptied first; logs and every request in
//! `samples.csv` kept after), `--port` (default 8091), `--phase-secs` (default 30),
//! `--viewers` (default 60), `--faults` (default `kino,garage,transcoder,database`).

use sha2::{Digest, Sha256};
use shared::client::{self, types};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use testkit::cluster::{Bins, Cluster};
use testkit::load::{self, Catalogue, Client, Kind, Recorder, Stop};

/// Seconds a worker's lease lasts without a heartbeat: short, so a job whose worker was
/// killed is taken up again within the run.
const LEASE_S: &str = "30";
/// Between two uploads of one creator.
const UPLOAD_EVERY: Duration = Duration::from_secs(20);
const CREATORS: usize = 3;
/// Search words the app mix sends: in every chaos title, in some, in none.
const WORDS: &[&str] = &["chaos", "pattern", "clip 2", "lighthouse"];

struct Options {
    dir: PathBuf,
    port: u16,
    phase: Duration,
    viewers: usize,
    faults: Vec<String>,
}

const FAULTS: &[&str] = &["kino", "garage", "transcoder", "database"];

fn options() -> Options {
    let usage = || -> ! {
        eprintln!(
            "usage: chaos [--dir DIR] [--port PORT] [--phase-secs S] [--viewers N] [--faults {}]",
            FAULTS.join(",")
        );
        std::process::exit(2)
    };
    let mut o = Options {
        dir: PathBuf::from(".cluster-chaos"),
        port: 8091,
        phase: Duration::from_secs(30),
        viewers: 60,
        faults: FAULTS.iter().map(|f| f.to_string()).collect(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--dir" => o.dir = PathBuf::from(value),
            "--port" => o.port = value.parse().unwrap_or_else(|_| usage()),
            "--phase-secs" => {
                o.phase = Duration::from_secs(value.parse().unwrap_or_else(|_| usage()))
            }
            "--viewers" => o.viewers = value.parse().unwrap_or_else(|_| usage()),
            "--faults" => {
                o.faults = value.split(',').map(str::to_owned).collect();
                if o.faults.iter().any(|f| !FAULTS.contains(&f.as_str())) {
                    usage()
                }
            }
            _ => usage(),
        }
    }
    o
}

/// An upload a creator started.
#[derive(Debug, Clone)]
struct Sent {
    title: String,
    sha256: Vec<u8>,
    /// Set once `complete_upload` answered.
    video_id: Option<String>,
    error: Option<String>,
}

/// A span of the run, named for the report.
struct Phase {
    name: String,
    from: Instant,
    to: Instant,
}

fn sha256(file: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(file).expect("the clip reads")).to_vec()
}

async fn signup(base: &str, email: &str, code: Option<&str>) -> client::Client {
    let auth = client::connect(base, None)
        .signup(&types::SignupRequest {
            email: email.into(),
            password: "correct horse battery".into(),
            display_name: email.split('@').next().unwrap_or(email).into(),
            invite_code: code.map(str::to_owned),
        })
        .await
        .unwrap_or_else(|e| panic!("signing up {email}: {e}"))
        .into_inner();
    client::connect(base, Some(&auth.token))
}

/// One upload through the engine every client shares; `opened` keeps the upload's id so a
/// second try resumes it rather than starting over.
async fn upload(
    api: &client::Client,
    file: &Path,
    title: &str,
    opened: &Mutex<Option<String>>,
) -> Result<String, String> {
    let resume = opened.lock().unwrap().clone();
    let io = cli::upload::FileIo::new(file, None).map_err(|e| e.to_string())?;
    let spec = shared::upload::FileSpec {
        filename: file.file_name().unwrap().to_string_lossy().into_owned(),
        size: std::fs::metadata(file).map_err(|e| e.to_string())?.len(),
        content_type: "video/mp4".into(),
        title: title.into(),
        description: Some("A test pattern uploaded during the chaos run".into()),
    };
    shared::upload::upload(
        api,
        &io,
        &spec,
        resume.as_deref(),
        shared::upload::Options::default(),
        &shared::upload::Control::default(),
        &|e| {
            if let shared::upload::Event::Opened { upload_id, .. } = e {
                *opened.lock().unwrap() = Some(upload_id);
            }
        },
    )
    .await
    .map(|u| u.video_id)
    .map_err(|e| e.to_string())
}

/// Uploads `clip` as `title`; a failed upload is resumed once, two seconds later, as the
/// apps offer.
async fn send(api: &client::Client, clip: &Path, title: String) -> Sent {
    let opened = Mutex::new(None);
    let mut result = upload(api, clip, &title, &opened).await;
    if result.is_err() {
        tokio::time::sleep(Duration::from_secs(2)).await;
        result = upload(api, clip, &title, &opened).await;
    }
    let (video_id, error) = match result {
        Ok(id) => (Some(id), None),
        Err(e) => (None, Some(e)),
    };
    Sent {
        title,
        sha256: sha256(clip),
        video_id,
        error,
    }
}

/// A creator uploading `clip` every [`UPLOAD_EVERY`] until `stop`.
async fn creator(
    api: &client::Client,
    n: usize,
    clip: &Path,
    stop: &Stop,
    sent: &Mutex<Vec<Sent>>,
) {
    let mut k = 1;
    stop.sleep(Duration::from_secs(n as u64 * 7)).await;
    while !stop.is_set() {
        let s = send(api, clip, format!("Chaos clip {n}.{k}")).await;
        if let Some(e) = &s.error {
            eprintln!("  upload {} failed: {e}", s.title);
        }
        sent.lock().unwrap().push(s);
        k += 1;
        stop.sleep(UPLOAD_EVERY).await;
    }
}

/// Polls the creators' uploads and adds each to the catalogue once published, until the
/// uploads stop.
async fn publisher(
    api: &client::Client,
    sent: &Mutex<Vec<Sent>>,
    catalogue: &Catalogue,
    stop: &Stop,
) {
    let mut seen = std::collections::HashSet::new();
    while !stop.is_set() {
        let ids: Vec<String> = sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|s| s.video_id.clone())
            .filter(|id| !seen.contains(id))
            .collect();
        for id in ids {
            if let Ok(v) = api.get_video(&id).await
                && v.state == types::VideoState::Published
            {
                catalogue.add(id.clone());
                seen.insert(id);
            }
        }
        stop.sleep(Duration::from_secs(2)).await;
    }
}

/// Jobs a transcoder is running, from its `/metrics`.
async fn running(port: u16) -> f64 {
    let text = match reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return 0.0,
    };
    text.lines()
        .find_map(|l| l.strip_prefix("kino_transcoder_jobs_running "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// How a part is taken down.
type TakeDown = fn(&mut testkit::cluster::Part);

/// Runs the faults in turn with the load on; returns the phases.
async fn faults(cluster: &Mutex<Cluster>, phase: Duration, chosen: &[String]) -> Vec<Phase> {
    let chosen = |f: &str| chosen.iter().any(|c| c == f);
    let mut phases = Vec::new();
    let mut mark = |name: &str, from: Instant| {
        println!("  {name}");
        phases.push(Phase {
            name: name.into(),
            from,
            to: Instant::now(),
        })
    };
    let dir = cluster.lock().unwrap().dir.clone();
    let start = |name: &str| {
        let mut c = cluster.lock().unwrap();
        let p = c.part(name);
        p.start(&dir).expect("the part starts again");
        p.wait(&dir, Duration::from_secs(120))
            .expect("the part listens again");
        let _ = c.save();
    };
    let with = |name: &str, f: &dyn Fn(&mut testkit::cluster::Part)| {
        let mut c = cluster.lock().unwrap();
        f(c.part(name));
        let _ = c.save();
    };

    let t = Instant::now();
    tokio::time::sleep(phase).await;
    mark("before any fault", t);

    // A part taken down for a phase, then started again for one.
    let downs: [(&str, &str, &str, TakeDown); 2] = [
        ("kino", "kino-1", "killed (SIGKILL)", |p| p.crash()),
        ("garage", "garage-2", "stopped", |p| {
            p.stop(Duration::from_secs(10))
        }),
    ];
    for (fault, part, how, down) in downs {
        if chosen(fault) {
            let t = Instant::now();
            with(part, &down);
            tokio::time::sleep(phase).await;
            mark(&format!("{part} {how}"), t);
            let t = Instant::now();
            start(part);
            tokio::time::sleep(phase).await;
            mark(&format!("{part} restarted"), t);
        }
    }

    if chosen("transcoder") {
        transcoder_fault(cluster, phase, &mut mark, &start, &with).await;
    }

    if chosen("database") {
        let t = Instant::now();
        with("surreal", &|p| p.stop(Duration::from_secs(10)));
        tokio::time::sleep(Duration::from_secs(5)).await;
        start("surreal");
        tokio::time::sleep(phase.saturating_sub(t.elapsed())).await;
        mark("database stopped 5 s and restarted", t);
    }
    let t = Instant::now();
    tokio::time::sleep(phase).await;
    mark("after every fault", t);
    phases
}

/// Kills the transcoder that holds a job, as soon as one does (creators upload every 20 s),
/// and restarts it after a phase.
async fn transcoder_fault(
    cluster: &Mutex<Cluster>,
    phase: Duration,
    mark: &mut impl FnMut(&str, Instant),
    start: &impl Fn(&str),
    with: &impl Fn(&str, &dyn Fn(&mut testkit::cluster::Part)),
) {
    let ports: Vec<(String, u16)> = cluster
        .lock()
        .unwrap()
        .parts
        .iter()
        .filter(|p| p.name.starts_with("transcoder-"))
        .map(|p| (p.name.clone(), p.port))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut busy = None;
    while busy.is_none() && Instant::now() < deadline {
        for (name, port) in &ports {
            if running(*port).await > 0.0 {
                busy = Some(name.clone());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let victim = busy.unwrap_or_else(|| {
        println!("  no transcoder took a job within 90 s: killing transcoder-1 idle");
        "transcoder-1".into()
    });
    let t = Instant::now();
    with(&victim, &|p| p.crash());
    tokio::time::sleep(phase).await;
    mark(&format!("{victim} killed mid-job (SIGKILL)"), t);
    let t = Instant::now();
    start(&victim);
    tokio::time::sleep(phase).await;
    mark(&format!("{victim} restarted"), t);
}

fn row(name: &str, s: &load::Summary) {
    println!(
        "  {name:<38} {:>6} {:>8.0} {:>8.0} {:>7} {:>7} {:>6}",
        s.requests, s.p50_ms, s.p99_ms, s.slow, s.retried, s.failed
    );
}

/// Every request of the run, for a closer look: seconds from the start, what, how long,
/// how it ended, whether the edge had it, the last error.
fn write_samples(file: &Path, samples: &[load::Sample], started: Instant) {
    let mut csv = String::from("at_s,kind,ms,outcome,hit,error\n");
    for s in samples {
        csv.push_str(&format!(
            "{:.3},{:?},{:.1},{:?},{},{:?}\n",
            s.at.saturating_duration_since(started).as_secs_f64(),
            s.kind,
            s.ms,
            s.outcome,
            s.hit,
            s.error.as_deref().unwrap_or("")
        ));
    }
    let _ = std::fs::write(file, csv);
}

#[tokio::main]
async fn main() {
    let o = options();
    // A run stopped half-way left its cluster: stop it before starting afresh.
    if let Some(mut old) = Cluster::load(&o.dir) {
        old.down();
    }
    let _ = std::fs::remove_dir_all(&o.dir);
    println!("starting a fresh cluster in {}", o.dir.display());
    let settings = [
        ("KINO_JOB_LEASE_S".to_owned(), LEASE_S.to_owned()),
        // The run signs its creators up; an admin would promote them.
        ("KINO_NEW_ACCOUNT_ROLE".to_owned(), "creator".to_owned()),
    ];
    let cluster = match Cluster::up(&o.dir, o.port, &Bins::from_env(), &settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("the cluster did not start: {e}");
            if let Some(mut c) = Cluster::load(&o.dir) {
                c.down();
            }
            std::process::exit(1);
        }
    };
    let base = cluster.url.clone();
    let cluster = Down(Mutex::new(cluster));
    let code = run(&o, &base, &cluster.0).await;
    drop(cluster);
    std::process::exit(code);
}

/// Stops the cluster however the run ends, a panic included.
struct Down(Mutex<Cluster>);

impl Drop for Down {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).down();
    }
}

async fn run(o: &Options, base: &str, cluster: &Mutex<Cluster>) -> i32 {
    let setup = cluster.lock().unwrap().setup_token.clone();
    let admin = signup(base, "admin@chaos.test", Some(&setup)).await;
    let mut creators = Vec::new();
    for n in 1..=CREATORS {
        creators.push(signup(base, &format!("creator{n}@chaos.test"), None).await);
    }
    // Clips of different lengths, so their sources differ; 540p gets two rungs to switch.
    let clips = o.dir.join("clips");
    std::fs::create_dir_all(&clips).unwrap();
    let mut files = Vec::new();
    for n in 1..=CREATORS {
        let f = clips.join(format!("clip-{n}.mp4"));
        transcoder::ffmpeg::generate_test_clip(&f, 960, 540, 24, 18 + 4 * n as u32, true)
            .await
            .expect("ffmpeg makes a clip");
        files.push(f);
    }

    println!("uploading the first videos");
    let sent = Mutex::new(Vec::new());
    let catalogue = Catalogue::default();
    for (n, api) in creators.iter().enumerate() {
        let s = send(api, &files[n], format!("Chaos clip {} first", n + 1)).await;
        let id = s.video_id.clone().unwrap_or_else(|| {
            panic!("the first uploads meet no fault: {:?}", s.error);
        });
        sent.lock().unwrap().push(s);
        testkit::catalog::wait_published(api, &id).await;
        catalogue.add(id);
    }

    println!(
        "{} viewers, an app mix and {CREATORS} creators; phases of {} s:",
        o.viewers,
        o.phase.as_secs()
    );
    let rec = Recorder::default();
    let watching = Stop::default();
    let uploading = Stop::default();
    let mut tasks = Vec::new();
    for n in 0..o.viewers {
        let c = Client::new(base, Client::address(n), &rec);
        tasks.push(tokio::spawn(load::viewer(
            c,
            catalogue.clone(),
            watching.clone(),
            n as u64 + 1,
        )));
    }
    for n in 0..2 {
        let c = Client::new(base, Client::address(o.viewers + n), &rec);
        tasks.push(tokio::spawn(load::graphql_mix(c, WORDS, watching.clone())));
    }
    let started = Instant::now();
    let uploads = futures::future::join_all(
        creators
            .iter()
            .zip(&files)
            .enumerate()
            .map(|(n, (api, f))| creator(api, n + 1, f, &uploading, &sent)),
    );
    let publishing = publisher(&admin, &sent, &catalogue, &uploading);
    let schedule = async {
        let phases = faults(cluster, o.phase, &o.faults).await;
        uploading.now();
        phases
    };
    let (mut phases, _, ()) = tokio::join!(schedule, uploads, publishing);
    let ended = Instant::now();
    watching.now();
    for t in tasks {
        let _ = t.await;
    }

    // Every completed upload, published and intact.
    println!("waiting for every upload to be published");
    let sent = sent.into_inner().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut published = 0;
    let mut intact = 0;
    let mut lost = Vec::new();
    let record = cluster.lock().unwrap().clone();
    let store = record.store(1).await.expect("the bucket opens");
    let scratch = o.dir.join("readback");
    std::fs::create_dir_all(&scratch).unwrap();
    for s in sent.iter() {
        let Some(id) = &s.video_id else { continue };
        let state = loop {
            let state = admin.get_video(id).await.ok().map(|v| v.into_inner().state);
            match state {
                Some(types::VideoState::Published | types::VideoState::Failed) => break state,
                _ if Instant::now() > deadline => break state,
                _ => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        };
        if state == Some(types::VideoState::Published) {
            published += 1;
        }
        let copy = scratch.join(id);
        use shared::store::ObjectStore;
        let same = store
            .get_to_file(&shared::layout::source_key(id), &copy)
            .await
            .is_ok()
            && sha256(&copy) == s.sha256;
        intact += usize::from(same);
        if state != Some(types::VideoState::Published) || !same {
            lost.push(format!(
                "{} ({id}): {state:?}, source {}",
                s.title,
                if same { "intact" } else { "differs or missing" }
            ));
        }
    }
    // A long source is published at its lowest rung first while its job goes on: wait for
    // the jobs too.
    let jobs = loop {
        let jobs = admin
            .list_jobs(None)
            .await
            .map(|j| j.into_inner().items)
            .unwrap_or_default();
        let open = jobs
            .iter()
            .any(|j| matches!(j.state, types::JobState::Queued | types::JobState::Leased));
        if !open || Instant::now() > deadline {
            break jobs;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let count = |st: types::JobState| jobs.iter().filter(|j| j.state == st).count();
    let stuck = count(types::JobState::Queued) + count(types::JobState::Leased);
    let retried_jobs = jobs.iter().filter(|j| j.attempt > 1).count();

    // The report.
    let samples = rec.samples();
    write_samples(&o.dir.join("samples.csv"), &samples, started);
    phases.push(Phase {
        name: "the whole run".into(),
        from: started,
        to: ended,
    });
    println!();
    println!(
        "viewers' segments (init and media), per phase:\n  {:<38} {:>6} {:>8} {:>8} {:>7} {:>7} {:>6}",
        "phase", "count", "p50 ms", "p99 ms", "over 6s", "retried", "failed"
    );
    for p in &phases {
        row(
            &p.name,
            &load::summarize(&samples, Some(Kind::Segment), p.from, p.to),
        );
    }
    println!("other requests, the whole run:");
    for (name, kind) in [
        ("video pages", Kind::Page),
        ("playlists", Kind::Playlist),
        ("GraphQL home and search", Kind::Graphql),
    ] {
        row(name, &load::summarize(&samples, Some(kind), started, ended));
    }
    let all = load::summarize(&samples, None, started, ended);
    let media: Vec<_> = samples
        .iter()
        .filter(|s| matches!(s.kind, Kind::Segment | Kind::Playlist))
        .collect();
    let hits = media.iter().filter(|s| s.hit).count();
    let mut errors: Vec<String> = samples.iter().filter_map(|s| s.error.clone()).collect();
    errors.sort();
    errors.dedup();
    if !errors.is_empty() {
        println!("errors seen (first try or both), {} kinds:", errors.len());
        for e in errors.iter().take(10) {
            println!("  {e}");
        }
    }
    let completed = sent.iter().filter(|s| s.video_id.is_some()).count();
    println!();
    println!(
        "client requests failed after one retry: {} of {} (goal 0); retried and answered: {}",
        all.failed, all.requests, all.retried
    );
    println!(
        "uploads: {} sent, {completed} completed, {published} published, {intact} with the source's SHA-256 intact (goal: all)",
        sent.len()
    );
    for s in sent.iter().filter(|s| s.error.is_some()) {
        println!(
            "  not completed: {}: {}",
            s.title,
            s.error.as_deref().unwrap_or("")
        );
    }
    for l in &lost {
        println!("  lost: {l}");
    }
    println!(
        "jobs: {} in all, {stuck} stuck queued or leased (goal 0), {} dead, {retried_jobs} taken up again after a failed attempt",
        jobs.len(),
        count(types::JobState::Dead)
    );
    println!(
        "edge cache hit ratio for media: {:.3} ({hits} of {})",
        hits as f64 / media.len().max(1) as f64,
        media.len()
    );
    let ok = all.failed == 0
        && lost.is_empty()
        && completed == sent.len()
        && stuck == 0
        && count(types::JobState::Dead) == 0;
    println!("{}", if ok { "every goal met" } else { "GOALS MISSED" });
    i32::from(!ok)
}
