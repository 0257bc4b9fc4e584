//! A Spin component's `allowed_outbound_hosts`: where its outgoing HTTP may
//! go. A component with none may send nothing, as in Spin.
//!
//! Each entry is `scheme://host[:port]`: the scheme `http`, `https` or `*`
//! (others, such as `redis`, are accepted and match no HTTP request);
//! the host a name, an address, `*`, or `*.example.com` (any name under
//! it); the port a number, a range `8000..8100`, or `*`, and the scheme's
//! own port where none is written.

/// Where one component may send requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts(Vec<Allowed>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// `None`: any scheme.
    scheme: Option<String>,
    host: Host,
    ports: Ports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Any,
    /// `*.example.com`: the names under `example.com`.
    Under(String),
    Exactly(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ports {
    Any,
    /// The scheme's own: 80 for `http`, 443 for `https`.
    Default,
    Range(u16, u16),
}

impl AllowedHosts {
    /// Reads the entries; an error names the one that is wrong.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| Allowed::parse(entry).map_err(|why| format!("{entry:?}: {why}")))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether a request to `uri` may be sent.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("http");
        let Some(host) = uri.host() else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = uri.port_u16().or_else(|| default_port(scheme)).unwrap_or(0);
        self.0
            .iter()
            .any(|allowed| allowed.allows(scheme, &host, port))
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl Allowed {
    fn parse(entry: &str) -> Result<Self, &'static str> {
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or("write it as scheme://host[:port]")?;
        let scheme = match scheme {
            "*" => None,
            _ if scheme.starts_with(|c: char| c.is_ascii_lowercase())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c)) =>
            {
                Some(scheme.to_string())
            }
            _ => return Err("the scheme must be a name (http, https, redis, ...) or *"),
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or("a `[` needs its `]`")?;
                (host, after.strip_prefix(':'))
            }
            None => match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            },
        };
        let host = match host {
            "" => return Err("the host is missing"),
            "*" => Host::Any,
            _ => match host.strip_prefix("*.") {
                Some(domain) => Host::Under(domain.to_ascii_lowercase()),
                None if host.contains('*') => return Err("a `*` may only start the host"),
                None => Host::Exactly(host.to_ascii_lowercase()),
            },
        };
        let ports = match port {
            None if scheme.is_none() => return Err("with any scheme, give the port"),
            None => Ports::Default,
            Some("*") => Ports::Any,
            Some(port) => {
                let bad = "the port must be a number, a range a..b, or *";
                let (from, to) = port.split_once("..").unwrap_or((port, port));
                let from = from.parse().map_err(|_| bad)?;
                let to = to.parse().map_err(|_| bad)?;
                Ports::Range(from, to)
            }
        };
        Ok(Self {
            scheme,
            host,
            ports,
        })
    }

    /// `host` is lower-case.
    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            Host::Any => true,
            Host::Under(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|head| head.ends_with('.')),
            Host::Exactly(name) => name == host,
        };
        let port_ok = match self.ports {
            Ports::Any => true,
            Ports::Default => default_port(scheme) == Some(port),
            Ports::Range(from, to) => (from..=to).contains(&port),
        };
        scheme_ok && host_ok && port_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], uri: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        AllowedHosts::parse(&entries)
            .unwrap()
            .allows(&uri.parse().unwrap())
    }

    #[test]
    fn hosts_ports_and_schemes_are_matched_as_spin_writes_them() {
        assert!(allows(
            &["https://api.example.com"],
            "https://api.example.com/x"
        ));
        assert!(!allows(
            &["https://api.example.com"],
            "http://api.example.com/x"
        ));
        assert!(!allows(
            &["https://api.example.com"],
            "https://api.example.com:8443/"
        ));
        assert!(allows(&["http://127.0.0.1:*"], "http://127.0.0.1:9000/"));
        assert!(allows(&["*://localhost:3000"], "https://localhost:3000/"));
        assert!(allows(
            &["https://*.example.com"],
            "https://a.b.example.com/"
        ));
        assert!(!allows(
            &["https://*.example.com"],
            "https://badexample.com/"
        ));
        assert!(allows(&["http://[::1]:8000..8100"], "http://[::1]:8080/"));
        assert!(allows(&["http://[::1]"], "http://[::1]/"));
        assert!(!allows(&["http://[::1]:8000..8100"], "http://[::1]:9000/"));
        assert!(!allows(&[], "http://127.0.0.1/"));
        assert!(allows(&["http://*:*"], "http://anything:1/"));
        assert!(!allows(
            &["redis://127.0.0.1:6379"],
            "http://127.0.0.1:6379/"
        ));
    }

    #[test]
    fn a_bad_entry_is_named() {
        for bad in [
            "example.com",
            "HTTP://x",
            "*://x",
            "http://a*b",
            "http://x:port",
        ] {
            let error = AllowedHosts::parse(&[bad.to_string()]).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
