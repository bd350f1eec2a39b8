//! `cargo xtask cluster up|down|status`: the whole deployment on loopback (see
//! `testkit::cluster`). `--dir` (default `.cluster`) keeps its data and logs; `--port`
//! (default 8090) is the edge's.

use std::path::PathBuf;
use testkit::cluster::{Bins, Cluster};

fn usage() -> ! {
    eprintln!("usage: cluster up|down|status [--dir DIR] [--port PORT]");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| usage());
    let mut dir = PathBuf::from(".cluster");
    let mut port = 8090u16;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            _ => usage(),
        }
    }
    match command.as_str() {
        "up" => match Cluster::up(&dir, port, &Bins::from_env(), &[]) {
            Ok(c) => report(&c),
            Err(e) => {
                eprintln!("the cluster did not start: {e}");
                if let Some(mut c) = Cluster::load(&dir) {
                    c.down();
                }
                std::process::exit(1);
            }
        },
        "down" => match Cluster::load(&dir) {
            Some(mut c) => {
                c.down();
                println!(
                    "stopped the cluster in {} (its data is kept)",
                    dir.display()
                );
            }
            None => println!("no cluster recorded in {}", dir.display()),
        },
        "status" => match Cluster::load(&dir) {
            Some(c) => report(&c),
            None => println!("no cluster recorded in {}", dir.display()),
        },
        _ => usage(),
    }
}

fn report(c: &Cluster) {
    println!("Kino is up at {}", c.url);
    println!(
        "  the first account signed up at {}/signin?code={} administers it",
        c.url, c.setup_token
    );
    for p in &c.parts {
        let state = match p.pid {
            Some(pid) => format!("pid {pid}"),
            None => "stopped".into(),
        };
        let what = if p.name.starts_with("kino-") || p.name.starts_with("transcoder-") {
            format!("http://127.0.0.1:{}/metrics", p.port)
        } else {
            format!("127.0.0.1:{}", p.port)
        };
        println!("  {:<13} {:<10} {what}", p.name, state);
    }
    println!("  logs in {}", c.dir.join("logs").display());
    println!("  stop it with: cargo xtask cluster down");
}
