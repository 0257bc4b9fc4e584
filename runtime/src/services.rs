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

use crate::exchange::BodyError;
use crate::http::{ChannelBody, ResponseBody};
use crate::isolate::RequestBodyResource;

/// Answers a request with a Worker of the host, by name; None if the host
/// has no Worker of that name.
pub trait Dispatch: Send + Sync {
    fn dispatch(
        self: Arc<Self>,
        service: String,
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

deno_core::extension!(isola_services, ops = [op_isola_service_fetch]);

/// What JS gets back: `[status, headers, body resource or null]`.
type Answer = (u16, Vec<(ByteString, ByteString)>, Option<ResourceId>);

/// Sends a request to the Worker `service` and returns its response.
#[op2]
#[serde]
async fn op_isola_service_fetch(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] service: String,
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
    let (parts, body) = directory
        .runtime
        .spawn(async move {
            let response = host.dispatch(service, request).await?;
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
