//! `_headers`: headers added to and removed from the responses the assets
//! give, for paths that match a rule, with Cloudflare's syntax and limits.
//!
//! ```text
//! /static/*
//!   Cache-Control: public, max-age=31536000, immutable
//! /api/:name
//!   X-Name: :name
//!   ! Cache-Control
//! ```
//!
//! Every matching rule applies, in file order: its removals first, then
//! its headers; the first rule to set a header replaces the default one,
//! later rules add to it. Worker responses never get these headers.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::pattern::{Pattern, substitute};
use super::{Warning, line_too_long};

/// At most this many rules are read.
const MAX_RULES: usize = 100;

#[derive(Debug)]
struct Rule {
    pattern: Pattern,
    set: Vec<(HeaderName, String)>,
    unset: Vec<HeaderName>,
}

/// The rules of one `_headers` file.
#[derive(Debug, Default)]
pub struct HeaderRules {
    rules: Vec<Rule>,
}

/// The rule being read; None after a path line that was refused.
struct Open {
    rule: Option<Rule>,
}

impl HeaderRules {
    /// Reads `text`; what is wrong with a line is a warning naming the
    /// line, and the line is skipped.
    pub fn parse(text: &str) -> (Self, Vec<Warning>) {
        let mut rules = Vec::new();
        let mut warnings = Vec::new();
        let mut open: Option<Open> = None;
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
            let warn = |message: &str| Warning::at(number, line, message);
            if is_path(line) {
                if let Some(done) = open.take() {
                    close(done, &mut rules, &mut warnings, Some((number, line)));
                }
                if rules.len() == MAX_RULES {
                    let left = lines.len() - index;
                    warnings.push(Warning::general(format!(
                        "Maximum number of rules supported is {MAX_RULES}. Skipping remaining {left} lines of file."
                    )));
                    return (Self { rules }, warnings);
                }
                let rule = match check_url(line).and_then(|()| Pattern::new(line)) {
                    Ok(pattern) => Some(Rule {
                        pattern,
                        set: Vec::new(),
                        unset: Vec::new(),
                    }),
                    Err(message) => {
                        warnings.push(warn(&message));
                        None
                    }
                };
                open = Some(Open { rule });
                continue;
            }
            let Some(Open { rule, .. }) = open.as_mut() else {
                warnings.push(warn("Path should come before header (name: value)"));
                continue;
            };
            // Header lines after a rejected path are skipped with it.
            let Some(rule) = rule else { continue };
            if let Some(name) = line.strip_prefix('!') {
                match HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()) {
                    Ok(name) => rule.unset.push(name),
                    Err(_) => warnings.push(warn("No header name specified")),
                }
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                warnings.push(warn(
                    "Expected a colon-separated header pair (e.g. name: value)",
                ));
                continue;
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name.is_empty() {
                warnings.push(warn("No header name specified"));
            } else if name.contains(char::is_whitespace) {
                warnings.push(warn("Header name cannot include spaces"));
            } else if value.is_empty() {
                warnings.push(warn("No header value specified"));
            } else {
                match (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    (Ok(name), Ok(_)) => match rule.set.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, existing)) => {
                            existing.push_str(", ");
                            existing.push_str(value);
                        }
                        None => rule.set.push((name, value.to_string())),
                    },
                    _ => warnings.push(warn("Invalid header name or value")),
                }
            }
        }
        if let Some(done) = open.take() {
            close(done, &mut rules, &mut warnings, None);
        }
        (Self { rules }, warnings)
    }

    /// How many rules were read.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Applies the rules that match a request to `path` on `host` to
    /// `headers`.
    pub fn apply(&self, host: &str, path: &str, headers: &mut HeaderMap) {
        let mut set_here: Vec<HeaderName> = Vec::new();
        for rule in &self.rules {
            let Some(captures) = rule.pattern.captures(host, path) else {
                continue;
            };
            for name in &rule.unset {
                headers.remove(name);
            }
            for (name, value) in &rule.set {
                let Ok(value) = HeaderValue::from_str(&substitute(value, &captures)) else {
                    continue;
                };
                if set_here.contains(name) {
                    headers.append(name.clone(), value);
                } else {
                    headers.insert(name.clone(), value);
                    set_here.push(name.clone());
                }
            }
        }
    }
}

/// Ends a rule: kept if it has headers, else a warning (named by the line
/// that ended it, as Cloudflare reports it).
fn close(
    done: Open,
    rules: &mut Vec<Rule>,
    warnings: &mut Vec<Warning>,
    next: Option<(usize, &str)>,
) {
    let Some(rule) = done.rule else { return };
    if rule.set.is_empty() && rule.unset.is_empty() {
        warnings.push(match next {
            Some((number, line)) => Warning::at(number, line, "No headers specified"),
            None => Warning::general("No headers specified".to_string()),
        });
        return;
    }
    rules.push(rule);
}

/// A path line: `/...` or `scheme://...`.
fn is_path(line: &str) -> bool {
    line.starts_with('/')
        || line
            .split_once("://")
            .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(char::is_whitespace))
}

/// A rule's URL is relative or `https://` without a port.
fn check_url(line: &str) -> Result<(), String> {
    if line.starts_with('/') {
        return Ok(());
    }
    let Some(rest) = line.strip_prefix("https://") else {
        return Err("URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with \"https://\").".into());
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.contains(':')
        && !host.starts_with(':')
        && host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "Specifying ports is not supported. Skipping absolute URL {line}."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(rules: &HeaderRules, path: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("cache-control", HeaderValue::from_static("default"));
        headers.insert("x-keep", HeaderValue::from_static("kept"));
        rules.apply("example.com", path, &mut headers);
        headers
    }

    #[test]
    fn rules_set_append_and_remove_in_file_order() {
        let (rules, warnings) = HeaderRules::parse(
            "# comment\n/*\n  X-Frame-Options: DENY\n  X-Multi: a\n  x-multi: b\n\
             /static/*\n  Cache-Control: immutable\n  X-Frame-Options: SAMEORIGIN\n\
             /api/:name\n  ! X-Keep\n  X-Name: hello :name\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(rules.len(), 3);
        let page = applied(&rules, "/index.html");
        assert_eq!(page["x-frame-options"], "DENY");
        assert_eq!(page["x-multi"], "a, b");
        assert_eq!(page["cache-control"], "default");
        let asset = applied(&rules, "/static/app.js");
        assert_eq!(asset["cache-control"], "immutable");
        let both: Vec<_> = asset.get_all("x-frame-options").iter().collect();
        assert_eq!(both, ["DENY", "SAMEORIGIN"]);
        let api = applied(&rules, "/api/ada");
        assert_eq!(api["x-name"], "hello ada");
        assert!(api.get("x-keep").is_none());
    }

    #[test]
    fn bad_lines_are_warnings_with_their_numbers() {
        let (rules, warnings) = HeaderRules::parse(
            "X-Early: 1\n/a\n  no colon here\n  Bad Name: x\n  X-Empty:\n/b\n/c\n  X-Ok: 1\nhttp://x.com/*\n  X-Skipped: 1\n",
        );
        let seen: Vec<(Option<usize>, &str)> = warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (Some(1), "Path should come before header (name: value)"),
                (
                    Some(3),
                    "Expected a colon-separated header pair (e.g. name: value)"
                ),
                (Some(4), "Header name cannot include spaces"),
                (Some(5), "No header value specified"),
                (Some(6), "No headers specified"),
                (Some(7), "No headers specified"),
                (
                    Some(9),
                    "URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with \"https://\")."
                ),
            ]
        );
        assert_eq!(rules.len(), 1);
    }

    #[test]
    fn at_most_a_hundred_rules() {
        let text: String = (0..105).map(|i| format!("/p{i}\n  X-N: {i}\n")).collect();
        let (rules, warnings) = HeaderRules::parse(&text);
        assert_eq!(rules.len(), 100);
        assert_eq!(
            warnings[0].message,
            "Maximum number of rules supported is 100. Skipping remaining 10 lines of file."
        );
    }
}
