//! This host as one of a deployment's (`[cluster]`, docs/cluster.md):
//! joining it, the internal listener through which other hosts reach the
//! D1 databases and Durable Objects this host owns, and the forwarding of
//! a call on an object that another host owns.
//!
//! | internal request | does |
//! | --- | --- |
//! | `POST /d1/<key>` | runs a D1 call ([`isola_cluster::wire`]) on a database this host owns |
//! | `<method> /call/<worker>` | runs a call on a Durable Object this host owns: the request as the caller's Worker made it, with the call in [`CALL_HEADER`] and its URL in [`URL_HEADER`] |
//!
//! Every internal request carries the deployment's secret
//! ([`isola_cluster::wire::SECRET_HEADER`]); others get 401. An RPC call
//! crosses hosts when its arguments and result are plain values: stubs
//! and streams in them cannot (they stay in the isolate that made them).

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use isola_apis::body::{BodyError, IoBody, RequestBody, ResponseBody, request_body};
use isola_apis::services::rpc::Payload;
use isola_apis::services::{Call, ObjectId, RPC_ANSWER, Rpc, Target, Thrown};
use isola_cluster::wire::{self, MISDIRECTED, SECRET_HEADER};
use isola_cluster::{Cluster, ClusterConfig, Databases, Placement};
use isola_storage::replica::Replicas;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::config::{ClusterOptions, SECRET_VAR};
use crate::host::Host;

/// The header that carries a forwarded call (JSON).
pub const CALL_HEADER: &str = "x-isola-call";
/// The header that carries a forwarded request's URL.
pub const URL_HEADER: &str = "x-isola-url";
/// The header that carries what a forwarded call's Worker threw (JSON).
const THROWN_HEADER: &str = "x-isola-thrown";

/// Joins the deployment `options` describe: registers this host in etcd
/// and connects to the replicas' bucket. Local copies of the databases
/// this host owns go in `<state_dir>/cluster`.
pub fn join(options: &ClusterOptions, state_dir: &Path) -> anyhow::Result<Arc<Databases>> {
    let secret = std::env::var(SECRET_VAR).map_err(|_| {
        anyhow::anyhow!(
            "[cluster]: set {SECRET_VAR} to the secret the deployment's hosts share \
             (the same on every host, at least 16 characters)"
        )
    })?;
    anyhow::ensure!(
        secret.len() >= 16,
        "{SECRET_VAR} is too short: give at least 16 characters"
    );
    let replicas = Replicas::connect(&options.replicas, options.replication)
        .map_err(|e| anyhow::anyhow!("`cluster.replicas`: {e}"))?;
    let cluster = Cluster::join(ClusterConfig {
        etcd: options.etcd.clone(),
        prefix: options.prefix.clone(),
        host: options.host.clone(),
        url: options.url.clone(),
        ttl: options.lease_ttl,
    })
    .map_err(|e| anyhow::anyhow!("`cluster.etcd`: {e}"))?;
    Ok(Databases::new(
        cluster,
        replicas,
        state_dir.join("cluster"),
        secret,
    ))
}

/// A forwarded call, as [`CALL_HEADER`] carries it.
#[derive(Debug, Serialize, Deserialize)]
struct WireCall {
    entrypoint: Option<String>,
    object: Option<ObjectId>,
    alarm: Option<u32>,
    /// The RPC method's path and whether it is applied; its arguments are
    /// the request's body.
    rpc: Option<(Vec<String>, bool)>,
}

/// Sends calls on objects to the hosts that own them.
pub struct Forwarder {
    databases: Arc<Databases>,
    http: HttpClient<HttpConnector, IoBody>,
}

impl Forwarder {
    pub fn new(databases: Arc<Databases>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            databases,
            http: HttpClient::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// This host's place in the deployment, for `isola stats`.
    pub fn stats(&self) -> isola_cluster::ClusterStats {
        self.databases.stats()
    }

    /// Where object `key` is served: None here, or the owner's URL. Only
    /// a claim, which asks etcd, leaves the async runtime.
    pub async fn owner(&self, key: &str) -> Result<Option<String>, String> {
        let placed = match self.databases.cluster().known(key) {
            Some(placed) => placed,
            None => {
                let databases = self.databases.clone();
                let key = key.to_string();
                tokio::task::spawn_blocking(move || databases.cluster().place(&key))
                    .await
                    .map_err(|e| e.to_string())??
            }
        };
        Ok(match placed {
            Placement::Here(_) => None,
            Placement::There { url, .. } => Some(url),
        })
    }

    /// Sends `request` (a call on an object of `worker`) to the host at
    /// `url` and returns its answer.
    pub async fn forward(
        &self,
        url: &str,
        worker: &str,
        mut request: http::Request<RequestBody>,
    ) -> Result<http::Response<ResponseBody>, String> {
        let call = request
            .extensions_mut()
            .remove::<Call>()
            .unwrap_or_default();
        let (mut parts, body) = request.into_parts();
        let (rpc, body) = match call.rpc {
            Some(Rpc {
                export: None,
                path,
                apply,
                args,
            }) => {
                if !args.caps.is_empty() || !lock(&args.streams).is_empty() {
                    return Err(
                        "an RPC call to a Durable Object on another host cannot pass stubs or streams"
                            .into(),
                    );
                }
                (Some((path, apply)), request_body(args.bytes))
            }
            Some(_) => return Err("a call on a stub cannot be forwarded to another host".into()),
            None => (None, body),
        };
        let wire_call = WireCall {
            entrypoint: call.entrypoint,
            object: call.object,
            alarm: call.alarm,
            rpc,
        };
        let header = |value: String| http::HeaderValue::from_str(&value).map_err(|e| e.to_string());
        parts
            .headers
            .insert(URL_HEADER, header(parts.uri.to_string())?);
        parts.headers.insert(
            CALL_HEADER,
            header(serde_json::to_string(&wire_call).map_err(|e| e.to_string())?)?,
        );
        parts.headers.insert(
            SECRET_HEADER,
            header(self.databases.client().secret().to_string())?,
        );
        parts.uri = format!("{url}/call/{worker}")
            .parse()
            .map_err(|e: http::uri::InvalidUri| e.to_string())?;
        let response = self
            .http
            .request(http::Request::from_parts(parts, IoBody(body)))
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if response.status() == MISDIRECTED {
            return Err(format!("{url} does not own the object"));
        }
        let (mut parts, body) = response.into_parts();
        if let Some(thrown) = parts.headers.remove(THROWN_HEADER)
            && let Ok((name, message)) =
                serde_json::from_slice::<(String, String)>(thrown.as_bytes())
        {
            parts.extensions.insert(Thrown { name, message });
        }
        if parts.headers.contains_key(RPC_ANSWER) {
            let bytes = body
                .collect()
                .await
                .map_err(|e| format!("{url}: {e}"))?
                .to_bytes();
            parts.extensions.insert(Payload {
                bytes,
                caps: Vec::new(),
                streams: Arc::default(),
            });
            return Ok(http::Response::from_parts(parts, ResponseBody::Empty));
        }
        let body = body.map_err(|e| -> BodyError { Box::new(e) });
        Ok(http::Response::from_parts(
            parts,
            ResponseBody::Boxed(body.boxed_unsync()),
        ))
    }
}

/// Serves other hosts' calls on `listener` until dropped.
pub async fn serve_internal(listener: TcpListener, host: Arc<Host>, databases: Arc<Databases>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let host = host.clone();
        let databases = databases.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let host = host.clone();
                let databases = databases.clone();
                async move { Ok::<_, Infallible>(internal(request, host, databases).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds the internal listener of `options`.
pub async fn bind(options: &ClusterOptions) -> anyhow::Result<TcpListener> {
    TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("`cluster.listen`: cannot listen on {}", options.listen))
}

async fn internal(
    request: hyper::Request<Incoming>,
    host: Arc<Host>,
    databases: Arc<Databases>,
) -> http::Response<ResponseBody> {
    if !databases.client().authorized(request.headers()) {
        return status(
            http::StatusCode::UNAUTHORIZED,
            "the deployment's secret is missing or wrong",
        );
    }
    let path = request.uri().path().to_string();
    if let Some(key) = path.strip_prefix("/d1/") {
        return d1(key.to_string(), request, databases).await;
    }
    if let Some(worker) = path.strip_prefix("/call/") {
        return call(worker.to_string(), request, host, databases).await;
    }
    status(http::StatusCode::NOT_FOUND, "no such internal endpoint")
}

/// Runs a forwarded D1 call.
async fn d1(
    key: String,
    request: hyper::Request<Incoming>,
    databases: Arc<Databases>,
) -> http::Response<ResponseBody> {
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return status(http::StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let call: wire::Request = match serde_json::from_slice(&body) {
        Ok(call) => call,
        Err(e) => return status(http::StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let answer = tokio::task::spawn_blocking(move || databases.serve(&key, &call)).await;
    match answer {
        Ok(Some(answer)) => match serde_json::to_vec(&answer) {
            Ok(json) => http::Response::new(ResponseBody::full(json)),
            Err(e) => status(http::StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Ok(None) => status(MISDIRECTED, "this host does not own the database"),
        Err(e) => status(http::StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Runs a forwarded call on an object of `worker`, if this host owns it.
async fn call(
    worker: String,
    request: hyper::Request<Incoming>,
    host: Arc<Host>,
    databases: Arc<Databases>,
) -> http::Response<ResponseBody> {
    let (mut parts, body) = request.into_parts();
    let wire_call: Option<WireCall> = parts
        .headers
        .remove(CALL_HEADER)
        .and_then(|value| serde_json::from_slice(value.as_bytes()).ok());
    let url = parts
        .headers
        .remove(URL_HEADER)
        .and_then(|value| value.to_str().ok()?.parse::<http::Uri>().ok());
    let (Some(wire_call), Some(url)) = (wire_call, url) else {
        return status(
            http::StatusCode::BAD_REQUEST,
            "a call without its call or URL",
        );
    };
    parts.headers.remove(SECRET_HEADER);
    parts.uri = url;
    let Some(object) = &wire_call.object else {
        return status(http::StatusCode::BAD_REQUEST, "a call on no object");
    };
    let key = match host.object_key(&worker, object) {
        Ok(key) => key,
        Err(e) => return status(http::StatusCode::NOT_FOUND, &e),
    };
    let claimed = tokio::task::spawn_blocking(move || databases.cluster().claim(&key)).await;
    match claimed {
        Ok(Ok(Placement::Here(_))) => {}
        Ok(Ok(Placement::There { .. })) => {
            return status(MISDIRECTED, "this host does not own the object");
        }
        Ok(Err(e)) => return status(http::StatusCode::SERVICE_UNAVAILABLE, &e),
        Err(e) => return status(http::StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
    let body = body.map_err(|e| -> BodyError { Box::new(e) }).boxed();
    let (rpc, body) = match wire_call.rpc {
        Some((path, apply)) => {
            let args = match body.collect().await {
                Ok(args) => args.to_bytes(),
                Err(e) => return status(http::StatusCode::BAD_REQUEST, &e.to_string()),
            };
            let rpc = Rpc {
                export: None,
                path,
                apply,
                args: Payload {
                    bytes: args,
                    caps: Vec::new(),
                    streams: Arc::default(),
                },
            };
            (Some(rpc), request_body(Bytes::new()))
        }
        None => (None, body),
    };
    parts.extensions.insert(Call {
        entrypoint: wire_call.entrypoint,
        object: wire_call.object,
        alarm: wire_call.alarm,
        rpc,
    });
    let request = http::Request::from_parts(parts, body);
    let Some(response) = host
        .dispatch_here(Target::Worker(worker.clone()), request)
        .await
    else {
        return status(
            http::StatusCode::NOT_FOUND,
            &format!("no Worker is named {worker:?}"),
        );
    };
    let (mut parts, body) = response.into_parts();
    if let Some(thrown) = parts.extensions.get::<Thrown>()
        && let Ok(json) = serde_json::to_string(&(&thrown.name, &thrown.message))
        && let Ok(value) = http::HeaderValue::from_str(&json)
    {
        parts.headers.insert(THROWN_HEADER, value);
    }
    if let Some(payload) = parts.extensions.remove::<Payload>() {
        if !payload.caps.is_empty() || !lock(&payload.streams).is_empty() {
            return status(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "an RPC result holding stubs or streams cannot cross hosts",
            );
        }
        return http::Response::from_parts(parts, ResponseBody::full(payload.bytes));
    }
    http::Response::from_parts(parts, body)
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn status(code: http::StatusCode, message: &str) -> http::Response<ResponseBody> {
    let mut response = http::Response::new(ResponseBody::full(format!("{message}\n")));
    *response.status_mut() = code;
    response
}
