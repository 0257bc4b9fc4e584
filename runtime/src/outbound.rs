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
//! take IPv6 addresses but not IPv6 subnets, so `fetch()` and WebSockets
//! refuse `::1` and `::` but not yet unique-local (`fc00::/7`) and
//! link-local (`fe80::/10`) IPv6 addresses; a Wasm guest's requests, which
//! are checked against the subnets themselves, refuse those too.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

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

    /// Deno's permissions for a Worker with origin `origin`: any network
    /// address but the denied ones, and no files.
    pub fn permissions(&self, origin: Option<&url::Url>) -> deno_permissions::PermissionsContainer {
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
