//! What crosses between isolates in an RPC call besides the structured
//! clone of its value: capabilities (functions and `RpcTarget` objects
//! passed by reference) and streams (passed by transfer).
//!
//! A capability is an [`Export`]: an object in the exporting isolate's
//! table, and the [`Peer`] through which calls reach that isolate. Each
//! isolate that holds a stub to it holds the export in a [`StubResource`];
//! when the last holder lets go (the stub is disposed, collected, or its
//! isolate ends), the exporter is told to release the object. Passing a
//! stub on to a third Worker hands over the same export, so calls on it go
//! straight to the isolate that owns the object.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use deno_core::{ByteString, OpState, Resource, ResourceId, op2};
use deno_error::JsErrorBox;
use futures::future::BoxFuture;
use http_body_util::BodyExt;

use crate::body::{ChannelBody, RequestBody, RequestBodyResource, ResponseBody};

/// The most a call's arguments or result may take, serialized, as on
/// Cloudflare.
const MAX_SERIALIZED: usize = 32 << 20;

/// An isolate that other isolates' stubs call into.
pub trait Peer: Send + Sync {
    /// Calls the object exported as `export` (or what `call.path` names on
    /// it); the answer is an RPC answer response ([`super::RPC_ANSWER`]),
    /// or why none came.
    fn call(
        &self,
        export: u32,
        call: super::Call,
        headers: http::HeaderMap,
    ) -> BoxFuture<'static, Result<http::Response<ResponseBody>, String>>;

    /// No stub to `export` is left: the exporter may let the object go.
    fn release(&self, export: u32);
}

/// This isolate as a [`Peer`], put in its state by the host that runs it;
/// what it exports is reached through it.
#[derive(Clone)]
pub struct LocalPeer(pub Arc<dyn Peer>);

/// One object exported by an isolate, held by the stubs that reach it.
pub struct Export {
    peer: Arc<dyn Peer>,
    id: u32,
}

impl Drop for Export {
    fn drop(&mut self) {
        self.peer.release(self.id);
    }
}

/// A value on its way to another isolate: its structured-clone bytes, the
/// capabilities and streams they refer to by index.
#[derive(Clone, Default)]
pub struct Payload {
    pub bytes: Bytes,
    pub caps: Vec<Arc<Export>>,
    /// Taken once, by the isolate that receives the payload.
    pub streams: Arc<Mutex<Vec<RequestBody>>>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("bytes", &self.bytes.len())
            .field("caps", &self.caps.len())
            .finish_non_exhaustive()
    }
}

/// What JS sends beside a value's bytes, when it sends anything: each
/// capability as `[0, id]`, an object of this isolate's export table, or
/// `[1, rid]`, a stub it holds; and each stream as the resource it is read
/// from. Calls that pass neither (most) send null.
#[derive(serde::Deserialize, Default)]
pub struct Outgoing {
    caps: Vec<(u8, u32)>,
    streams: Vec<ResourceId>,
}

/// A stub this isolate holds to another isolate's (or its own) export.
pub struct StubResource(Arc<Export>);

impl Resource for StubResource {
    fn name(&self) -> std::borrow::Cow<'_, str> {
        "rpcStub".into()
    }
}

/// The export stub `rid` of this isolate reaches, unless it was disposed.
fn held(state: &OpState, rid: ResourceId) -> Result<Arc<Export>, JsErrorBox> {
    state
        .resource_table
        .get::<StubResource>(rid)
        .map(|stub| stub.0.clone())
        .map_err(|_| JsErrorBox::type_error("RPC stub used after being disposed."))
}

/// Makes a payload of `bytes` and what `outgoing` names, taking the streams
/// out of this isolate; `what` names the call in errors.
pub fn pack(
    state: &mut OpState,
    what: &str,
    bytes: Vec<u8>,
    outgoing: Option<Outgoing>,
) -> Result<Payload, JsErrorBox> {
    let outgoing = outgoing.unwrap_or_default();
    if bytes.len() > MAX_SERIALIZED {
        return Err(JsErrorBox::range_error(format!(
            "{what}: serialized RPC arguments or return values are limited to 32 MiB, and this \
             value takes {} bytes",
            bytes.len()
        )));
    }
    let mut caps = Vec::with_capacity(outgoing.caps.len());
    for (kind, n) in outgoing.caps {
        caps.push(match kind {
            0 => {
                let peer = state.try_borrow::<LocalPeer>().ok_or_else(|| {
                    JsErrorBox::type_error(format!(
                        "{what}: this isolate cannot pass functions or RpcTarget objects"
                    ))
                })?;
                Arc::new(Export {
                    peer: peer.0.clone(),
                    id: n,
                })
            }
            _ => held(state, n)?,
        });
    }
    let mut streams = Vec::with_capacity(outgoing.streams.len());
    for rid in outgoing.streams {
        let resource = state
            .resource_table
            .take_any(rid)
            .map_err(JsErrorBox::from_err)?;
        let (sender, body) = ChannelBody::new();
        deno_core::unsync::spawn(crate::body::pump(
            format!("RPC {what}").into(),
            "stream",
            resource,
            sender,
            None,
        ));
        streams.push(body.boxed());
    }
    Ok(Payload {
        bytes: Bytes::from(bytes),
        caps,
        streams: Arc::new(Mutex::new(streams)),
    })
}

/// What a call's answer or arguments are to JS: one byte `kind` (for an
/// answer: 0, the result; 1, what the method threw; 2, why the call
/// failed, as text), one byte saying whether resources follow, then, if
/// they do, the number of stubs and of streams and their resource ids (all
/// `u32`, little-endian), and last the value's bytes. Calls that pass no
/// stub or stream, most of them, cost no serialization beyond the value's.
pub fn to_js(state: &mut OpState, kind: u8, payload: Payload) -> Vec<u8> {
    let streams = std::mem::take(&mut *payload.streams.lock().unwrap_or_else(|e| e.into_inner()));
    let extra = payload.caps.len() + streams.len();
    let mut out = Vec::with_capacity(2 + 8 + 4 * extra + payload.bytes.len());
    out.push(kind);
    out.push(u8::from(extra > 0));
    if extra > 0 {
        out.extend_from_slice(&(payload.caps.len() as u32).to_le_bytes());
        out.extend_from_slice(&(streams.len() as u32).to_le_bytes());
        for export in payload.caps {
            let rid = state.resource_table.add(StubResource(export));
            out.extend_from_slice(&rid.to_le_bytes());
        }
        for body in streams {
            let rid = state.resource_table.add(RequestBodyResource::new(body));
            out.extend_from_slice(&rid.to_le_bytes());
        }
    }
    out.extend_from_slice(&payload.bytes);
    out
}

/// The answer `response` carries (see [`to_js`]), or why the call to
/// `callee` failed.
pub fn answer(
    state: &mut OpState,
    callee: &str,
    response: Result<http::Response<ResponseBody>, String>,
) -> Vec<u8> {
    let failed = |why: String| {
        let mut out = vec![2, 0];
        out.extend_from_slice(why.as_bytes());
        out
    };
    let mut response = match response {
        Ok(response) => response,
        Err(why) => return failed(format!("{callee}: {why}")),
    };
    // Without the mark the host answered instead: the Worker failed (an
    // exception outside the method, a limit) or could not run.
    let payload = response.extensions_mut().remove::<Payload>();
    match payload {
        Some(payload) if response.headers().contains_key(super::RPC_ANSWER) => {
            let kind = if response.status().is_success() { 0 } else { 1 };
            to_js(state, kind, payload)
        }
        _ => failed(format!("{callee} failed ({})", response.status())),
    }
}

/// Calls stub `rid`: the method at `path` with `args` when `apply`, or
/// reads the property at `path`.
#[op2]
#[buffer]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per part of the call"
)]
pub(super) async fn op_rpc_stub_call(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[serde] path: Vec<String>,
    apply: bool,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[buffer(copy)] args: Vec<u8>,
    #[serde] outgoing: Option<Outgoing>,
) -> Result<Vec<u8>, JsErrorBox> {
    let (export, call) = {
        let mut state = state.borrow_mut();
        let export = held(&state, rid)?;
        let args = pack(&mut state, "RPC stub", args, outgoing)?;
        let call = super::Call {
            entrypoint: None,
            object: None,
            alarm: None,
            rpc: Some(super::Rpc {
                export: Some(export.id),
                path,
                apply,
                args,
            }),
        };
        (export, call)
    };
    let mut map = http::HeaderMap::new();
    for (name, value) in &headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            map.insert(name, value);
        }
    }
    let answer = export.peer.call(export.id, call, map).await;
    Ok(self::answer(&mut state.borrow_mut(), "RPC stub", answer))
}

/// A stub to export `id` of this isolate (`new RpcStub(target)`).
#[op2(fast)]
#[smi]
pub(super) fn op_rpc_stub_local(state: &mut OpState, id: u32) -> Result<ResourceId, JsErrorBox> {
    let peer = state
        .try_borrow::<LocalPeer>()
        .ok_or_else(|| JsErrorBox::type_error("RpcStub: this isolate serves no RPC calls"))?
        .0
        .clone();
    let export = Arc::new(Export { peer, id });
    Ok(state.resource_table.add(StubResource(export)))
}

/// A second stub to what stub `rid` reaches, disposed on its own.
#[op2(fast)]
#[smi]
pub(super) fn op_rpc_stub_dup(
    state: &mut OpState,
    #[smi] rid: ResourceId,
) -> Result<ResourceId, JsErrorBox> {
    let export = held(state, rid)?;
    Ok(state.resource_table.add(StubResource(export)))
}
