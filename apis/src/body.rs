//! Bodies as they cross between the host and a Worker: the request body a
//! Worker reads (as a deno_core resource, so a proxied body never enters
//! JS) and the response body on its way to the client. The HTTP server, the
//! isolates, the Wasm guests and service bindings all speak these types.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use deno_core::{AsyncRefCell, AsyncResult, BufView, RcRef, Resource};
use deno_error::JsErrorBox;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use tokio::sync::mpsc;

/// Errors a body can fail with while it is read.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A request body, from a client or another Worker.
pub type RequestBody = BoxBody<Bytes, BodyError>;

/// A request body of `bytes`, known up front.
pub fn request_body(bytes: impl Into<Bytes>) -> RequestBody {
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// How many chunks a streaming body buffers before the Worker waits.
pub const STREAM_BUFFER_CHUNKS: usize = 4;

/// A response body: nothing, bytes known up front, chunks as a JS Worker
/// produces them (the first reach the client before the last exist), or a
/// Wasm guest's own streaming body.
pub enum ResponseBody {
    Empty,
    Full(Option<Bytes>),
    Stream(ChannelBody),
    Boxed(UnsyncBoxBody<Bytes, BodyError>),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "ResponseBody::Empty",
            Self::Full(_) => "ResponseBody::Full",
            Self::Stream(_) => "ResponseBody::Stream",
            Self::Boxed(_) => "ResponseBody::Boxed",
        })
    }
}

impl ResponseBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// A streaming body and the sender that feeds it.
    pub fn channel() -> (mpsc::Sender<Result<Bytes, BodyError>>, Self) {
        let (tx, body) = ChannelBody::new();
        (tx, Self::Stream(body))
    }
}

/// The chunks sent into a channel, as a body; unlike [`ResponseBody`] as a
/// whole it is `Sync`, so it can also serve as a request body.
pub struct ChannelBody {
    chunks: mpsc::Receiver<Result<Bytes, BodyError>>,
    /// Whether a chunk has gone out yet.
    started: bool,
    /// An error that came before any chunk, held back for one poll.
    held: Option<BodyError>,
}

impl ChannelBody {
    /// A body and the sender that feeds it, [`STREAM_BUFFER_CHUNKS`] ahead.
    pub fn new() -> (mpsc::Sender<Result<Bytes, BodyError>>, Self) {
        let (tx, chunks) = mpsc::channel(STREAM_BUFFER_CHUNKS);
        let body = Self {
            chunks,
            started: false,
            held: None,
        };
        (tx, body)
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;

    /// The chunks as they come. A body that fails before its first chunk
    /// reports the failure one poll late: hyper writes the response's head
    /// when a body is pending, and drops the connection unwritten when it
    /// fails at once, so this way the client sees the status and headers
    /// the Worker sent, then a cut body, whichever thread ran first.
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Some(error) = this.held.take() {
            return Poll::Ready(Some(Err(error)));
        }
        match this.chunks.poll_recv(cx) {
            Poll::Ready(Some(Err(error))) if !this.started => {
                this.held = Some(error);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Ready(Some(chunk)) => {
                this.started = true;
                Poll::Ready(Some(chunk.map(Frame::data)))
            }
            other => other.map(|end| end.map(|chunk| chunk.map(Frame::data))),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream(body) => Pin::new(body).poll_frame(cx),
            Self::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Full(bytes) => bytes.is_none(),
            Self::Stream(_) => false,
            Self::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Stream(_) => SizeHint::default(),
            Self::Boxed(body) => body.size_hint(),
        }
    }
}

/// A [`RequestBody`] whose error is an `io::Error`: a concrete body type,
/// for generic code that bounds a body's error (and async code checked for
/// `Send`, where a boxed error's lifetime trips the compiler).
pub struct IoBody(pub RequestBody);

impl Body for IoBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Pin::new(&mut self.get_mut().0)
            .poll_frame(cx)
            .map(|frame| frame.map(|result| result.map_err(std::io::Error::other)))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// A request body as a deno_core resource, so that `request.body` is a
/// resource-backed ReadableStream and a proxied body never enters JS.
pub struct RequestBodyResource {
    state: AsyncRefCell<BodyReader>,
}

struct BodyReader {
    body: RequestBody,
    pending: Bytes,
}

impl RequestBodyResource {
    pub fn new(body: RequestBody) -> Self {
        Self {
            state: AsyncRefCell::new(BodyReader {
                body,
                pending: Bytes::new(),
            }),
        }
    }
}

impl Resource for RequestBodyResource {
    fn name(&self) -> std::borrow::Cow<'_, str> {
        "requestBody".into()
    }

    fn read(self: Rc<Self>, limit: usize) -> AsyncResult<BufView> {
        Box::pin(async move {
            let mut reader = RcRef::map(&self, |r| &r.state).borrow_mut().await;
            loop {
                if !reader.pending.is_empty() {
                    let n = limit.min(reader.pending.len());
                    return Ok(BufView::from(reader.pending.split_to(n)));
                }
                match reader.body.frame().await {
                    None => return Ok(BufView::empty()),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            reader.pending = data;
                        }
                    }
                    Some(Err(error)) => {
                        return Err(JsErrorBox::type_error(format!(
                            "The request body could not be read: {error}"
                        )));
                    }
                }
            }
        })
    }
}

/// Chunk size when a body is read from a Worker's stream.
const READ_CHUNK: usize = 64 * 1024;

/// Reads `resource` (a body a Worker streams: a response, or a request to
/// another Worker) chunk by chunk into `sender`, until it ends, fails,
/// passes `max_bytes`, or the reader goes away. A failure is logged under
/// the Worker's name, as `what` failing: the reader only sees a cut body.
pub async fn pump(
    worker: std::sync::Arc<str>,
    what: &'static str,
    resource: Rc<dyn Resource>,
    sender: mpsc::Sender<Result<Bytes, BodyError>>,
    max_bytes: Option<u64>,
) {
    use bytes::Buf;
    let mut sent: u64 = 0;
    loop {
        let chunk = match resource.clone().read(READ_CHUNK).await {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(mut chunk) => chunk.copy_to_bytes(chunk.remaining()),
            Err(error) => {
                tracing::error!(target: "worker", "[{worker}] Uncaught (in {what}) {error}");
                let _ = sender.send(Err(error.to_string().into())).await;
                break;
            }
        };
        sent += chunk.len() as u64;
        if max_bytes.is_some_and(|max| sent > max) {
            tracing::error!("the Worker's {what} passed its size limit; it was cut off");
            let _ = sender
                .send(Err(format!("{what} over the size limit").into()))
                .await;
            break;
        }
        if sender.send(Ok(chunk)).await.is_err() {
            break; // the reader went away
        }
    }
    resource.close();
}
