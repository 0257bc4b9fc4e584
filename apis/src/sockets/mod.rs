//! `connect()` from `cloudflare:sockets`: outgoing TCP connections, plain,
//! TLS, or upgraded to TLS later (`startTls()`), to the addresses the
//! Worker's net permissions allow ([`crate::outbound_tcp`]). TLS is rustls
//! with the system's root certificates. Each connection counts as a
//! subrequest (`sockets.js`).
//!
//! A socket is a resource with its read and write halves apart, so a read
//! waiting for data never holds up a write.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use deno_core::{
    AsyncRefCell, CancelHandle, CancelTryFuture, JsBuffer, OpState, RcRef, Resource, ResourceId,
    op2,
};
use deno_error::JsErrorBox;
use deno_permissions::PermissionsContainer;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio_rustls::rustls;

deno_core::extension!(
    isola_sockets,
    deps = [isola_global_scope],
    ops = [
        op_socket_connect,
        op_socket_read,
        op_socket_write,
        op_socket_shutdown,
        op_socket_start_tls,
    ],
    esm = [dir "src/sockets", "sockets.js"],
);

trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

type Stream = Box<dyn Io>;

struct Socket {
    read: AsyncRefCell<Option<ReadHalf<Stream>>>,
    write: AsyncRefCell<Option<WriteHalf<Stream>>>,
    /// Cancels everything (the socket is closed).
    cancel: CancelHandle,
    /// Cancels a waiting read alone: `startTls()` needs the read half back
    /// while a write (say, a protocol's request to upgrade) goes on.
    read_cancel: CancelHandle,
}

impl Socket {
    fn new(stream: Stream) -> Self {
        let (read, write) = tokio::io::split(stream);
        Self {
            read: AsyncRefCell::new(Some(read)),
            write: AsyncRefCell::new(Some(write)),
            cancel: CancelHandle::new(),
            read_cancel: CancelHandle::new(),
        }
    }
}

impl Resource for Socket {
    fn name(&self) -> Cow<'_, str> {
        "tcpSocket".into()
    }

    fn close(self: Rc<Self>) {
        self.cancel.cancel();
        self.read_cancel.cancel();
    }
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(certificate);
            }
            Arc::new(
                rustls::ClientConfig::builder()
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        })
        .clone()
}

async fn tls(stream: Stream, hostname: &str) -> Result<Stream, JsErrorBox> {
    let name = rustls::pki_types::ServerName::try_from(hostname.to_string())
        .map_err(|e| JsErrorBox::type_error(format!("{hostname}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(tls_config());
    let stream = connector
        .connect(name, stream)
        .await
        .map_err(|e| JsErrorBox::generic(format!("TLS handshake with {hostname} failed: {e}")))?;
    Ok(Box::new(stream))
}

/// The two ends of a connection, as `opened` reports them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Opened {
    rid: ResourceId,
    remote_address: String,
    local_address: String,
}

/// Opens a connection to `hostname`:`port`, over TLS when `secure`.
#[op2]
#[serde]
async fn op_socket_connect(
    state: Rc<RefCell<OpState>>,
    #[string] hostname: String,
    #[smi] port: u16,
    secure: bool,
) -> Result<Opened, JsErrorBox> {
    let permissions = state.borrow().borrow::<PermissionsContainer>().clone();
    let host = if hostname.contains(':') && !hostname.starts_with('[') {
        format!("[{hostname}]")
    } else {
        hostname.clone()
    };
    let tcp = crate::outbound_tcp::connect(permissions, &host, port, "connect()")
        .await
        .map_err(|e| JsErrorBox::generic(format!("connect() to {hostname}:{port} failed: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let remote_address = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let local_address = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let mut stream: Stream = Box::new(tcp);
    if secure {
        stream = tls(stream, &hostname).await?;
    }
    let rid = state.borrow_mut().resource_table.add(Socket::new(stream));
    Ok(Opened {
        rid,
        remote_address,
        local_address,
    })
}

fn socket(state: &Rc<RefCell<OpState>>, rid: ResourceId) -> Result<Rc<Socket>, JsErrorBox> {
    state
        .borrow()
        .resource_table
        .get::<Socket>(rid)
        .map_err(JsErrorBox::from_err)
}

/// Reads into `buffer`; 0 at the end of the stream.
#[op2]
#[smi]
async fn op_socket_read(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[buffer] mut buffer: JsBuffer,
) -> Result<u32, JsErrorBox> {
    let socket = socket(&state, rid)?;
    let mut read = RcRef::map(&socket, |s| &s.read).borrow_mut().await;
    let Some(half) = Option::as_mut(&mut *read) else {
        return Ok(0);
    };
    let cancel = RcRef::map(&socket, |s| &s.read_cancel);
    let n = half
        .read(&mut buffer)
        .try_or_cancel(cancel)
        .await
        .map_err(|e| JsErrorBox::generic(e.to_string()))?;
    Ok(n as u32)
}

#[op2]
async fn op_socket_write(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[buffer] data: JsBuffer,
) -> Result<(), JsErrorBox> {
    let socket = socket(&state, rid)?;
    let mut write = RcRef::map(&socket, |s| &s.write).borrow_mut().await;
    let half = Option::as_mut(&mut *write)
        .ok_or_else(|| JsErrorBox::type_error("The socket's writable side is closed"))?;
    let cancel = RcRef::map(&socket, |s| &s.cancel);
    half.write_all(&data)
        .try_or_cancel(cancel)
        .await
        .map_err(|e| JsErrorBox::generic(e.to_string()))
}

/// Ends the writing side (the peer reads the end of the stream).
#[op2]
async fn op_socket_shutdown(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<(), JsErrorBox> {
    let socket = socket(&state, rid)?;
    let mut write = RcRef::map(&socket, |s| &s.write).borrow_mut().await;
    if let Some(half) = Option::as_mut(&mut *write) {
        half.shutdown()
            .await
            .map_err(|e| JsErrorBox::generic(e.to_string()))?;
    }
    Ok(())
}

/// Upgrades the connection `rid` to TLS with `hostname`; the new socket's
/// resource id (the old one is gone).
#[op2]
#[smi]
async fn op_socket_start_tls(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[string] hostname: String,
) -> Result<ResourceId, JsErrorBox> {
    let socket = state
        .borrow_mut()
        .resource_table
        .take::<Socket>(rid)
        .map_err(JsErrorBox::from_err)?;
    // A read waiting for data would hold the read half until the server
    // speaks, and it waits for the TLS handshake: end that read first.
    socket.read_cancel.cancel();
    let read = RcRef::map(&socket, |s| &s.read).borrow_mut().await.take();
    let write = RcRef::map(&socket, |s| &s.write).borrow_mut().await.take();
    let (Some(read), Some(write)) = (read, write) else {
        return Err(JsErrorBox::type_error("The socket is closed"));
    };
    let stream = tls(read.unsplit(write), &hostname).await?;
    Ok(state.borrow_mut().resource_table.add(Socket::new(stream)))
}
