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
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use crate::binding::{
    BannerRow, Binding, BindingKind, JsBinding, Prepared, WorkerBindings, entries,
};
use crate::body::{
    BodyError, ChannelBody, RequestBody, RequestBodyResource, ResponseBody, request_body,
};
use crate::durable_objects::ObjectRoute;
use crate::stores::Stores;

pub mod rpc;

/// What a service binding's call asks of the Worker beyond a request: a
/// named entrypoint (`[[services]] entrypoint`), and an RPC call. It
/// travels in the request's extensions, which only the host sets.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub entrypoint: Option<String>,
    /// A Durable Object of the Worker, rather than an entrypoint.
    pub object: Option<ObjectId>,
    /// The object's alarm is due: run its `alarm()` (the number is how
    /// many times it failed before).
    pub alarm: Option<u32>,
    pub rpc: Option<Rpc>,
}

/// A Durable Object: its class, its id (64 hex digits) and the name it was
/// made from (`idFromName`), if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectId {
    pub class: String,
    pub id: String,
    pub name: Option<String>,
}

/// An RPC call: on the entrypoint, or on an object the called isolate
/// exported (`export`); the method at `path` with `args` when `apply`, or
/// the property at `path` read.
#[derive(Debug, Clone, Default)]
pub struct Rpc {
    pub export: Option<u32>,
    pub path: Vec<String>,
    pub apply: bool,
    pub args: rpc::Payload,
}

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
        request: http::Request<RequestBody>,
    ) -> BoxFuture<'static, Option<http::Response<ResponseBody>>>;
}

/// What a Worker threw instead of answering: put in the extensions of the
/// host's error page for it, so that a Worker that called it through a
/// binding sees the exception, as workerd's `fetch()` rejects with it,
/// where a client over HTTP sees the page.
#[derive(Debug, Clone)]
pub struct Thrown {
    pub name: String,
    pub message: String,
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
    ops = [op_service_fetch, op_service_rpc, rpc::op_rpc_stub_call, rpc::op_rpc_stub_dup, rpc::op_rpc_stub_local],
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
    /// A named entrypoint of that Worker (a `WorkerEntrypoint` class it
    /// exports), instead of its default export.
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
        Ok(services
            .into_iter()
            .map(|service| Arc::new(service) as Arc<dyn Binding>)
            .collect())
    }

    fn extension(&self) -> deno_core::Extension {
        isola_services::init()
    }
}

/// What `service.js` reads: whether the binding is the Worker's assets
/// (which have no RPC methods). Where a call goes is the host's to know
/// ([`Route`]): JS names only the binding.
#[derive(serde::Serialize)]
struct JsService {
    assets: bool,
}

/// Where a binding's calls go, prepared once per Worker version and looked
/// up by binding name when a call is made, so that code in the isolate
/// cannot choose another Worker.
#[derive(Debug, Clone)]
struct Route {
    target: Target,
    entrypoint: Option<String>,
    /// For a Durable Object namespace: the class.
    class: Option<String>,
}

impl Binding for ServiceBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("service", JsService { assets: false })
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.service.clone(),
            kind: "Worker",
        }
    }

    /// A service binding opens no store: its calls go through the
    /// isolate's [`Directory`], to where its [`Route`] says.
    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(Some(Arc::new(Route {
            target: Target::Worker(self.service.clone()),
            entrypoint: self.entrypoint.clone(),
            class: None,
        })))
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
        JsBinding::new("service", JsService { assets: true })
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: "static assets".into(),
            kind: "Assets",
        }
    }

    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(Some(Arc::new(Route {
            target: Target::Assets(self.worker.clone()),
            entrypoint: None,
            class: None,
        })))
    }
}

/// Where a call through binding `binding` goes: the binding's route; for
/// a loopback binding (`ctx.exports`), the Worker itself at `entrypoint`;
/// for a Durable Object namespace, the Worker exporting the class.
fn route(
    state: &Rc<RefCell<OpState>>,
    binding: &str,
    loopback: bool,
    entrypoint: String,
) -> Result<Route, JsErrorBox> {
    let state = state.borrow();
    let bindings = state.borrow::<WorkerBindings>();
    if loopback {
        return Ok(Route {
            target: Target::Worker(bindings.worker().to_string()),
            entrypoint: named(entrypoint),
            class: None,
        });
    }
    if let Some(objects) = bindings.get::<ObjectRoute>(binding) {
        let script = objects.script.clone();
        return Ok(Route {
            target: Target::Worker(script.unwrap_or_else(|| bindings.worker().to_string())),
            entrypoint: None,
            class: Some(objects.class.clone()),
        });
    }
    bindings
        .get::<Route>(binding)
        .cloned()
        .ok_or_else(|| JsErrorBox::type_error(format!("No service is bound as {binding}")))
}

/// What a call through a binding reaches in the Worker: an entrypoint by
/// name (empty for the default export), or a Durable Object, `[id, name]`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Callee {
    Entrypoint(String),
    Object(String, Option<String>),
}

/// The route of a call through `binding` to `callee`, and the object it
/// reaches, if any.
fn resolve(
    state: &Rc<RefCell<OpState>>,
    binding: &str,
    loopback: bool,
    callee: Callee,
) -> Result<(Target, Option<String>, Option<ObjectId>), JsErrorBox> {
    let (entrypoint, object) = match callee {
        Callee::Entrypoint(entrypoint) => (entrypoint, None),
        Callee::Object(id, name) => (String::new(), Some((id, name))),
    };
    let Route {
        target,
        entrypoint,
        class,
    } = route(state, binding, loopback, entrypoint)?;
    let object = match (class, object) {
        (None, None) => None,
        (Some(class), Some((id, name))) => Some(ObjectId { class, id, name }),
        _ => {
            return Err(JsErrorBox::type_error(format!(
                "{binding} is not a Durable Object namespace"
            )));
        }
    };
    Ok((target, entrypoint, object))
}

/// What JS gets back: `[status, headers, body resource or null, WebSocket
/// resource or null, [name, message] of what the Worker threw or null]`.
type Answer = (
    u16,
    Vec<(ByteString, ByteString)>,
    Option<ResourceId>,
    Option<ResourceId>,
    Option<(String, String)>,
);

/// Sends a request to the Worker `service` (its `entrypoint`, when named),
/// or to its assets, and returns its response.
#[op2]
#[serde]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per part of the request"
)]
async fn op_service_fetch(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    loopback: bool,
    #[serde] callee: Callee,
    #[string] method: String,
    #[string] url: String,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[smi] body: Option<ResourceId>,
) -> Result<Answer, JsErrorBox> {
    let (target, entrypoint, object) = resolve(&state, &binding, loopback, callee)?;
    let call = (entrypoint.is_some() || object.is_some()).then(|| Call {
        entrypoint,
        object,
        alarm: None,
        rpc: None,
    });
    let body = match body {
        None => request_body(Bytes::new()),
        Some(rid) => {
            let resource = state
                .borrow_mut()
                .resource_table
                .take_any(rid)
                .map_err(JsErrorBox::from_err)?;
            let (sender, body) = ChannelBody::new();
            let name = format!("service binding {binding}");
            deno_core::unsync::spawn(crate::body::pump(
                name.into(),
                "request body",
                resource,
                sender,
                None,
            ));
            body.boxed()
        }
    };
    let request = build(&binding, &method, &url, &headers, body, call)?;
    let (parts, body) = send(&state, &binding, target, request, |body| {
        (!body.is_end_stream()).then(|| {
            let (sender, relayed) = ChannelBody::new();
            tokio::spawn(relay(body, sender));
            relayed
        })
    })
    .await?;
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
    // A 101 with a socket: the other Worker's end, passed on.
    let socket = parts
        .extensions
        .get::<crate::websocket::Upgrade>()
        .and_then(|upgrade| crate::websocket::adopt(&mut state.borrow_mut(), upgrade));
    let thrown = parts
        .extensions
        .get::<Thrown>()
        .map(|thrown| (thrown.name.clone(), thrown.message.clone()));
    Ok((parts.status.as_u16(), headers, rid, socket, thrown))
}

/// The response header by which a called Worker marks an RPC answer (its
/// value in the response's [`rpc::Payload`]) from the host's own error
/// pages.
pub const RPC_ANSWER: &str = "cf-isola-rpc";

/// Calls the RPC method at `path` of the Worker the binding leads to (its
/// `entrypoint`, when named) with `args`, or reads the property there.
#[op2]
#[buffer]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per part of the call"
)]
async fn op_service_rpc(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    loopback: bool,
    #[serde] callee: Callee,
    #[serde] path: Vec<String>,
    apply: bool,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[buffer(copy)] args: Vec<u8>,
    #[serde] outgoing: Option<rpc::Outgoing>,
) -> Result<Vec<u8>, JsErrorBox> {
    let (target, entrypoint, object) = resolve(&state, &binding, loopback, callee)?;
    let Target::Worker(service) = &target else {
        return Err(JsErrorBox::type_error(format!(
            "{binding}: static assets have no RPC methods"
        )));
    };
    let url = format!("https://{service}/");
    let callee = format!("Service binding {binding}: the call to \"{service}\"");
    let args = rpc::pack(&mut state.borrow_mut(), &callee, args, outgoing)?;
    let call = Some(Call {
        entrypoint,
        object,
        alarm: None,
        rpc: Some(Rpc {
            export: None,
            path,
            apply,
            args,
        }),
    });
    let request = build(
        &binding,
        "POST",
        &url,
        &headers,
        request_body(Bytes::new()),
        call,
    )?;
    let answer = send(&state, &binding, target, request, |_| Some(()))
        .await?
        .0;
    let response = http::Response::from_parts(answer, ResponseBody::Empty);
    Ok(rpc::answer(&mut state.borrow_mut(), &callee, Ok(response)))
}

/// An entrypoint's name as JS passes it: empty for the default export.
fn named(entrypoint: String) -> Option<String> {
    (!entrypoint.is_empty()).then_some(entrypoint)
}

/// A request to another Worker, with what the call asks beyond it.
fn build(
    binding: &str,
    method: &str,
    url: &str,
    headers: &[(ByteString, ByteString)],
    body: RequestBody,
    call: Option<Call>,
) -> Result<http::Request<RequestBody>, JsErrorBox> {
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name.as_slice(), value.as_slice());
    }
    if let Some(call) = call {
        request = request.extension(call);
    }
    request
        .body(body)
        .map_err(|error| JsErrorBox::type_error(format!("Service binding {binding}: {error}")))
}

/// Sends `request` to `target` on the host's runtime; `keep` turns the
/// response's body into what the caller's isolate can hold.
async fn send<T: Send + 'static>(
    state: &Rc<RefCell<OpState>>,
    binding: &str,
    target: Target,
    request: http::Request<RequestBody>,
    keep: impl FnOnce(ResponseBody) -> Option<T> + Send + 'static,
) -> Result<(http::response::Parts, Option<T>), JsErrorBox> {
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
    let (Target::Worker(service) | Target::Assets(service)) = &target;
    let missing =
        format!("Service binding {binding}: no Worker named \"{service}\" runs in this host");
    directory
        .runtime
        .spawn(async move {
            let (parts, body) = host.dispatch(target, request).await?.into_parts();
            Some((parts, keep(body)))
        })
        .await
        .map_err(|error| JsErrorBox::generic(format!("Service binding {binding}: {error}")))?
        .ok_or_else(|| JsErrorBox::generic(missing))
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
