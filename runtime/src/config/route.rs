//! Route patterns as Cloudflare writes them: `host/path`, where the host may
//! begin with `*` (any prefix, `*.example.com`) and the path may end with
//! `*` (any suffix). A scheme is allowed and ignored; a port, unlike on
//! Cloudflare, may be given since local hosts have one.

use std::cmp::Ordering;
use std::fmt;

/// A parsed, matchable route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    text: String,
    host: String,
    host_wildcard: bool,
    port: Option<u16>,
    path: String,
    path_wildcard: bool,
}

impl RoutePattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .unwrap_or(text);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse()
                    .map_err(|_| format!("route {text:?}: {port:?} is not a port"))?;
                (host, Some(port))
            }
            None => (authority, None),
        };
        let (host, host_wildcard) = match host.strip_prefix('*') {
            Some(suffix) => (suffix, true),
            None => (host, false),
        };
        if host.is_empty() && !host_wildcard {
            return Err(format!(
                "route {text:?} has no host (write `*/path` for any host)"
            ));
        }
        if host.contains('*') {
            return Err(format!("route {text:?}: `*` may only begin the host"));
        }
        let (path, path_wildcard) = match path.strip_suffix('*') {
            Some(prefix) => (prefix, true),
            None => (path, false),
        };
        if path.contains('*') {
            return Err(format!("route {text:?}: `*` may only end the path"));
        }
        Ok(Self {
            text: text.to_string(),
            host: host.to_ascii_lowercase(),
            host_wildcard,
            port,
            path: path.to_string(),
            path_wildcard,
        })
    }

    /// Whether a request to `host` (with its port, if any) and `path` matches.
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => {
                (name, port.parse::<u16>().ok())
            }
            _ => (host, None),
        };
        if self.port.is_some() && self.port != port {
            return false;
        }
        let name = name.to_ascii_lowercase();
        let host_ok = if self.host_wildcard {
            name.ends_with(&self.host)
        } else {
            name == self.host
        };
        let path_ok = if self.path_wildcard {
            path.starts_with(&self.path)
        } else {
            path == self.path
        };
        host_ok && path_ok
    }

    /// Orders patterns from most to least specific, the order in which they
    /// are tried: exact hosts before wildcards, then longer hosts, then
    /// exact paths before wildcards, then longer paths.
    pub fn specificity(&self, other: &Self) -> Ordering {
        self.host_wildcard
            .cmp(&other.host_wildcard)
            .then(other.host.len().cmp(&self.host.len()))
            .then(self.path_wildcard.cmp(&other.path_wildcard))
            .then(other.path.len().cmp(&self.path.len()))
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> RoutePattern {
        RoutePattern::parse(text).unwrap()
    }

    #[test]
    fn hosts_and_paths_match_with_wildcards() {
        let shop = pattern("shop.example.com/*");
        assert!(shop.matches("shop.example.com", "/"));
        assert!(shop.matches("SHOP.example.com:8787", "/cart"));
        assert!(!shop.matches("example.com", "/"));

        let any = pattern("*.example.com/api/*");
        assert!(any.matches("a.example.com", "/api/v1"));
        assert!(!any.matches("a.example.com", "/other"));

        let exact = pattern("https://example.com/login");
        assert!(exact.matches("example.com", "/login"));
        assert!(!exact.matches("example.com", "/login/x"));

        let port = pattern("localhost:9000/*");
        assert!(port.matches("localhost:9000", "/"));
        assert!(!port.matches("localhost:8787", "/"));

        let everywhere = pattern("*/*");
        assert!(everywhere.matches("anything", "/at/all"));
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        assert!(
            RoutePattern::parse("example.*/x")
                .unwrap_err()
                .contains("begin the host")
        );
        assert!(
            RoutePattern::parse("example.com/*/x")
                .unwrap_err()
                .contains("end the path")
        );
        assert!(RoutePattern::parse("/x").unwrap_err().contains("no host"));
        assert!(
            RoutePattern::parse("a.com:http/x")
                .unwrap_err()
                .contains("not a port")
        );
    }

    #[test]
    fn more_specific_patterns_sort_first() {
        let mut patterns = [
            pattern("*/*"),
            pattern("*.example.com/*"),
            pattern("example.com/*"),
            pattern("example.com/api/*"),
            pattern("example.com/api/users"),
        ];
        patterns.sort_by(RoutePattern::specificity);
        let order: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            order,
            [
                "example.com/api/users",
                "example.com/api/*",
                "example.com/*",
                "*.example.com/*",
                "*/*"
            ]
        );
    }
}
