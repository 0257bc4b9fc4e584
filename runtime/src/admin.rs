//! The admin endpoint: a second HTTP listener, on loopback only, through
//! which the `isola` command talks to a running server (`isola stats`,
//! `isola reload`).
//!
//! A server writes where it listens, with a random token, to
//! `<state dir>/server.json`; commands find it there and send the token as
//! a bearer token, so only whoever can read the state directory can use it.
//!
//! | request | does |
//! | --- | --- |
//! | `GET /stats` | [`HostStats`] as JSON |
//! | `POST /workers/{name}/reload` | reloads a Worker from its files (hot swap), on every host sharing the database |
//! | `POST /kv` | runs a [`KvCommand`] (JSON) on the server's KV store |

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use isola_storage::KvStore;
use isola_storage::kv::KvCommand;

use crate::host::{Host, HostStats};

/// What `<state dir>/server.json` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServerInfo {
    pub pid: u32,
    /// The admin endpoint's address.
    pub admin: SocketAddr,
    pub token: String,
}

fn info_path(state_dir: &Path) -> PathBuf {
    state_dir.join("server.json")
}

/// A running admin endpoint; dropping it removes `server.json`.
pub struct Admin {
    path: PathBuf,
}

impl Drop for Admin {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Starts the admin endpoint for `host` on a free loopback port and
/// records it in `state_dir`.
pub async fn start(host: Arc<Host>, state_dir: &Path) -> anyhow::Result<Admin> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let info = ServerInfo {
        pid: std::process::id(),
        admin: listener.local_addr()?,
        token: uuid::Uuid::new_v4().simple().to_string(),
    };
    // Only the user running the server may read the token: the file is
    // 0600, and a state directory created here is 0700.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state_dir)?;
    let path = info_path(state_dir);
    let _ = std::fs::remove_file(&path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?
        .write_all(&serde_json::to_vec_pretty(&info)?)?;
    let token = Arc::<str>::from(format!("Bearer {}", info.token));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let host = host.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let host = host.clone();
                    let token = token.clone();
                    async move { Ok::<_, Infallible>(answer(&host, &token, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Admin { path })
}

async fn answer(
    host: &Host,
    token: &str,
    request: hyper::Request<Incoming>,
) -> http::Response<Full<Bytes>> {
    let authorized = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == token.as_bytes());
    if !authorized {
        return reply(http::StatusCode::UNAUTHORIZED, "a valid token is needed\n");
    }
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (request.method().as_str(), segments.as_slice()) {
        ("GET", ["stats"]) => match serde_json::to_string(&host.stats()) {
            Ok(json) => reply(http::StatusCode::OK, json),
            Err(e) => reply(http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        ("POST", ["workers", name, "reload"]) => match host.reload_everywhere(name).await {
            Ok(done) => reply(http::StatusCode::OK, done),
            Err(e) => reply(http::StatusCode::UNPROCESSABLE_ENTITY, format!("{e}\n")),
        },
        ("POST", ["kv"]) => {
            let body = match request.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => return reply(http::StatusCode::BAD_REQUEST, e.to_string()),
            };
            let command: KvCommand = match serde_json::from_slice(&body) {
                Ok(command) => command,
                Err(e) => {
                    return reply(
                        http::StatusCode::BAD_REQUEST,
                        format!("not a KV command: {e}\n"),
                    );
                }
            };
            let store = match host.stores().get::<KvStore>() {
                Ok(store) => store,
                Err(e) => return reply(http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
            };
            let ran =
                tokio::task::spawn_blocking(move || command.run(&store, isola_storage::unix_now()))
                    .await;
            match ran {
                Ok(Ok(output)) => match serde_json::to_string(&output) {
                    Ok(json) => reply(http::StatusCode::OK, json),
                    Err(e) => reply(http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
                },
                Ok(Err(e)) => reply(http::StatusCode::UNPROCESSABLE_ENTITY, format!("{e}\n")),
                Err(e) => reply(http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        _ => reply(
            http::StatusCode::NOT_FOUND,
            format!("no admin route {path}\n"),
        ),
    }
}

fn reply(status: http::StatusCode, body: impl Into<Bytes>) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Sends one request to the admin endpoint of the server using
/// `state_dir`; returns the status and body.
pub async fn call(
    state_dir: &Path,
    method: &str,
    path: &str,
    body: Bytes,
) -> anyhow::Result<(u16, String)> {
    let file = info_path(state_dir);
    let info: ServerInfo = match std::fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not a server description: {e}", file.display()))?,
        Err(_) => anyhow::bail!(
            "no isola server is running with state directory {} (no {})",
            state_dir.display(),
            file.display()
        ),
    };
    let stream = tokio::net::TcpStream::connect(info.admin)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the isola server (pid {}) recorded in {} does not answer: {e}",
                info.pid,
                file.display()
            )
        })?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "localhost")
        .header(
            http::header::AUTHORIZATION,
            format!("Bearer {}", info.token),
        )
        .body(Full::new(body))?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Fetches a running server's stats.
pub async fn stats(state_dir: &Path) -> anyhow::Result<HostStats> {
    let (status, body) = call(state_dir, "GET", "/stats", Bytes::new()).await?;
    anyhow::ensure!(status == 200, "the server answered {status}: {body}");
    Ok(serde_json::from_str(&body)?)
}
