//! `kino-cli`: Kino for creators and scripts.
//!
//! ```text
//! kino-cli login --server https://kino.example --email me@example.com
//! kino-cli upload talk.mp4 --title "Conference talk" --wait
//! kino-cli ls
//! kino-cli status VIDEO_ID
//! ```
//!
//! Human-readable progress goes to stderr; what a script wants (a video id, a table, JSON with
//! `--json`) goes to stdout. Exit codes: 0 done, 1 error, 2 bad usage, 3 the video failed.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cli::profile::{Profile, Session};
use cli::{throttle, upload};
use shared::client::{self, types};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "kino-cli",
    version,
    about = "Upload to and manage videos on a Kino server"
)]
struct Cli {
    /// Where the session and interrupted uploads are kept (default: the user's config dir).
    #[arg(long, env = "KINO_CLI_HOME", global = true)]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in and remember the session.
    Login {
        /// The server's URL, e.g. https://kino.example.
        #[arg(long, env = "KINO_SERVER")]
        server: String,
        #[arg(long)]
        email: String,
        /// The password (default: $KINO_PASSWORD, else asked for on stdin).
        #[arg(long, env = "KINO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create an account and sign in with it.
    Signup {
        #[arg(long, env = "KINO_SERVER")]
        server: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, env = "KINO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// An admin's invitation code, or the setup code `kino` printed at first start (it
        /// makes this account the admin).
        #[arg(long)]
        code: Option<String>,
    },
    /// Forget the session (and revoke it on the server).
    Logout,
    /// Upload a video; run it again after an interruption to resume.
    Upload {
        file: PathBuf,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// Follow the video until it is published or has failed.
        #[arg(long)]
        wait: bool,
        /// Parts sent at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
        parallel: u16,
        /// Cap the upload rate, e.g. 500K, 8M.
        #[arg(long, value_parser = throttle::parse_rate)]
        limit_rate: Option<u64>,
    },
    /// List your videos, newest first.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Show one video.
    Status {
        video: String,
        #[arg(long)]
        json: bool,
    },
}

/// Exit code when the video failed to process.
const EXIT_VIDEO_FAILED: i32 = 3;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

fn password(given: Option<String>) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        bail!("no password given");
    }
    Ok(p)
}

fn failure(e: &client::Error<types::ErrorBody>) -> anyhow::Error {
    let (_, code, message) = client::error_code(e);
    anyhow::anyhow!("{message} ({code})")
}

/// Keeps the session a sign-in or sign-up opened.
fn remember(
    profile: &Profile,
    server: String,
    email: String,
    auth: types::AuthResponse,
    what: &str,
) -> Result<i32> {
    profile.save_session(&Session {
        server,
        token: auth.token,
        email,
    })?;
    eprintln!("{what} as {}", auth.user.display_name);
    Ok(0)
}

async fn run(cli: Cli) -> Result<i32> {
    let profile = Profile::open(cli.home)?;
    match cli.command {
        Command::Login {
            server,
            email,
            password: pw,
        } => {
            let server = server.trim_end_matches('/').to_owned();
            let r = client::connect(&server, None)
                .login(&types::LoginRequest {
                    email: email.clone(),
                    password: password(pw)?,
                })
                .await
                .map_err(|e| failure(&e))?
                .into_inner();
            remember(&profile, server, email, r, "signed in")
        }
        Command::Signup {
            server,
            email,
            name,
            password: pw,
            code,
        } => {
            let server = server.trim_end_matches('/').to_owned();
            let r = client::connect(&server, None)
                .signup(&types::SignupRequest {
                    email: email.clone(),
                    password: password(pw)?,
                    display_name: name,
                    invite_code: code,
                })
                .await
                .map_err(|e| failure(&e))?
                .into_inner();
            remember(&profile, server, email, r, "account created; signed in")
        }
        Command::Logout => {
            if let Ok(s) = profile.session() {
                // Revoking is best effort: the local session goes either way.
                let _ = client::connect(&s.server, Some(&s.token)).logout().await;
            }
            profile.forget_session()?;
            eprintln!("signed out");
            Ok(0)
        }
        Command::Upload {
            file,
            title,
            description,
            wait,
            parallel,
            limit_rate,
        } => {
            let s = profile.session()?;
            let api = client::connect(&s.server, Some(&s.token));
            let done = upload::upload(
                &api,
                &s.server,
                &profile,
                upload::UploadJob {
                    file,
                    title,
                    description,
                    parallel: usize::from(parallel),
                    limit_rate,
                    show_progress: std::io::stderr().is_terminal(),
                },
            )
            .await?;
            if done.resumed_parts > 0 {
                eprintln!(
                    "uploaded (resumed: {} of {} parts were already on the server)",
                    done.resumed_parts, done.total_parts
                );
            } else {
                eprintln!("uploaded");
            }
            println!("{}", done.video_id);
            if wait {
                return follow(&api, &done.video_id).await;
            }
            Ok(0)
        }
        Command::Ls { json } => {
            let s = profile.session()?;
            let api = client::connect(&s.server, Some(&s.token));
            let mut all = Vec::new();
            let mut cursor = None;
            loop {
                let page = api
                    .list_my_videos(cursor.as_deref(), Some(100))
                    .await
                    .map_err(|e| failure(&e))?
                    .into_inner();
                all.extend(page.items);
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!("{:<26}  {:<10}  {:>8}  TITLE", "ID", "STATE", "DURATION");
                for v in &all {
                    println!(
                        "{:<26}  {:<10}  {:>8}  {}",
                        v.id,
                        v.state.to_string(),
                        v.duration_s.map(shared::duration_label).unwrap_or_default(),
                        v.title
                    );
                }
            }
            Ok(0)
        }
        Command::Status { video, json } => {
            let s = profile.session()?;
            let api = client::connect(&s.server, Some(&s.token));
            let v = api
                .get_video(&video)
                .await
                .map_err(|e| failure(&e))?
                .into_inner();
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_video(&s.server, &v);
            }
            Ok(if v.state == types::VideoState::Failed {
                EXIT_VIDEO_FAILED
            } else {
                0
            })
        }
    }
}

fn print_video(server: &str, v: &types::Video) {
    println!("id:       {}", v.id);
    println!("title:    {}", v.title);
    println!("state:    {}", v.state);
    if let Some(r) = &v.failure_reason {
        println!("reason:   {r}");
    }
    if let Some(d) = v.duration_s {
        println!("duration: {}", shared::duration_label(d));
    }
    println!("watch:    {server}/watch/{}", v.id);
}

/// Polls a video until it is published (0) or failed (3), showing its state as it changes.
async fn follow(api: &client::Client, video: &str) -> Result<i32> {
    let spinner = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    spinner.enable_steady_tick(Duration::from_millis(120));
    let mut last = None;
    let mut errors = 0;
    loop {
        match api.get_video(video).await {
            Ok(v) => {
                errors = 0;
                let v = v.into_inner();
                if last.as_ref() != Some(&v.state) {
                    let line = format!("{video}: {}", v.state);
                    if spinner.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        spinner.println(line);
                    }
                    spinner.set_message(v.state.to_string());
                    last = Some(v.state);
                }
                match v.state {
                    types::VideoState::Published => {
                        spinner.finish_and_clear();
                        return Ok(0);
                    }
                    types::VideoState::Failed => {
                        spinner.finish_and_clear();
                        eprintln!(
                            "processing failed: {}",
                            v.failure_reason.as_deref().unwrap_or("no reason given")
                        );
                        return Ok(EXIT_VIDEO_FAILED);
                    }
                    types::VideoState::Deleted => {
                        spinner.finish_and_clear();
                        bail!("the video was deleted");
                    }
                    _ => {}
                }
            }
            // The server may restart while a long video processes; keep following.
            Err(e) if errors < 30 && e.status().is_none_or(|s| s.is_server_error()) => {
                errors += 1;
            }
            Err(e) => return Err(failure(&e)),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
