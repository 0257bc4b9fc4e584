//! A guest's outgoing HTTP (`wasi:http/outgoing-handler`), sent by
//! wasmtime-wasi-http's client with two Workers rules on top:
//!
//! - each request is a subrequest, counted against the Worker's limit like
//!   a JS Worker's `fetch`; past it the guest gets Cloudflare's
//!   "Too many subrequests." as an `internal-error`;
//! - a request to the host the guest is serving (its incoming request's
//!   authority) goes to the origin configured behind the Worker, as a
//!   Worker's subrequest to its own zone goes to the zone's origin on
//!   Cloudflare. That is how a guest is middleware: it forwards the request
//!   it was given;
//! - the host's outbound policy (`crate::outbound`): an address in the
//!   denied ranges, written or resolved, is `destination-ip-prohibited`.
//!   (The client resolves the name again to connect.)

use std::future::Future;
use std::sync::Arc;

use ipnet::IpNet;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The outgoing-request policy of one guest instance.
pub(crate) struct Outgoing {
    /// Subrequests this request may still make.
    left: u32,
    /// The authority the incoming request was addressed to.
    own: Option<http::uri::Authority>,
    origin: Option<Arc<url::Url>>,
    /// Where it may not go.
    denied: Arc<[IpNet]>,
}

impl Outgoing {
    pub(crate) fn new(
        subrequests: u32,
        own: Option<http::uri::Authority>,
        origin: Option<Arc<url::Url>>,
        denied: Arc<[IpNet]>,
    ) -> Self {
        Self {
            left: subrequests,
            own,
            origin,
            denied,
        }
    }

    /// Points `uri` at the origin if it is addressed to the guest's own host.
    fn route(&self, uri: &http::Uri) -> Option<http::Uri> {
        let origin = self.origin.as_ref()?;
        if uri.authority() != self.own.as_ref() {
            return None;
        }
        let authority = &origin[url::Position::BeforeHost..url::Position::AfterPort];
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        format!("{}://{authority}{path}", origin.scheme())
            .parse()
            .ok()
    }
}

type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for Outgoing {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sent {
        if self.left == 0 {
            return Box::new(async {
                Err(Error::InternalError(Some("Too many subrequests.".into())))
            });
        }
        self.left -= 1;
        if let Some(uri) = self.route(request.uri()) {
            *request.uri_mut() = uri;
        }
        drop(fut);
        let denied = self.denied.clone();
        Box::new(async move {
            use http_body_util::BodyExt;
            if prohibited(&denied, request.uri()).await {
                return Err(Error::DestinationIpProhibited);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Whether `uri`'s host is, or resolves to, an address in `denied`. A name
/// that does not resolve is left for the client to report.
async fn prohibited(denied: &[IpNet], uri: &http::Uri) -> bool {
    let Some(host) = uri.host() else {
        return false;
    };
    if denied.is_empty() {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses
            .map(|address| address.ip())
            .any(|ip| denied.iter().any(|net| net.contains(&ip))),
        Err(_) => false,
    }
}
