//! The path patterns of `_headers` and `_redirects`: `*` captures anything
//! (as `:splat`), `:name` captures one path segment (or one label of the
//! host, in an `https://host/path` rule), and everything else matches
//! itself. Matched against the request's path as sent, still
//! percent-encoded.

use regex::Regex;

/// One compiled pattern.
#[derive(Debug)]
pub struct Pattern {
    regex: Regex,
    /// Whether it names a host (`https://:sub.example.com/*`): then it is
    /// matched against `https://<host><path>`.
    with_host: bool,
}

/// What a match captured, by placeholder name (`splat` for `*`).
pub type Captures = Vec<(String, String)>;

impl Pattern {
    /// Compiles `rule`; an error says why it cannot be matched.
    pub fn new(rule: &str) -> Result<Self, String> {
        if rule.matches('*').count() > 1 {
            return Err("only one * (splat) is allowed in a rule".into());
        }
        let with_host = rule.starts_with("https://");
        let path_start = if with_host {
            rule["https://".len()..]
                .find('/')
                .map_or(rule.len(), |i| i + "https://".len())
        } else {
            0
        };
        let mut regex = String::from("^");
        let mut names: Vec<String> = Vec::new();
        let mut rest = rule;
        let mut at = 0;
        while let Some(c) = rest.chars().next() {
            if c == '*' {
                if names.iter().any(|n| n == "splat") {
                    return Err("a rule may not use both * and :splat".into());
                }
                names.push("splat".into());
                regex.push_str("(?P<splat>.*)");
                rest = &rest[1..];
                at += 1;
                continue;
            }
            if c == ':' {
                let name: String = rest[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                    if names.contains(&name) {
                        return Err(format!("the placeholder :{name} appears twice"));
                    }
                    let segment = if at < path_start { "[^/.]+" } else { "[^/]+" };
                    regex.push_str(&format!("(?P<{name}>{segment})"));
                    rest = &rest[1 + name.len()..];
                    at += 1 + name.len();
                    names.push(name);
                    continue;
                }
            }
            regex.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
            at += c.len_utf8();
        }
        regex.push('$');
        let regex = Regex::new(&regex).map_err(|e| e.to_string())?;
        Ok(Self { regex, with_host })
    }

    /// What `pattern` captures of a request to `path` on `host`, if it
    /// matches.
    pub fn captures(&self, host: &str, path: &str) -> Option<Captures> {
        let with_host;
        let subject = if self.with_host {
            with_host = format!("https://{host}{path}");
            &with_host
        } else {
            path
        };
        let found = self.regex.captures(subject)?;
        Some(
            self.regex
                .capture_names()
                .flatten()
                .filter_map(|name| Some((name.to_string(), found.name(name)?.as_str().to_string())))
                .collect(),
        )
    }
}

/// `text` with every `:name` replaced by what it captured.
pub fn substitute(text: &str, captures: &Captures) -> String {
    let mut text = text.to_string();
    for (name, value) in captures {
        text = text.replace(&format!(":{name}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(rule: &str, host: &str, path: &str) -> Option<Captures> {
        Pattern::new(rule).unwrap().captures(host, path)
    }

    #[test]
    fn splats_and_placeholders_capture() {
        assert_eq!(
            captured("/blog/:year/:slug", "h", "/blog/2020/hello"),
            Some(vec![
                ("year".into(), "2020".into()),
                ("slug".into(), "hello".into())
            ])
        );
        assert_eq!(captured("/blog/:year/:slug", "h", "/blog/2020/a/b"), None);
        assert_eq!(
            captured("/static/*", "h", "/static/a/b.css"),
            Some(vec![("splat".into(), "a/b.css".into())])
        );
        assert_eq!(captured("/a.b", "h", "/aXb"), None, "dots are literal");
        assert_eq!(
            captured("https://:sub.example.com/*", "docs.example.com", "/x"),
            Some(vec![
                ("sub".into(), "docs".into()),
                ("splat".into(), "x".into())
            ])
        );
        assert_eq!(
            captured("https://:sub.example.com/*", "a.b.example.com", "/x"),
            None
        );
        assert!(Pattern::new("/*/*").is_err());
    }

    #[test]
    fn substitution_fills_placeholders() {
        let captures = vec![
            ("slug".into(), "hello".into()),
            ("year".into(), "2020".into()),
        ];
        assert_eq!(
            substitute("/posts/:slug?year=:year", &captures),
            "/posts/hello?year=2020"
        );
    }
}
