//! Service bindings (`[[services]]`): `env.AUTH.fetch(request)` hands the
//! request straight to the Worker named by the binding, in the same host,
//! with no network hop and no routing: the called Worker sees the URL the
//! caller gave, and its response streams back to the caller.
//!
//! Isolates are loaded before the host that owns them exists, so the pool
//! gives each isolate a [`Directory`] that the host fills in once started.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock, Weak};

use bytes::Bytes;
use deno_core::{ByteString, OpState, ResourceId, op2};
use deno_error::JsErrorBox;
use futures::future::BoxFuture;
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::body::{BodyError, ChannelBody, RequestBodyResource, ResponseBody};
use crate::stores::Stores;

/// What a fetcher binding reaches, by the Worker's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The Worker itself, as a request routed to it.
    Worker(String),
    /// The Worker's static assets (`env.ASSETS`).
    Assets(String),
}

/// Answers a request with a Worker of the host, or its assets; None if the
/// host has no such Worker.
pub trait Dispatch: Send + Sync {
    fn dispatch(
        self: Arc<Self>,
        target: Target,
        request: http::Request<Full<Bytes>>,
    ) -> BoxFuture<'static, Option<http::Response<ResponseBody>>>;
}

/// Where an isolate's service bindings lead: the host, once it runs, and
/// the runtime its Workers are served on.
pub struct Directory {
    host: OnceLock<Weak<dyn Dispatch>>,
    runtime: tokio::runtime::Handle,
}

impl Directory {
    /// A directory for the runtime this is called on, with no host yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            host: OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Makes `host` the one service bindings call.
    pub fn connect(&self, host: Weak<dyn Dispatch>) {
        let _ = self.host.set(host);
    }
}

deno_core::extension!(
    isola_services,
    deps = [isola_global_scope],
    ops = [op_service_fetch],
    esm_entry_point = "ext:isola_services/service.js",
    esm = [dir "src/services", "service.js"],
);

/// The `services` kind.
pub struct Services;

/// A `[[services]]` entry: `env.<binding>.fetch()` calls the Worker named
/// `service` in the same host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBinding {
    pub binding: String,
    pub service: String,
    /// A named entrypoint of that Worker; refused when the config is read
    /// (only the default export is reachable) rather than call the wrong
    /// handler.
    #[serde(default)]
    pub entrypoint: Option<String>,
}

impl BindingKind for Services {
    fn key(&self) -> &'static str {
        "services"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        _dir: &std::path::Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let services: Vec<ServiceBinding> = entries(self.key(), value)?;
        if let Some(service) = services.iter().find(|s| s.entrypoint.is_some()) {
            return Err(format!(
                "service binding {}: named entrypoints (`entrypoint`) are not supported; \
                 bind to the Worker's default export",
                service.binding
            ));
        }
        Ok(services
            .into_iter()
            .map(|service| Arc::new(service) as Arc<dyn Binding>)
            .collect())
    }

    fn extension(&self) -> deno_core::Extension {
        isola_services::init()
    }
}

/// What `service.js` reads: the Worker the binding calls, and whether it
/// is that Worker's assets.
#[derive(serde::Serialize)]
struct JsService<'a> {
    service: &'a str,
    assets: bool,
}

impl Binding for ServiceBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new(
            "service",
            JsService {
                service: &self.service,
                assets: false,
            },
        )
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.service.clone(),
            kind: "Worker",
        }
    }

    /// A service binding opens no store: its calls go through the
    /// isolate's [`Directory`].
    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(None)
    }
}

/// `assets.binding`: `env.ASSETS.fetch()` is answered by the Worker's own
/// static assets, as a request routed to them would be (made by the config
/// reader, which knows the Worker's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetsBinding {
    pub binding: String,
    pub worker: String,
}

impl Binding for AssetsBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new(
            "service",
            JsService {
                service: &self.worker,
                assets: true,
            },
        )
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: "static assets".into(),
            kind: "Assets",
        }
    }

    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(None)
    }
}

/// What JS gets back: `[status, headers, body resource or null]`.
type Answer = (u16, Vec<(ByteString, ByteString)>, Option<ResourceId>);

/// Sends a request to the Worker `service` and returns its response.
#[op2]
#[serde]
async fn op_service_fetch(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] service: String,
    assets: bool,
    #[string] method: String,
    #[string] url: String,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[buffer(copy)] body: Vec<u8>,
) -> Result<Answer, JsErrorBox> {
    let directory = state.borrow().borrow::<Arc<Directory>>().clone();
    let host = directory
        .host
        .get()
        .and_then(Weak::upgrade)
        .ok_or_else(|| {
            JsErrorBox::generic(format!(
                "Service binding {binding}: this host is not serving other Workers"
            ))
        })?;
    let mut request = http::Request::builder().method(method.as_str()).uri(&url);
    for (name, value) in &headers {
        request = request.header(name.as_slice(), value.as_slice());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| JsErrorBox::type_error(format!("Service binding {binding}: {error}")))?;
    let missing =
        format!("Service binding {binding}: no Worker named \"{service}\" runs in this host");
    let target = if assets {
        Target::Assets(service)
    } else {
        Target::Worker(service)
    };
    let (parts, body) = directory
        .runtime
        .spawn(async move {
            let response = host.dispatch(target, request).await?;
            let (parts, body) = response.into_parts();
            let body = (!body.is_end_stream()).then(|| {
                let (sender, relayed) = ChannelBody::new();
                tokio::spawn(relay(body, sender));
                relayed
            });
            Some((parts, body))
        })
        .await
        .map_err(|error| JsErrorBox::generic(format!("Service binding {binding}: {error}")))?
        .ok_or_else(|| JsErrorBox::generic(missing))?;
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().into(), value.as_bytes().into()))
        .collect();
    let rid = body.map(|body| {
        state
            .borrow_mut()
            .resource_table
            .add(RequestBodyResource::new(body.boxed()))
    });
    Ok((parts.status.as_u16(), headers, rid))
}

/// Moves the called Worker's response body, on the host's runtime, into a
/// channel the caller's isolate reads (a response body may not be `Sync`,
/// which a request body resource needs).
async fn relay(mut body: ResponseBody, sender: mpsc::Sender<Result<Bytes, BodyError>>) {
    while let Some(frame) = body.frame().await {
        let chunk = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => Ok(data),
                Err(_) => continue, // trailers
            },
            Err(error) => Err(error),
        };
        let failed = chunk.is_err();
        if sender.send(chunk).await.is_err() || failed {
            return;
        }
    }
}
