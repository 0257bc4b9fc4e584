//! WebSockets between a Worker and the network, on tokio-tungstenite.
//!
//! JS holds one end of a pair of channels (a resource, see the ops below);
//! a relay task on the host's runtime holds the other and moves messages
//! between them and the socket:
//! - a Worker that answers an `Upgrade: websocket` request with status 101
//!   and `webSocket: client` hands the channels to the host in the
//!   response's extensions ([`Upgrade`]); the HTTP server completes the
//!   handshake on the same connection and starts the relay;
//! - a Worker's `fetch()` with `Upgrade: websocket` connects out
//!   ([`op_websocket_connect`]) and relays the same way.
//!
//! Messages a Worker sends are queued without a bound, as `send()` is
//! synchronous in JS and cannot wait. The channels are futures' rather than
//! tokio's: tokio's allocates a block of 32 messages up front, 7 KB per
//! idle socket across a socket's channels.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use deno_core::{AsyncRefCell, ByteString, OpState, RcRef, Resource, ResourceId, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use deno_permissions::PermissionsContainer;
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};

use crate::body::ResponseBody;

deno_core::extension!(
    isola_websocket,
    deps = [isola_global_scope],
    ops = [
        op_websocket_create,
        op_websocket_send_text,
        op_websocket_send_binary,
        op_websocket_close,
        op_websocket_next,
        op_websocket_connect,
    ],
    esm = [dir "src/websocket", "websocket.js"],
);

/// The host's end of a Worker's WebSocket.
pub struct Link {
    /// What the Worker sends.
    outgoing: mpsc::UnboundedReceiver<Message>,
    /// What the peer sends the Worker.
    incoming: mpsc::Sender<Message>,
}

/// A Worker's WebSocket, in the extensions of its 101 response, for the
/// server to take once the handshake is done.
#[derive(Clone)]
pub struct Upgrade(Arc<Mutex<Option<Link>>>);

impl Upgrade {
    pub fn new(link: Link) -> Self {
        Self(Arc::new(Mutex::new(Some(link))))
    }

    pub(crate) fn take(&self) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// JS's end of a WebSocket.
struct WebSocketResource {
    outgoing: mpsc::UnboundedSender<Message>,
    incoming: AsyncRefCell<mpsc::Receiver<Message>>,
    /// The host's end, until a response or a connection takes it.
    link: RefCell<Option<Link>>,
    /// For a socket another Worker answered with ([`adopt`]): this
    /// resource's own far end, joined to `link` once JS uses the socket
    /// here rather than returning it in a response of its own.
    unjoined: RefCell<Option<Link>>,
}

impl WebSocketResource {
    /// Joins the adopted socket to this resource, if it is one and JS now
    /// uses it: its messages are moved both ways until either side ends.
    fn join(&self) {
        let Some(own) = self.unjoined.borrow_mut().take() else {
            return;
        };
        let Some(other) = self.link.borrow_mut().take() else {
            return;
        };
        tokio::spawn(forward(own.outgoing, other.incoming));
        tokio::spawn(forward(other.outgoing, own.incoming));
    }
}

async fn forward(mut from: mpsc::UnboundedReceiver<Message>, mut to: mpsc::Sender<Message>) {
    while let Some(message) = from.next().await {
        let close = matches!(message, Message::Close(_));
        if to.send(message).await.is_err() || close {
            return;
        }
    }
}

/// A socket for the `webSocket` of a 101 response another Worker of the
/// host answered with (a service binding's or a Durable Object's):
/// returned in a response, it passes through untouched; used here, it is
/// joined to this isolate.
pub fn adopt(state: &mut OpState, upgrade: &Upgrade) -> Option<ResourceId> {
    let link = upgrade.take()?;
    let (resource, own) = channels();
    *resource.link.borrow_mut() = Some(link);
    *resource.unjoined.borrow_mut() = Some(own);
    Some(state.resource_table.add(resource))
}

impl Resource for WebSocketResource {
    fn name(&self) -> Cow<'_, str> {
        "webSocket".into()
    }
}

/// tungstenite's settings for every socket: a read buffer of 4 KiB, where
/// its default is 128 KiB, allocated and zeroed up front. A buffer that
/// size per socket would make 10 000 idle sockets cost 1.3 GB; a larger
/// message still grows it as it arrives.
fn config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096)
}

/// Messages from the peer waiting for JS, per socket.
const INCOMING: usize = 16;

fn channels() -> (WebSocketResource, Link) {
    let (outgoing, outgoing_rx) = mpsc::unbounded();
    let (incoming_tx, incoming) = mpsc::channel(INCOMING);
    let resource = WebSocketResource {
        outgoing,
        incoming: AsyncRefCell::new(incoming),
        link: RefCell::new(None),
        unjoined: RefCell::new(None),
    };
    let link = Link {
        outgoing: outgoing_rx,
        incoming: incoming_tx,
    };
    (resource, link)
}

/// A socket for the `client` end of a `WebSocketPair`, whose peer will be
/// the network once a response carries it.
#[op2(fast)]
#[smi]
fn op_websocket_create(state: &mut OpState) -> ResourceId {
    let (resource, link) = channels();
    *resource.link.borrow_mut() = Some(link);
    state.resource_table.add(resource)
}

/// The host's end of socket `rid`, for a 101 response.
pub fn take_link(state: &mut OpState, rid: ResourceId) -> Result<Link, JsErrorBox> {
    let socket = state
        .resource_table
        .get::<WebSocketResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    let adopted = socket.unjoined.borrow_mut().take().is_some();
    let link = socket.link.borrow_mut().take();
    // Passed through untouched, an adopted socket leaves nothing here.
    if adopted {
        drop(socket);
        let _ = state.resource_table.take::<WebSocketResource>(rid);
    }
    link.ok_or_else(|| JsErrorBox::type_error("This WebSocket was already returned in a response"))
}

fn send(state: &OpState, rid: ResourceId, message: Message) -> Result<(), JsErrorBox> {
    let socket = state
        .resource_table
        .get::<WebSocketResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    socket.join();
    // The relay has ended: the peer is gone, and JS hears of it as a close.
    let _ = socket.outgoing.unbounded_send(message);
    Ok(())
}

#[op2(fast)]
fn op_websocket_send_text(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[string] text: String,
) -> Result<(), JsErrorBox> {
    send(state, rid, Message::text(text))
}

#[op2(fast)]
fn op_websocket_send_binary(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] data: &[u8],
) -> Result<(), JsErrorBox> {
    send(state, rid, Message::binary(data.to_vec()))
}

#[op2(fast)]
fn op_websocket_close(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[smi] code: u16,
    #[string] reason: String,
) -> Result<(), JsErrorBox> {
    let frame = CloseFrame {
        code: code.into(),
        reason: reason.into(),
    };
    send(state, rid, Message::Close(Some(frame)))
}

/// What the peer sent, as JS reads it.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Received {
    /// `[0, text]`.
    Text(u8, String),
    /// `[1, bytes]`.
    Binary(u8, ToJsBuffer),
    /// `[2, code, reason]`: the peer closed (1006: without a close frame).
    Close(u8, u16, String),
}

/// The next message from the peer; a close once there are no more.
#[op2]
#[serde]
async fn op_websocket_next(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<Received, JsErrorBox> {
    let socket = state
        .borrow()
        .resource_table
        .get::<WebSocketResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    socket.join();
    let mut incoming = RcRef::map(&socket, |s| &s.incoming).borrow_mut().await;
    loop {
        return Ok(match incoming.next().await {
            Some(Message::Text(text)) => Received::Text(0, text.to_string()),
            Some(Message::Binary(data)) => Received::Binary(1, data.to_vec().into()),
            Some(Message::Close(Some(frame))) => {
                Received::Close(2, frame.code.into(), frame.reason.to_string())
            }
            Some(Message::Close(None)) => Received::Close(2, 1005, String::new()),
            Some(_) => continue, // ping, pong: answered by the relay
            None => Received::Close(2, 1006, String::new()),
        });
    }
}

/// A TCP connection to the host of `uri` that the Worker may open.
async fn connect_permitted(
    permissions: PermissionsContainer,
    uri: &http::Uri,
) -> Result<tokio::net::TcpStream, String> {
    let secure = uri.scheme_str() == Some("wss");
    let host = uri.host().ok_or("the URL has no host")?;
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    crate::outbound_tcp::connect(permissions, host, port, "WebSocket").await
}

/// Connects to `url` (ws: or wss:, given as http: or https: as `fetch()`
/// takes it) with `headers`; `[status, headers, socket]`.
#[op2]
#[serde]
async fn op_websocket_connect(
    state: Rc<RefCell<OpState>>,
    #[string] url: String,
    #[serde] headers: Vec<(ByteString, ByteString)>,
) -> Result<(u16, Vec<(ByteString, ByteString)>, ResourceId), JsErrorBox> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let failed = |error: &dyn std::fmt::Display| {
        JsErrorBox::type_error(format!("WebSocket connection to {url} failed: {error}"))
    };
    let ws_url = match url.split_once("://") {
        Some(("http", rest)) => format!("ws://{rest}"),
        Some(("https", rest)) => format!("wss://{rest}"),
        _ => url.clone(),
    };
    let mut request = ws_url.into_client_request().map_err(|e| failed(&e))?;
    for (name, value) in &headers {
        let name = http::HeaderName::from_bytes(name).map_err(|e| failed(&e))?;
        // The handshake's own headers are tungstenite's to set.
        if name.as_str().starts_with("sec-websocket-")
            && name != http::header::SEC_WEBSOCKET_PROTOCOL
            || [
                http::header::UPGRADE,
                http::header::CONNECTION,
                http::header::HOST,
            ]
            .contains(&name)
        {
            continue;
        }
        let value = http::HeaderValue::from_bytes(value).map_err(|e| failed(&e))?;
        request.headers_mut().append(name, value);
    }
    let permissions = state.borrow().borrow::<PermissionsContainer>().clone();
    let tcp = connect_permitted(permissions, request.uri())
        .await
        .map_err(|e| failed(&e))?;
    let (stream, response) =
        tokio_tungstenite::client_async_tls_with_config(request, tcp, Some(config()), None)
            .await
            .map_err(|e| failed(&e))?;
    let (resource, link) = channels();
    tokio::spawn(relay(stream, link));
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().into(), value.as_bytes().into()))
        .collect();
    let rid = state.borrow_mut().resource_table.add(resource);
    Ok((response.status().as_u16(), headers, rid))
}

/// Whether `request` asks to become a WebSocket; its key if so.
pub fn upgrade_key<B>(request: &http::Request<B>) -> Option<String> {
    let headers = request.headers();
    let upgrade = headers.get(http::header::UPGRADE)?.to_str().ok()?;
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return None;
    }
    Some(
        headers
            .get(http::header::SEC_WEBSOCKET_KEY)?
            .to_str()
            .ok()?
            .to_string(),
    )
}

/// Completes a WebSocket handshake: if the Worker's `response` to an
/// upgrade request (`key`, `on_upgrade`) carries a socket, adds the
/// handshake's headers and relays the connection once hyper hands it over.
/// A socket in the response to any other request is an error.
pub fn accept(
    response: &mut http::Response<ResponseBody>,
    upgrade: Option<(String, OnUpgrade)>,
) -> Result<(), &'static str> {
    let Some(socket) = response.extensions_mut().remove::<Upgrade>() else {
        return Ok(());
    };
    let (Some(link), Some((key, on_upgrade))) = (socket.take(), upgrade) else {
        return Err(
            "the Worker returned a WebSocket in its response to a request without 'Upgrade: websocket'",
        );
    };
    let headers = response.headers_mut();
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    let accept = derive_accept_key(key.as_bytes());
    if let Ok(value) = http::HeaderValue::from_str(&accept) {
        headers.insert(http::header::SEC_WEBSOCKET_ACCEPT, value);
    }
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let stream = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config()),
                )
                .await;
                relay(stream, link).await;
            }
            Err(error) => tracing::debug!("WebSocket upgrade failed: {error}"),
        }
    });
    Ok(())
}

/// Moves messages between a WebSocket connection and a Worker until either
/// side closes.
async fn relay<S>(stream: WebSocketStream<S>, mut link: Link)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = stream.split();
    let mut closing = false;
    loop {
        tokio::select! {
            message = link.outgoing.next(), if !closing => match message {
                Some(message) => {
                    closing = message.is_close();
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                // The Worker's socket is gone: close for it.
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    closing = true;
                }
            },
            frame = stream.next() => match frame {
                Some(Ok(message)) => {
                    let close = message.is_close();
                    if matches!(message, Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) {
                        // tungstenite queues the pong; sending flushes it.
                        let _ = sink.flush().await;
                        continue;
                    }
                    if link.incoming.send(message).await.is_err() || close {
                        let _ = sink.flush().await;
                        break;
                    }
                }
                Some(Err(_)) | None => break,
            },
        }
    }
}
