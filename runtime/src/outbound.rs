//! Where a Worker's subrequests may go.
//!
//! In `isola serve`, `fetch()` and outgoing WebSockets may reach any public
//! address, but not the host's own network: loopback, private, link-local
//! and carrier-grade NAT ranges are refused (and with them the admin
//! endpoint and whatever else listens on the machine), unless the host's
//! allow-list (`--allow-net`, `[outbound] allow` in `isola.toml`) or the
//! Worker's own `origin` names them. `isola dev` allows local addresses, as
//! `wrangler dev` does.
//!
//! The rules are Deno's net permissions: a deny list of subnets that
//! `deno_fetch` checks against the URL and against every address a host
//! name resolves to, so a name that points at `127.0.0.1` is refused too.
//! Allowed addresses are carved out of the denied ranges. Deno's rules
//! take IPv6 addresses but not IPv6 subnets, so the isolate's thread keeps
//! the denied IPv6 subnets ([`NetAccess::install`],
//! `isola_apis::denied_ipv6`) for outgoing WebSockets and for `deno_fetch`'s
//! two hooks here: [`refuse_ipv6_literal`] checks a URL's IPv6 address, and
//! [`Ipv6Filter`] drops denied IPv6 addresses from what a name resolves
//! to. A Wasm guest's requests are checked against the subnets themselves.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv6Net};
use isola_apis::denied_ipv6;

/// Ranges a Worker may not reach unless allowed.
const LOCAL_RANGES: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// The host's outbound policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbound {
    /// Local addresses are allowed (`isola dev`).
    pub local: bool,
    /// Addresses and subnets allowed despite being local.
    pub allow: Vec<IpNet>,
}

impl Outbound {
    /// Reads an allow-list entry: an address (`127.0.0.1`, `::1`) or a
    /// subnet (`10.0.0.0/8`).
    pub fn parse_allowed(entry: &str) -> Result<IpNet, String> {
        entry
            .parse::<IpNet>()
            .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("{entry:?} is not an IP address or subnet"))
    }

    /// The subnets a Worker whose origin is `origin` may not reach.
    pub fn denied(&self, origin: Option<&url::Url>) -> Vec<IpNet> {
        if self.local {
            return Vec::new();
        }
        let mut allowed = self.allow.clone();
        allowed.extend(origin.and_then(origin_address).map(IpNet::from));
        let mut denied: Vec<IpNet> = LOCAL_RANGES
            .iter()
            .map(|range| range.parse().expect("the local ranges are valid"))
            .collect();
        for allow in &allowed {
            denied = denied
                .into_iter()
                .flat_map(|range| subtract(range, *allow))
                .collect();
        }
        denied
    }

    /// What an isolate serving a Worker with origin `origin` may reach.
    pub fn access(&self, origin: Option<&url::Url>) -> NetAccess {
        let ipv6 = self
            .denied(origin)
            .into_iter()
            .filter_map(|net| match net {
                IpNet::V6(net) => Some(net),
                IpNet::V4(_) => None,
            })
            .collect();
        NetAccess {
            permissions: self.permissions(origin),
            ipv6,
        }
    }

    /// Deno's permissions for a Worker with origin `origin`: any network
    /// address but the denied ones, and no files.
    fn permissions(&self, origin: Option<&url::Url>) -> deno_permissions::PermissionsContainer {
        let parser =
            deno_permissions::RuntimePermissionDescriptorParser::new(sys_traits::impls::RealSys);
        let denied: Vec<String> = self
            .denied(origin)
            .iter()
            .filter_map(|net| match net {
                IpNet::V4(net) => Some(net.to_string()),
                IpNet::V6(net) if net.prefix_len() == 128 => Some(format!("[{}]", net.addr())),
                // Not expressible in Deno's rules (see the module doc).
                IpNet::V6(_) => None,
            })
            .collect();
        let options = deno_permissions::PermissionsOptions {
            allow_net: Some(Vec::new()),
            deny_net: (!denied.is_empty()).then_some(denied),
            prompt: false,
            ..Default::default()
        };
        let permissions = deno_permissions::Permissions::from_options(&parser, &options)
            .expect("the denied subnets are valid net descriptors");
        deno_permissions::PermissionsContainer::new(Arc::new(parser), permissions)
    }
}

/// Where one isolate's subrequests may go: Deno's permissions, and the
/// denied IPv6 subnets they cannot hold.
pub struct NetAccess {
    permissions: deno_permissions::PermissionsContainer,
    ipv6: Vec<Ipv6Net>,
}

impl NetAccess {
    /// Applies this to the isolate whose op state is `state`, on its thread.
    pub fn install(self, state: &mut deno_core::OpState) {
        state.put(self.permissions);
        denied_ipv6::set(self.ipv6);
    }
}

/// `deno_fetch`'s request hook: refuses a URL whose host is a denied IPv6
/// address (runs on the isolate's thread, in `fetch()`).
pub fn refuse_ipv6_literal(
    request: &mut http::Request<deno_fetch::ReqBody>,
) -> Result<(), deno_error::JsErrorBox> {
    let uri = request.uri();
    let Some(host) = uri.host() else {
        return Ok(());
    };
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    match literal.and_then(|h| h.parse::<Ipv6Addr>().ok()) {
        Some(ip) if denied_ipv6::contains(&ip) => {
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("https" | "wss") => 443,
                _ => 80,
            });
            Err(deno_error::JsErrorBox::new(
                "NotCapable",
                denied_ipv6::refusal(&ip, port),
            ))
        }
        _ => Ok(()),
    }
}

/// `deno_fetch`'s resolver: the system's (getaddrinfo), without the denied
/// IPv6 addresses; a name that resolves to nothing else is refused.
#[derive(Debug)]
pub struct Ipv6Filter;

impl deno_fetch::dns::Resolve for Ipv6Filter {
    fn resolve(
        &self,
        name: hyper_util::client::legacy::connect::dns::Name,
    ) -> deno_fetch::dns::Resolving {
        use tower_service::Service;
        // Read here, on the isolate's thread: the lookup runs elsewhere.
        let denied = denied_ipv6::get();
        Box::pin(async move {
            let mut system = hyper_util::client::legacy::connect::dns::GaiResolver::new();
            let found: Vec<SocketAddr> = system.call(name).await?.collect();
            let refused = |addr: &SocketAddr| match addr.ip() {
                IpAddr::V6(ip) => denied.iter().any(|net| net.contains(&ip)),
                IpAddr::V4(_) => false,
            };
            let kept: Vec<SocketAddr> = found.iter().filter(|a| !refused(a)).copied().collect();
            match (kept.is_empty(), found.iter().find(|a| refused(a))) {
                (true, Some(first)) => {
                    let IpAddr::V6(ip) = first.ip() else {
                        unreachable!("only IPv6 addresses are refused here")
                    };
                    Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        denied_ipv6::refusal(&ip, first.port()),
                    ))
                }
                _ => Ok(kept.into_iter()),
            }
        })
    }
}

/// The address of an origin given as an address or as `localhost`.
fn origin_address(origin: &url::Url) -> Option<IpAddr> {
    match origin.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain("localhost") => Some(IpAddr::from([127, 0, 0, 1])),
        url::Host::Domain(_) => None,
    }
}

/// `range` without the addresses of `hole`, as subnets.
fn subtract(range: IpNet, hole: IpNet) -> Vec<IpNet> {
    if hole.contains(&range) {
        return Vec::new();
    }
    if !range.contains(&hole) {
        return vec![range];
    }
    range
        .subnets(range.prefix_len() + 1)
        .map(|halves| halves.flat_map(|half| subtract(half, hole)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_resolving_to_denied_ipv6_addresses_are_refused() {
        use deno_fetch::dns::Resolve;
        use hyper_util::client::legacy::connect::dns::Name;
        use std::str::FromStr;
        denied_ipv6::set(vec!["fc00::/7".parse().unwrap()]);
        let refused = Ipv6Filter.resolve(Name::from_str("fd00::1").unwrap()).await;
        let error = refused.expect_err("fd00::1 is refused");
        assert!(
            error
                .to_string()
                .contains("Requires net access to \"[fd00::1]"),
            "{error}"
        );
        let public = Ipv6Filter
            .resolve(Name::from_str("2001:db8::1").unwrap())
            .await;
        assert_eq!(
            public.unwrap().map(|a| a.ip()).collect::<Vec<_>>(),
            ["2001:db8::1".parse::<IpAddr>().unwrap()]
        );
    }

    fn net(text: &str) -> IpNet {
        Outbound::parse_allowed(text).unwrap()
    }

    fn denies(denied: &[IpNet], ip: &str) -> bool {
        let ip: IpAddr = ip.parse().unwrap();
        denied.iter().any(|range| range.contains(&ip))
    }

    #[test]
    fn local_ranges_are_denied_unless_allowed() {
        let policy = Outbound::default();
        let denied = policy.denied(None);
        for local in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "169.254.169.254",
            "::1",
        ] {
            assert!(denies(&denied, local), "{local}");
        }
        assert!(!denies(&denied, "93.184.216.34"));
        assert!(
            Outbound {
                local: true,
                ..Default::default()
            }
            .denied(None)
            .is_empty()
        );

        let policy = Outbound {
            local: false,
            allow: vec![net("127.0.0.1"), net("10.0.0.0/8")],
        };
        let denied = policy.denied(None);
        assert!(!denies(&denied, "127.0.0.1"));
        assert!(denies(&denied, "127.0.0.2"));
        assert!(!denies(&denied, "10.9.9.9"));
        assert!(denies(&denied, "192.168.0.1"));
    }

    #[test]
    fn a_workers_own_origin_is_allowed() {
        let origin = url::Url::parse("http://localhost:9000").unwrap();
        let denied = Outbound::default().denied(Some(&origin));
        assert!(!denies(&denied, "127.0.0.1"));
        assert!(denies(&denied, "127.0.0.53"));
        assert!(Outbound::parse_allowed("example.com").is_err());
    }
}
