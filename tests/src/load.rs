//! Load on a running deployment, made the way its clients make it: viewers playing HLS at
//! playback pace and switching rungs, and apps asking GraphQL for the home screen and search.
//! Every request is timed and recorded with its outcome, so a run can be cut into phases.
//!
//! A client tries a request once more, a second later, when it fails (no answer within 10 s,
//! a transport error or any status but 2xx, or a GraphQL answer with errors), as players and
//! apps do; what fails twice counts as failed.

use reqwest::Url;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A video's page (`/api/v1/videos/{id}`).
    Page,
    /// A master or rendition playlist.
    Playlist,
    /// An init or media segment.
    Segment,
    Graphql,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Answered on the second try.
    Retried,
    /// Failed twice.
    Failed,
}

/// One request as the client saw it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was first sent.
    pub at: Instant,
    pub kind: Kind,
    /// From the first try to the answer, the retry included.
    pub ms: f64,
    pub outcome: Outcome,
    /// The edge answered from its cache (`X-Cache-Status: HIT`).
    pub hit: bool,
    /// The last failure, for the report.
    pub error: Option<String>,
}

/// Every request of a run.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Sample>>>);

impl Recorder {
    fn push(&self, s: Sample) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// When to stop, shared by every load task.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn now(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, or less when stopped meanwhile.
    pub async fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.is_set() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(Duration::from_millis(200))).await;
        }
    }
}

/// The public videos viewers pick from, growing as uploads are published.
#[derive(Debug, Clone, Default)]
pub struct Catalogue(Arc<Mutex<Vec<String>>>);

impl Catalogue {
    pub fn add(&self, id: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(id);
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn pick(&self, rng: &mut Rng) -> Option<String> {
        let ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (!ids.is_empty()).then(|| ids[rng.below(ids.len())].clone())
    }
}

/// A small deterministic generator (xorshift), one per task.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One client: its own connections from its own loopback address (so the edge and the api
/// see as many clients as there are), recording into `rec`.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    rec: Recorder,
}

/// An answer's body and whether the edge had it cached.
struct Answer {
    body: bytes::Bytes,
    hit: bool,
}

impl Client {
    /// `address` is the client's source address, any of 127.0.0.0/8.
    pub fn new(base: &str, address: IpAddr, rec: &Recorder) -> Client {
        let http = reqwest::Client::builder()
            .local_address(address)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client");
        Client {
            http,
            base: Url::parse(base).expect("a base URL"),
            rec: rec.clone(),
        }
    }

    /// The source address of the `n`th client: 127.1.x.y.
    pub fn address(n: usize) -> IpAddr {
        IpAddr::from([127, 1, (n / 250) as u8, (n % 250 + 1) as u8])
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a URL under the base")
    }

    async fn once(&self, req: reqwest::RequestBuilder, graphql: bool) -> Result<Answer, String> {
        let r = req.send().await.map_err(|e| e.to_string())?;
        let status = r.status();
        let hit = r
            .headers()
            .get("x-cache-status")
            .is_some_and(|v| v.as_bytes() == b"HIT");
        let body = r.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
        if graphql {
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if let Some(e) = v.get("errors") {
                return Err(format!("GraphQL errors: {e}"));
            }
        }
        Ok(Answer { body, hit })
    }

    /// Sends `make()`, and once more a second later if that fails; records the outcome.
    async fn send(
        &self,
        kind: Kind,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Option<bytes::Bytes> {
        let graphql = kind == Kind::Graphql;
        let at = Instant::now();
        let (outcome, answer, error) = match self.once(make(), graphql).await {
            Ok(a) => (Outcome::Ok, Some(a), None),
            Err(first) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                match self.once(make(), graphql).await {
                    Ok(a) => (Outcome::Retried, Some(a), Some(first)),
                    Err(e) => (Outcome::Failed, None, Some(e)),
                }
            }
        };
        self.rec.push(Sample {
            at,
            kind,
            ms: at.elapsed().as_secs_f64() * 1000.0,
            outcome,
            hit: answer.as_ref().is_some_and(|a| a.hit),
            error,
        });
        answer.map(|a| a.body)
    }

    pub async fn get(&self, url: &Url, kind: Kind) -> Option<bytes::Bytes> {
        self.send(kind, || self.http.get(url.clone())).await
    }

    pub async fn graphql(&self, query: &str) -> Option<serde_json::Value> {
        let url = self.url("/graphql");
        let body = serde_json::json!({ "query": query });
        let answer = self
            .send(Kind::Graphql, || self.http.post(url.clone()).json(&body))
            .await?;
        serde_json::from_slice(&answer).ok()
    }
}

/// The variants of a master playlist, lowest bandwidth first.
pub fn variants(master: &str, at: &Url) -> Vec<Url> {
    let mut found: Vec<(u64, Url)> = Vec::new();
    let mut lines = master.lines();
    while let Some(line) = lines.next() {
        if let Some(attrs) = line.strip_prefix("#EXT-X-STREAM-INF:") {
            let bandwidth = attrs
                .split(',')
                .find_map(|a| a.strip_prefix("BANDWIDTH="))
                .and_then(|b| b.parse().ok())
                .unwrap_or(0);
            if let Some(uri) = lines.next().and_then(|u| at.join(u.trim()).ok()) {
                found.push((bandwidth, uri));
            }
        }
    }
    found.sort_by_key(|(b, _)| *b);
    found.into_iter().map(|(_, u)| u).collect()
}

/// A rendition playlist: its init segment and its segments with their durations.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub init: Option<Url>,
    pub segments: Vec<(Duration, Url)>,
}

pub fn rendition(playlist: &str, at: &Url) -> Rendition {
    let mut init = None;
    let mut segments = Vec::new();
    let mut duration = None;
    for line in playlist.lines() {
        if let Some(map) = line.strip_prefix("#EXT-X-MAP:") {
            init = map
                .split(',')
                .find_map(|a| a.strip_prefix("URI="))
                .and_then(|u| at.join(u.trim_matches('"')).ok());
        } else if let Some(d) = line.strip_prefix("#EXTINF:") {
            duration = d.split(',').next().and_then(|s| s.parse::<f64>().ok());
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            if let Ok(u) = at.join(line.trim()) {
                segments.push((Duration::from_secs_f64(duration.unwrap_or(6.0)), u));
            }
            duration = None;
        }
    }
    Rendition { init, segments }
}

/// A viewer: picks a public video, opens its page, then plays it through, one segment per
/// segment duration, moving one rung up or down now and then; then the next video.
pub async fn viewer(c: Client, videos: Catalogue, stop: Stop, seed: u64) {
    let mut rng = Rng::new(seed);
    // Viewers arrive over the first seconds, not all at once.
    stop.sleep(Duration::from_millis(rng.below(3000) as u64))
        .await;
    while !stop.is_set() {
        let Some(id) = videos.pick(&mut rng) else {
            stop.sleep(Duration::from_secs(1)).await;
            continue;
        };
        let page = c
            .get(&c.url(&format!("/api/v1/videos/{id}")), Kind::Page)
            .await;
        let master = page
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
            .and_then(|v| v["playback"]["master_url"].as_str().map(|m| c.url(m)));
        match master {
            Some(m) => play(&c, &m, &mut rng, &stop).await,
            None => stop.sleep(Duration::from_secs(1)).await,
        }
    }
}

async fn play(c: &Client, master: &Url, rng: &mut Rng, stop: &Stop) {
    let Some(text) = c.get(master, Kind::Playlist).await else {
        return;
    };
    let rungs = variants(&String::from_utf8_lossy(&text), master);
    if rungs.is_empty() {
        return;
    }
    let mut loaded: Vec<Option<Rendition>> = vec![None; rungs.len()];
    let mut rung = 0;
    let mut previous = None;
    let mut n = 0;
    while !stop.is_set() {
        if loaded[rung].is_none() {
            let Some(p) = c.get(&rungs[rung], Kind::Playlist).await else {
                return;
            };
            loaded[rung] = Some(rendition(&String::from_utf8_lossy(&p), &rungs[rung]));
        }
        let Some(r) = loaded[rung].as_ref() else {
            return;
        };
        if previous != Some(rung) {
            if let Some(init) = &r.init {
                c.get(init, Kind::Segment).await;
            }
            previous = Some(rung);
        }
        let Some((duration, segment)) = r.segments.get(n) else {
            return;
        };
        let started = Instant::now();
        c.get(segment, Kind::Segment).await;
        n += 1;
        // Every other segment, a coin decides whether the player moves a rung.
        if n % 2 == 0 && rng.below(2) == 0 {
            rung = if rung + 1 < rungs.len() && rng.below(2) == 0 {
                rung + 1
            } else {
                rung.saturating_sub(1)
            };
        }
        stop.sleep(duration.saturating_sub(started.elapsed())).await;
    }
}

const HOME: &str = "query { home { new { key videos { id title } } popular { key videos { id title } } genres { key videos { id } } } }";

/// An app's screens: the home query twice a second and a search every two seconds, with
/// `words` in turn.
pub async fn graphql_mix(c: Client, words: &'static [&'static str], stop: Stop) {
    let mut n = 0;
    while !stop.is_set() {
        c.graphql(HOME).await;
        if n % 4 == 0 {
            let word = words[(n / 4) % words.len()];
            c.graphql(&format!(
                "query {{ search(query: {word:?}, first: 10) {{ edges {{ node {{ video {{ id title }} }} }} }} }}"
            ))
            .await;
        }
        n += 1;
        stop.sleep(Duration::from_millis(500)).await;
    }
}

/// Figures of the samples of one kind in one span of time.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub requests: usize,
    /// Answered, but slower than a segment lasts (6 s): a player at playback pace stalls.
    pub slow: usize,
    pub retried: usize,
    pub failed: usize,
    pub hits: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The `q` quantile (0..=1) of sorted values, by nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn summarize(samples: &[Sample], kind: Option<Kind>, from: Instant, to: Instant) -> Summary {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| kind.is_none_or(|k| s.kind == k) && s.at >= from && s.at < to)
        .collect();
    let mut ms: Vec<f64> = chosen
        .iter()
        .filter(|s| s.outcome != Outcome::Failed)
        .map(|s| s.ms)
        .collect();
    ms.sort_by(f64::total_cmp);
    Summary {
        requests: chosen.len(),
        slow: ms.iter().filter(|m| **m > 6000.0).count(),
        retried: chosen
            .iter()
            .filter(|s| s.outcome == Outcome::Retried)
            .count(),
        failed: chosen
            .iter()
            .filter(|s| s.outcome == Outcome::Failed)
            .count(),
        hits: chosen.iter().filter(|s| s.hit).count(),
        p50_ms: quantile(&ms, 0.5),
        p99_ms: quantile(&ms, 0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playlists_resolve_against_where_they_were_read() {
        let master = Url::parse("http://e/media/t/v1/v2/master.m3u8").unwrap();
        let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\n720p/index.m3u8\n\
                    #EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\n360p/index.m3u8\n";
        let v = variants(text, &master);
        assert_eq!(v[0].path(), "/media/t/v1/v2/360p/index.m3u8");
        assert_eq!(v[1].path(), "/media/t/v1/v2/720p/index.m3u8");
        let r = rendition(
            "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.000,\nseg_00000.m4s\n#EXTINF:2.5,\nseg_00001.m4s\n#EXT-X-ENDLIST\n",
            &v[0],
        );
        assert_eq!(r.init.unwrap().path(), "/media/t/v1/v2/360p/init.mp4");
        assert_eq!(r.segments.len(), 2);
        assert_eq!(r.segments[1].0, Duration::from_secs_f64(2.5));
        assert_eq!(r.segments[1].1.path(), "/media/t/v1/v2/360p/seg_00001.m4s");
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
