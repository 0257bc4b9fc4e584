//! The HTTP/1.1 server: a tokio accept loop handing each connection to hyper
//! (keep-alive, chunked bodies, upgrades to WebSockets, a header read
//! timeout), each request with a valid `Host` to the [`Host`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::host::Host;
use isola_apis::body::ResponseBody;
use isola_apis::websocket;

use crate::exchange::Failure;
use crate::host::error_response;

/// How long a client may take to send a request's headers: a connection
/// that sends half a header and waits is closed, not kept forever.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to a connection past the limit, written before it is closed.
const FULL: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// Connections a server keeps open by default: three quarters of the file
/// descriptors the process may open, once its soft limit is raised to the
/// hard one (the rest is for subrequests, stores and modules).
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for the call to fill in and read.
    let soft = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        limit.rlim_cur
    };
    usize::try_from(soft / 4 * 3).unwrap_or(usize::MAX).max(16)
}

/// A bound listening socket, not yet serving.
pub struct Server {
    listener: TcpListener,
}

/// Binds `addr`; port 0 picks a free port (see [`Server::local_addr`]).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Server> {
    let listener = TcpListener::bind(addr).await?;
    Ok(Server { listener })
}

impl Server {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `host` until the task is dropped, with at most
    /// `max_connections` connections open at once: one more is answered
    /// 503 and closed, so a flood of idle clients meets a clear refusal
    /// rather than the process's file descriptor limit.
    pub async fn serve(self, host: Arc<Host>, max_connections: usize) -> std::io::Result<()> {
        let open = Arc::new(tokio::sync::Semaphore::new(max_connections));
        let mut warned: Option<std::time::Instant> = None;
        loop {
            let (stream, _) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: keep accepting.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let Ok(permit) = open.clone().try_acquire_owned() else {
                let _ = stream.try_write(FULL);
                if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(
                        "{max_connections} connections are open, the most allowed: refusing more"
                    );
                    warned = Some(std::time::Instant::now());
                }
                continue;
            };
            let _ = stream.set_nodelay(true);
            let host = host.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let service = service_fn(move |mut request: hyper::Request<Incoming>| {
                    let host = host.clone();
                    async move {
                        if let Err(reason) = check_host(&request) {
                            return Ok(bad_request(reason));
                        }
                        let upgrade = websocket::upgrade_key(&request)
                            .map(|key| (key, hyper::upgrade::on(&mut request)));
                        let mut response = host.handle(request).await;
                        if let Err(error) = websocket::accept(&mut response, upgrade) {
                            tracing::error!("{error}");
                            response = error_response(Failure::Exception);
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                if let Err(e) = connection.await {
                    tracing::debug!("connection ended: {e}");
                }
            });
        }
    }
}

/// Checks the `Host` header, which routes the request and becomes
/// `request.url`: when present it must be a host with an optional port,
/// without user information, as RFC 9112 asks.
fn check_host<B>(request: &hyper::Request<B>) -> Result<(), &'static str> {
    let Some(value) = request.headers().get(http::header::HOST) else {
        return Ok(());
    };
    let authority: http::uri::Authority = value
        .to_str()
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or("invalid Host header")?;
    if authority.as_str().contains('@') {
        return Err("the Host header may not carry user information");
    }
    if authority.host().is_empty() {
        return Err("the Host header names no host");
    }
    // `Authority` takes any digits as a port; a port is at most 65535.
    let text = authority.as_str();
    if let Some((_, port)) = text.rsplit_once(':')
        && !text.ends_with(']')
        && port.parse::<u16>().is_err()
    {
        return Err("the Host header's port is not a port number");
    }
    Ok(())
}

/// A `400 Bad Request` the server sends itself, before any Worker runs.
fn bad_request(reason: &str) -> http::Response<ResponseBody> {
    let mut response =
        http::Response::new(ResponseBody::full(format!("400 Bad Request: {reason}\n")));
    *response.status_mut() = http::StatusCode::BAD_REQUEST;
    response
}
