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
//! - a Spin component sends only where its `allowed_outbound_hosts` say
//!   ([`AllowedHosts`]); elsewhere it gets `http-request-denied`;
//! - the host's outbound policy (`crate::outbound`): an address in the
//!   denied ranges, written or resolved, is `destination-ip-prohibited`.
//!   A plain `http:` request then goes to the address that was checked
//!   (its `Host` header keeps the name), so that a name which resolves
//!   differently the second time cannot lead the client to a denied
//!   address (DNS rebinding). An `https:` request connects by name, for
//!   its certificate's sake; a denied service there would have to present
//!   a certificate for the attacker's name.

use std::future::Future;
use std::sync::Arc;

use ipnet::IpNet;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::AllowedHosts;

/// The outgoing-request policy of one guest instance.
pub(crate) struct Outgoing {
    /// Subrequests this request may still make.
    left: u32,
    /// The authority the incoming request was addressed to.
    own: Option<http::uri::Authority>,
    origin: Option<Arc<url::Url>>,
    /// Where it may not go.
    denied: Arc<[IpNet]>,
    /// Where a Spin component may go (any other guest: anywhere not denied).
    allowed: Option<Arc<AllowedHosts>>,
}

impl Outgoing {
    pub(crate) fn new(
        subrequests: u32,
        own: Option<http::uri::Authority>,
        origin: Option<Arc<url::Url>>,
        denied: Arc<[IpNet]>,
        allowed: Option<Arc<AllowedHosts>>,
    ) -> Self {
        Self {
            left: subrequests,
            own,
            origin,
            denied,
            allowed,
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
        if let Some(allowed) = &self.allowed
            && !allowed.allows(request.uri())
        {
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
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
            if let Some(checked) = checked_address(&denied, request.uri()).await? {
                let pinned = pinned(request.uri(), checked);
                *request.uri_mut() = pinned;
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Checks `uri`'s host against `denied`: `destination-ip-prohibited` if it
/// is, or resolves to, an address there; otherwise the first address it
/// resolved to. A name that does not resolve is left for the client to
/// report, and nothing is checked when nothing is denied.
async fn checked_address(
    denied: &[IpNet],
    uri: &http::Uri,
) -> Result<Option<std::net::SocketAddr>, Error> {
    let Some(host) = bare_host(uri) else {
        return Ok(None);
    };
    if denied.is_empty() {
        return Ok(None);
    }
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let Ok(addresses) = tokio::net::lookup_host((host, port)).await else {
        return Ok(None);
    };
    let addresses: Vec<_> = addresses.collect();
    if addresses
        .iter()
        .any(|address| denied.iter().any(|net| net.contains(&address.ip())))
    {
        return Err(Error::DestinationIpProhibited);
    }
    Ok(addresses.first().copied())
}

/// `uri`'s host, an IPv6 address without its brackets.
fn bare_host(uri: &http::Uri) -> Option<&str> {
    uri.host()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
}

/// `uri` addressed to `checked`, the address its host was checked at: a
/// plain `http:` URI by name gets the address as its authority; any other
/// stays as it is.
fn pinned(uri: &http::Uri, checked: std::net::SocketAddr) -> http::Uri {
    let by_name = bare_host(uri).is_some_and(|host| host.parse::<std::net::IpAddr>().is_err());
    if uri.scheme() != Some(&http::uri::Scheme::HTTP) || !by_name {
        return uri.clone();
    }
    let mut parts = uri.clone().into_parts();
    parts.authority = checked.to_string().parse().ok();
    http::Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_http_request_by_name_goes_to_the_address_checked() {
        let checked: std::net::SocketAddr = "203.0.113.7:8080".parse().unwrap();
        let uri: http::Uri = "http://shop.example:8080/cart?id=1".parse().unwrap();
        assert_eq!(
            pinned(&uri, checked).to_string(),
            "http://203.0.113.7:8080/cart?id=1"
        );
        let v6: std::net::SocketAddr = "[2001:db8::7]:80".parse().unwrap();
        let uri: http::Uri = "http://shop.example/".parse().unwrap();
        assert_eq!(pinned(&uri, v6).to_string(), "http://[2001:db8::7]:80/");
        for kept in [
            "https://shop.example/cart",
            "http://198.51.100.1/x",
            "http://[2001:db8::1]/",
        ] {
            let uri: http::Uri = kept.parse().unwrap();
            assert_eq!(pinned(&uri, checked), uri, "{kept}");
        }
    }
}
