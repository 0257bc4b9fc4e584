//! `_redirects`: `from to [status]` lines, looked at before any asset, with
//! Cloudflare's syntax, precedence and limits.
//!
//! A rule without `*` or `:placeholder` that comes before the first one
//! with them is static, found by its exact path; the others are tried in
//! file order. Status 200 rewrites the request to another asset path
//! instead of redirecting.

use std::collections::HashMap;

use super::pattern::{Pattern, substitute};
use super::{Warning, line_too_long};

const MAX_STATIC: usize = 2000;
const MAX_DYNAMIC: usize = 100;
const STATUSES: [u16; 6] = [200, 301, 302, 303, 307, 308];

#[derive(Debug)]
struct Rule {
    to: String,
    status: u16,
}

/// The rules of one `_redirects` file.
#[derive(Debug, Default)]
pub struct Redirects {
    by_path: HashMap<String, Rule>,
    dynamic: Vec<(Pattern, Rule)>,
}

/// What a rule makes of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Redirect {
    /// Answer with `status` and this `Location`.
    To { status: u16, location: String },
    /// Serve the asset at this path instead (status 200).
    Rewrite(String),
}

impl Redirects {
    /// Reads `text`; `html_handling` says whether `/ /index.html` loops.
    /// What is wrong with a line is a warning naming the line, and the
    /// line is skipped.
    pub fn parse(text: &str, html_handling: bool) -> (Self, Vec<Warning>) {
        let mut redirects = Self::default();
        let mut warnings = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        for (index, raw) in lines.iter().enumerate() {
            let number = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > super::MAX_LINE {
                warnings.push(line_too_long(number));
                continue;
            }
            let warn = |message: String| Warning::at(number, line, &message);
            let content = strip_comment(line);
            let tokens: Vec<&str> = content.split_whitespace().collect();
            if !(2..=3).contains(&tokens.len()) {
                warnings.push(warn(format!(
                    "Expected exactly 2 or 3 whitespace-separated tokens. Got {}.",
                    tokens.len()
                )));
                continue;
            }
            let (from, to) = (tokens[0], tokens[1]);
            if has_scheme(from) {
                warnings.push(warn(format!(
                    "Only relative URLs are allowed. Skipping absolute URL {from}."
                )));
                continue;
            }
            let from = normalize_from(from);
            let to_relative = to.starts_with('/');
            if !to_relative && !to.starts_with("https://") {
                warnings.push(warn(
                    "URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with \"https://\").".to_string(),
                ));
                continue;
            }
            let to = if to_relative {
                normalize_path(to, true)
            } else {
                to.to_string()
            };
            let to = to.as_str();
            let status = match tokens.get(2) {
                None => 302,
                Some(text) => match text.parse::<u16>() {
                    Ok(status) if STATUSES.contains(&status) => status,
                    _ => {
                        warnings.push(warn(format!(
                            "Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got {text}."
                        )));
                        continue;
                    }
                },
            };
            if status == 200 && has_scheme(to) {
                warnings.push(warn(format!(
                    "Proxy (200) redirects can only point to relative paths. Got {to}"
                )));
                continue;
            }
            let to_index = to.ends_with("/index") || to.ends_with("/index.html");
            if !has_scheme(to)
                && to_index
                && (from.ends_with("/*") || (from.ends_with('/') && html_handling))
            {
                warnings.push(warn(
                    "Infinite loop detected in this rule and has been ignored. This will cause a redirect to strip `.html` or `/index` and end up triggering this rule again. Please fix or remove this rule to silence this warning.".to_string(),
                ));
                continue;
            }
            if seen.contains(&from) {
                warnings.push(warn(format!("Ignoring duplicate rule for path {from}.")));
                continue;
            }
            let rule = Rule {
                to: to.to_string(),
                status,
            };
            let is_static = !from.contains('*') && !has_placeholder(&from);
            if is_static && redirects.dynamic.is_empty() {
                if redirects.by_path.len() == MAX_STATIC {
                    warnings.push(warn(format!(
                        "Maximum number of static rules supported is {MAX_STATIC}. Skipping line."
                    )));
                    continue;
                }
                seen.push(from.clone());
                redirects.by_path.insert(from, rule);
                continue;
            }
            if redirects.dynamic.len() == MAX_DYNAMIC {
                let left = lines.len() - index;
                warnings.push(Warning::general(format!(
                    "Maximum number of dynamic rules supported is {MAX_DYNAMIC}. Skipping remaining {left} lines of file."
                )));
                break;
            }
            match Pattern::new(&from) {
                Ok(pattern) => {
                    seen.push(from);
                    redirects.dynamic.push((pattern, rule));
                }
                Err(message) => warnings.push(warn(message)),
            }
        }
        (redirects, warnings)
    }

    /// How many rules were read.
    pub fn len(&self) -> usize {
        self.by_path.len() + self.dynamic.len()
    }

    /// What the first rule that matches a request to `path` (as sent,
    /// without its query) on `host` says, given the request's `query`
    /// (with its `?`, or empty).
    pub fn find(&self, host: &str, path: &str, query: &str) -> Option<Redirect> {
        let (rule, to) = match self.by_path.get(path) {
            Some(rule) => (rule, rule.to.clone()),
            None => self.dynamic.iter().find_map(|(pattern, rule)| {
                let captures = pattern.captures(host, path)?;
                Some((rule, substitute(&rule.to, &captures)))
            })?,
        };
        let to = if has_scheme(&to) {
            to
        } else {
            collapse_slashes(&to)
        };
        if rule.status == 200 {
            let rewritten = url::Url::parse(&format!("https://{host}{path}"))
                .and_then(|base| base.join(&to))
                .map(|url| url.path().to_string())
                .unwrap_or(to);
            return Some(Redirect::Rewrite(rewritten));
        }
        Some(Redirect::To {
            status: rule.status,
            location: location(host, &to, query),
        })
    }
}

/// Where a redirect sends the client: a path for the same host, else the
/// whole URL; the target's query if it has one, else the request's.
fn location(host: &str, to: &str, query: &str) -> String {
    let origin = format!("https://{host}");
    let Ok(target) = url::Url::parse(&origin).and_then(|base| base.join(to)) else {
        return to.to_string();
    };
    let search = match target.query() {
        Some(q) => format!("?{q}"),
        None => query.to_string(),
    };
    let hash = target
        .fragment()
        .map(|f| format!("#{f}"))
        .unwrap_or_default();
    let same_origin = target.scheme() == "https"
        && url::Url::parse(&origin).is_ok_and(|o| o.origin() == target.origin());
    if same_origin {
        format!("{}{search}{hash}", target.path())
    } else {
        let mut bare = target.clone();
        bare.set_query(None);
        bare.set_fragment(None);
        format!("{bare}{search}{hash}")
    }
}

/// A line without a trailing ` # comment`.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return line[..i].trim_end();
        }
    }
    line
}

fn has_scheme(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    })
}

fn has_placeholder(path: &str) -> bool {
    path.split(':').skip(1).any(|after| {
        after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// `from` with a leading `/`, without a query or fragment, as a URL
/// parser writes its path (so `/café` matches the request's `/caf%C3%A9`).
fn normalize_from(from: &str) -> String {
    let path = from.split(['?', '#']).next().unwrap_or("");
    if path.starts_with('/') {
        normalize_path(path, false)
    } else {
        normalize_path(&format!("/{path}"), false)
    }
}

/// A relative URL as a URL parser writes it: the path percent-encoded and
/// its dot segments resolved, with the query and fragment when `whole`.
fn normalize_path(relative: &str, whole: bool) -> String {
    let Ok(url) = url::Url::parse(&format!("https://x{relative}")) else {
        return relative.to_string();
    };
    let mut out = url.path().to_string();
    if whole {
        if let Some(query) = url.query() {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = url.fragment() {
            out.push('#');
            out.push_str(fragment);
        }
    }
    out
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Redirects {
        let (redirects, warnings) = Redirects::parse(text, true);
        assert!(warnings.is_empty(), "{warnings:?}");
        redirects
    }

    fn to(status: u16, location: &str) -> Option<Redirect> {
        Some(Redirect::To {
            status,
            location: location.into(),
        })
    }

    #[test]
    fn static_and_dynamic_rules_redirect() {
        let redirects = rules(
            "/old /a.txt 301\n/q /a.txt?z=9\n/ext https://example.org/x?y=1 # inline\n\
             /extnoq https://example.org/x 308\n/blog/:y/:slug /posts/:slug?year=:y 301\n\
             /docs/* /manual/:splat 307\n/users/* /users/id 200\n",
        );
        assert_eq!(redirects.len(), 7);
        assert_eq!(
            redirects.find("h", "/old", "?keep=1"),
            to(301, "/a.txt?keep=1")
        );
        assert_eq!(redirects.find("h", "/q", "?k=1"), to(302, "/a.txt?z=9"));
        assert_eq!(
            redirects.find("h", "/ext", "?k=1"),
            to(302, "https://example.org/x?y=1")
        );
        assert_eq!(
            redirects.find("h", "/extnoq", "?k=1"),
            to(308, "https://example.org/x?k=1")
        );
        assert_eq!(
            redirects.find("h", "/blog/2020/hello", ""),
            to(301, "/posts/hello?year=2020")
        );
        assert_eq!(redirects.find("h", "/docs/a/b", ""), to(307, "/manual/a/b"));
        assert_eq!(
            redirects.find("h", "/users/42", ""),
            Some(Redirect::Rewrite("/users/id".into()))
        );
        assert_eq!(redirects.find("h", "/nothing", ""), None);
        let encoded = rules("/café /menü 301\n");
        assert_eq!(
            encoded.find("h", "/caf%C3%A9", ""),
            to(301, "/men%C3%BC"),
            "rules are matched as the request's path is sent"
        );
        assert_eq!(
            redirects.find("h", "/old/", ""),
            None,
            "trailing slashes count"
        );
    }

    #[test]
    fn bad_lines_are_warnings_with_their_numbers() {
        let (redirects, warnings) = Redirects::parse(
            "/a\nhttps://x.com/a /b\n/c http://x.com/\n/d /e 404\n/f https://x.com/ 200\n\
             /* /index.html 200\n/g /h\n/g /i\n/j k\n",
            true,
        );
        let seen: Vec<(Option<usize>, &str)> = warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            seen[0],
            (
                Some(1),
                "Expected exactly 2 or 3 whitespace-separated tokens. Got 1."
            )
        );
        assert_eq!(
            seen[1],
            (
                Some(2),
                "Only relative URLs are allowed. Skipping absolute URL https://x.com/a."
            )
        );
        assert_eq!(seen[2].0, Some(3));
        assert_eq!(
            seen[3],
            (
                Some(4),
                "Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got 404."
            )
        );
        assert_eq!(
            seen[4],
            (
                Some(5),
                "Proxy (200) redirects can only point to relative paths. Got https://x.com/"
            )
        );
        assert!(seen[5].1.starts_with("Infinite loop detected"), "{seen:?}");
        assert_eq!(seen[6], (Some(8), "Ignoring duplicate rule for path /g."));
        assert_eq!(
            seen[7].0,
            Some(9),
            "a target must be a path or an https URL"
        );
        assert_eq!(redirects.len(), 1);
    }

    #[test]
    fn limits_hold() {
        let text: String = (0..105).map(|i| format!("/d{i}/* /x{i}\n")).collect();
        let (redirects, warnings) = Redirects::parse(&text, true);
        assert_eq!(redirects.len(), 100);
        assert_eq!(
            warnings[0].message,
            "Maximum number of dynamic rules supported is 100. Skipping remaining 5 lines of file."
        );
    }
}
