//! The body of a response on its way from a Worker to the client.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use tokio::sync::mpsc;

use crate::exchange::BodyError;

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
pub struct ChannelBody(mpsc::Receiver<Result<Bytes, BodyError>>);

impl ChannelBody {
    /// A body and the sender that feeds it, [`STREAM_BUFFER_CHUNKS`] ahead.
    pub fn new() -> (mpsc::Sender<Result<Bytes, BodyError>>, Self) {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER_CHUNKS);
        (tx, Self(rx))
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(Frame::data)))
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
