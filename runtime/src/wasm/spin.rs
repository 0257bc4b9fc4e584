//! A Spin app's HTTP routing: which of its components answers a request,
//! and the `spin-*` headers that tell the component how it was reached.
//!
//! Routes are Spin's: `/cart` matches only `/cart`; `/users/...` matches
//! `/users` and everything under it; `/users/:id/edit` matches one segment
//! in place of `:id`. An exact route wins over one with a single-segment
//! wildcard, which wins over a trailing wildcard; among trailing wildcards
//! the longer prefix wins. A request no route matches gets a 404, as from
//! `spin up`.

use std::cmp::Ordering;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::Guest;

/// One `[[trigger.http]]` route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinRoute {
    /// As the manifest writes it.
    raw: String,
    segments: Vec<Segment>,
    /// Ends in `/...`.
    trailing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// How a path matched a route.
#[derive(Debug, PartialEq, Eq)]
struct Matched {
    /// What the trailing wildcard matched (`/1/edit`), or empty.
    path_info: String,
    /// Each single-segment wildcard's name and value.
    params: Vec<(String, String)>,
}

impl SpinRoute {
    /// Reads a route as `spin.toml` writes it; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.starts_with('/') {
            return Err(format!("route {text:?} must start with `/`"));
        }
        let (body, trailing) = match text.strip_suffix("/...") {
            Some(prefix) => (prefix, true),
            None if text == "/..." => ("", true),
            None => (text, false),
        };
        let segments = body
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| match segment.strip_prefix(':') {
                Some("") => Err(format!("route {text:?}: a `:` wildcard needs a name")),
                Some(name) => Ok(Segment::Param(name.to_string())),
                None if segment.contains("...") => Err(format!(
                    "route {text:?}: `...` may only end a route, as `/.../`"
                )),
                None => Ok(Segment::Literal(segment.to_string())),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            raw: text.to_string(),
            segments,
            trailing,
        })
    }

    /// The route without its trailing wildcard, as `spin-component-route`.
    fn component_route(&self) -> &str {
        self.raw.strip_suffix("/...").unwrap_or(&self.raw)
    }

    fn matches(&self, path: &str) -> Option<Matched> {
        let mut rest = path;
        let mut params = Vec::new();
        for segment in &self.segments {
            let tail = rest.strip_prefix('/')?;
            let end = tail.find('/').unwrap_or(tail.len());
            let (part, after) = tail.split_at(end);
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Param(name) if !part.is_empty() => {
                    params.push((name.clone(), part.to_string()));
                }
                _ => return None,
            }
            rest = after;
        }
        let exact = rest.is_empty() || (rest == "/" && self.segments.is_empty());
        if !self.trailing && !exact {
            return None;
        }
        if self.trailing && !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        Some(Matched {
            path_info: if self.trailing {
                rest.to_string()
            } else {
                String::new()
            },
            params,
        })
    }

    /// Which of two routes wins where both match: the smaller.
    fn precedence(&self, other: &Self) -> Ordering {
        let rank = |route: &Self| {
            let params = route
                .segments
                .iter()
                .any(|s| matches!(s, Segment::Param(_)));
            (route.trailing, params)
        };
        rank(self)
            .cmp(&rank(other))
            .then_with(|| other.segments.len().cmp(&self.segments.len()))
    }
}

/// A Spin app's components behind their routes.
pub struct SpinGuests {
    /// In precedence order.
    routes: Vec<(SpinRoute, Arc<Guest>)>,
}

impl SpinGuests {
    pub fn new(mut routes: Vec<(SpinRoute, Arc<Guest>)>) -> Self {
        routes.sort_by(|(a, _), (b, _)| a.precedence(b));
        Self { routes }
    }

    /// The component for a request to `url`, its `spin-*` headers added to
    /// `headers`; `None` where no route matches.
    pub fn route(&self, url: &url::Url, headers: &mut HeaderMap) -> Option<Arc<Guest>> {
        let (route, guest, matched) = self
            .routes
            .iter()
            .find_map(|(route, guest)| Some((route, guest, route.matches(url.path())?)))?;
        let mut set = |name: &str, value: &str| {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                headers.insert(name, value);
            }
        };
        set("spin-full-url", url.as_str());
        set("spin-path-info", &matched.path_info);
        set("spin-matched-route", &route.raw);
        set("spin-raw-component-route", &route.raw);
        set("spin-component-route", route.component_route());
        set("spin-base-path", "/");
        for (name, value) in &matched.params {
            set(&format!("spin-path-match-{name}"), value);
        }
        Some(guest.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(route: &str, path: &str) -> Option<(String, Vec<(String, String)>)> {
        SpinRoute::parse(route)
            .unwrap()
            .matches(path)
            .map(|m| (m.path_info, m.params))
    }

    #[test]
    fn exact_wildcard_and_segment_routes_match_as_in_spin() {
        assert_eq!(matched("/cart", "/cart"), Some((String::new(), vec![])));
        assert_eq!(matched("/cart", "/cart/checkout"), None);
        assert_eq!(matched("/cart", "/carts"), None);
        assert_eq!(
            matched("/users/...", "/users"),
            Some((String::new(), vec![]))
        );
        assert_eq!(
            matched("/users/...", "/users/1/edit"),
            Some(("/1/edit".into(), vec![]))
        );
        assert_eq!(matched("/users/...", "/usersx"), None);
        assert_eq!(matched("/...", "/a/b"), Some(("/a/b".into(), vec![])));
        assert_eq!(matched("/...", "/"), Some(("/".into(), vec![])));
        assert_eq!(
            matched("/users/:id/edit", "/users/alice/edit"),
            Some((String::new(), vec![("id".into(), "alice".into())]))
        );
        assert_eq!(matched("/users/:id/edit", "/users//edit"), None);
        assert_eq!(matched("/users/:id/edit", "/users/1"), None);
        assert_eq!(matched("/", "/"), Some((String::new(), vec![])));
    }

    #[test]
    fn exact_routes_win_then_segments_then_the_longest_trailing_prefix() {
        let mut routes: Vec<SpinRoute> = ["/...", "/api/...", "/api/:v/x", "/api/v1/x"]
            .iter()
            .map(|r| SpinRoute::parse(r).unwrap())
            .collect();
        routes.sort_by(SpinRoute::precedence);
        let order: Vec<&str> = routes.iter().map(|r| r.raw.as_str()).collect();
        assert_eq!(order, ["/api/v1/x", "/api/:v/x", "/api/...", "/..."]);
    }

    #[test]
    fn bad_routes_are_refused_with_the_route_named() {
        for bad in ["cart", "/a/.../b", "/a/:"] {
            let error = SpinRoute::parse(bad).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
