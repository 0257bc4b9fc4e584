//! The HTTP/1.1 server: a tokio accept loop handing each connection to hyper
//! (keep-alive, chunked bodies, upgrades to WebSockets), each request to the
//! [`Host`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::host::Host;
use isola_apis::websocket;

use crate::exchange::Failure;
use crate::host::error_response;

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

    /// Serves `host` until the task is dropped.
    pub async fn serve(self, host: Arc<Host>) -> std::io::Result<()> {
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
            let _ = stream.set_nodelay(true);
            let host = host.clone();
            tokio::spawn(async move {
                let service = service_fn(move |mut request: hyper::Request<Incoming>| {
                    let host = host.clone();
                    async move {
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
