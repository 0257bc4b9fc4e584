//! The ops behind `R2Bucket` (`r2.js`). A body crosses as bytes when it is
//! small or already whole, and otherwise as a stream resource, read or
//! written chunk by chunk: no large object is ever held whole.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use deno_core::{JsBuffer, OpState, ResourceId, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use futures::stream::{self, LocalBoxStream, StreamExt};
use http_body_util::BodyExt;
use isola_storage::r2::{
    Bucket, GetOptions, Got, HttpMetadata, ListOptions, ListPage, ObjectInfo, PutOptions, R2Error,
    UploadedPart,
};
use serde::Serialize;

use crate::binding::WorkerBindings;
use crate::body::{ChannelBody, RequestBodyResource};

/// Objects up to this size come back from `get` as bytes, not a stream.
const INLINE_BYTES: u64 = 64 << 10;

fn bucket(state: &Rc<RefCell<OpState>>, binding: &str) -> Result<Bucket, JsErrorBox> {
    WorkerBindings::bound(state, binding, "R2 bucket")
}

/// R2's message and code; `r2.js` puts the method's name in front.
fn js_error(error: R2Error) -> JsErrorBox {
    JsErrorBox::generic(error.to_string())
}

/// A body from the Worker: bytes it gave whole, or the stream `rid`,
/// pumped from its resource as any body a Worker streams is.
fn body(
    state: &Rc<RefCell<OpState>>,
    binding: &str,
    bytes: JsBuffer,
    rid: Option<ResourceId>,
) -> Result<LocalBoxStream<'static, Result<Bytes, String>>, JsErrorBox> {
    let Some(rid) = rid else {
        let bytes = Bytes::from(bytes.to_vec());
        return Ok(stream::iter([Ok(bytes)]).boxed_local());
    };
    let resource = state
        .borrow_mut()
        .resource_table
        .take_any(rid)
        .map_err(JsErrorBox::from_err)?;
    let (sender, channel) = ChannelBody::new();
    let name = format!("R2 bucket {binding}");
    deno_core::unsync::spawn(crate::body::pump(
        name.into(),
        "R2 upload",
        resource,
        sender,
        None,
    ));
    Ok(channel
        .into_data_stream()
        .map(|chunk| chunk.map_err(|e| e.to_string()))
        .boxed_local())
}

/// An object as `r2.js` builds an `R2Object` from it.
type Object = ObjectInfo;

/// What `get` returns: the object, the range it covers, and its bytes
/// inline or as a stream resource; or the object alone when `onlyIf`
/// failed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    object: Object,
    range: Option<(u64, u64)>,
    bytes: Option<ToJsBuffer>,
    rid: Option<ResourceId>,
}

#[op2]
#[serde]
pub async fn op_r2_head(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
) -> Result<Option<Object>, JsErrorBox> {
    bucket(&state, &binding)?.head(&key).await.map_err(js_error)
}

#[op2]
#[serde]
pub async fn op_r2_get(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[serde] options: GetOptions,
) -> Result<Option<Fetched>, JsErrorBox> {
    let got = bucket(&state, &binding)?
        .get(&key, options)
        .await
        .map_err(js_error)?;
    let Some(got) = got else {
        return Ok(None);
    };
    let (info, range, mut body) = match got {
        Got::Unmet(info) => {
            return Ok(Some(Fetched {
                object: info,
                range: None,
                bytes: None,
                rid: None,
            }));
        }
        Got::Body { info, range, body } => (info, range, body),
    };
    let length = range.end - range.start;
    let span = Some((range.start, length));
    if length <= INLINE_BYTES {
        let mut bytes = Vec::with_capacity(length as usize);
        while let Some(chunk) = body.next().await {
            bytes.extend_from_slice(&chunk.map_err(JsErrorBox::generic)?);
        }
        return Ok(Some(Fetched {
            object: info,
            range: span,
            bytes: Some(bytes.into()),
            rid: None,
        }));
    }
    let (sender, relayed) = ChannelBody::new();
    tokio::spawn(async move {
        while let Some(chunk) = body.next().await {
            let failed = chunk.is_err();
            if sender.send(chunk.map_err(Into::into)).await.is_err() || failed {
                break;
            }
        }
    });
    let resource = RequestBodyResource::new(relayed.boxed());
    let rid = state.borrow_mut().resource_table.add(resource);
    Ok(Some(Fetched {
        object: info,
        range: span,
        bytes: None,
        rid: Some(rid),
    }))
}

/// Writes `bytes`, or the stream `rid` when given.
#[op2]
#[serde]
pub async fn op_r2_put(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[serde] options: PutOptions,
    #[buffer] bytes: JsBuffer,
    #[smi] rid: Option<ResourceId>,
) -> Result<Option<Object>, JsErrorBox> {
    let bucket = bucket(&state, &binding)?;
    let body = body(&state, &binding, bytes, rid)?;
    bucket.put(&key, options, body).await.map_err(js_error)
}

#[op2]
pub async fn op_r2_delete(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[serde] keys: Vec<String>,
) -> Result<(), JsErrorBox> {
    bucket(&state, &binding)?
        .delete(keys)
        .await
        .map_err(js_error)
}

#[op2]
#[serde]
pub async fn op_r2_list(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[serde] options: ListOptions,
) -> Result<ListPage, JsErrorBox> {
    bucket(&state, &binding)?
        .list(options)
        .await
        .map_err(js_error)
}

#[op2]
#[string]
pub async fn op_r2_create_multipart(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[serde] http_metadata: HttpMetadata,
    #[serde] custom_metadata: std::collections::BTreeMap<String, String>,
) -> Result<String, JsErrorBox> {
    bucket(&state, &binding)?
        .create_multipart_upload(&key, http_metadata, custom_metadata)
        .await
        .map_err(js_error)
}

#[op2]
#[serde]
pub async fn op_r2_upload_part(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[string] upload_id: String,
    #[smi] number: u32,
    #[buffer] bytes: JsBuffer,
    #[smi] rid: Option<ResourceId>,
) -> Result<UploadedPart, JsErrorBox> {
    let bucket = bucket(&state, &binding)?;
    let body = body(&state, &binding, bytes, rid)?;
    bucket
        .upload_part(&key, &upload_id, number, body)
        .await
        .map_err(js_error)
}

#[op2]
#[serde]
pub async fn op_r2_complete_multipart(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[string] upload_id: String,
    #[serde] parts: Vec<UploadedPart>,
) -> Result<Object, JsErrorBox> {
    bucket(&state, &binding)?
        .complete_multipart_upload(&key, &upload_id, parts)
        .await
        .map_err(js_error)
}

#[op2]
pub async fn op_r2_abort_multipart(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[string] upload_id: String,
) -> Result<(), JsErrorBox> {
    bucket(&state, &binding)?
        .abort_multipart_upload(&key, &upload_id)
        .await
        .map_err(js_error)
}

deno_core::extension!(
    isola_r2,
    deps = [isola_global_scope],
    ops = [
        op_r2_head,
        op_r2_get,
        op_r2_put,
        op_r2_delete,
        op_r2_list,
        op_r2_create_multipart,
        op_r2_upload_part,
        op_r2_complete_multipart,
        op_r2_abort_multipart,
    ],
    esm_entry_point = "ext:isola_r2/r2.js",
    esm = [dir "src/r2", "r2.js"],
);
