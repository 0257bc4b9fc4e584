//! Which file a path means: `html_handling` (`/about` → `about.html` or
//! `about/index.html`, and the redirects between the forms), then
//! `not_found_handling`, as Cloudflare's asset server resolves them; and
//! the canonical, percent-encoded form of a path.
//!
//! Each mode is written as the list of steps Cloudflare tries for a path,
//! first hit wins: serve a file if it exists, or redirect to another form
//! of the path if that form would serve the same file.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::config::{HtmlHandling, NotFoundHandling};

/// What a path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// The file at this key, answered with this status (200, or 404 for a
    /// `404.html`).
    Serve { file: String, status: u16 },
    /// A redirect to this (decoded) path.
    Redirect(String),
}

/// One step of a mode: serve `file` if it exists, or redirect from
/// `file` to `to` when `to` would serve that same file.
enum Step {
    Serve(String),
    Redirect { file: String, to: String },
}

/// Resolves paths against the files that exist.
pub struct Resolver<F: Fn(&str) -> bool> {
    pub exists: F,
    pub html_handling: HtmlHandling,
    pub not_found: NotFoundHandling,
}

impl<F: Fn(&str) -> bool> Resolver<F> {
    /// What the decoded `path` resolves to, if anything.
    pub fn intent(&self, path: &str) -> Option<Intent> {
        self.resolve(path, false)
    }

    /// `nested` is set while checking where a redirect would lead: then no
    /// further redirects are considered.
    fn resolve(&self, path: &str, nested: bool) -> Option<Intent> {
        for step in steps(self.html_handling, path) {
            match step {
                Step::Serve(file) => {
                    if (self.exists)(&file) {
                        return Some(Intent::Serve { file, status: 200 });
                    }
                }
                Step::Redirect { file, to } => {
                    if nested || (self.exists)(&to) || !(self.exists)(&file) {
                        continue;
                    }
                    if let Some(Intent::Serve { file: served, .. }) = self.resolve(&to, true)
                        && served == file
                    {
                        return Some(Intent::Redirect(to));
                    }
                }
            }
        }
        self.not_found(path)
    }

    fn not_found(&self, path: &str) -> Option<Intent> {
        match self.not_found {
            NotFoundHandling::None => None,
            NotFoundHandling::SinglePageApplication => {
                (self.exists)("/index.html").then(|| Intent::Serve {
                    file: "/index.html".into(),
                    status: 200,
                })
            }
            NotFoundHandling::NotFoundPage => {
                let mut dir = path;
                while !dir.is_empty() {
                    dir = &dir[..dir.rfind('/').unwrap_or(0)];
                    let page = format!("{dir}/404.html");
                    if (self.exists)(&page) {
                        return Some(Intent::Serve {
                            file: page,
                            status: 404,
                        });
                    }
                }
                None
            }
        }
    }
}

/// The steps `mode` tries for `path`, in order.
fn steps(mode: HtmlHandling, path: &str) -> Vec<Step> {
    let serve = |file: String| Step::Serve(file);
    let redirect = |file: String, to: &str| Step::Redirect {
        file,
        to: to.to_string(),
    };
    let p = path;
    let mut steps = Vec::new();
    match mode {
        HtmlHandling::None => return vec![serve(p.into())],
        HtmlHandling::AutoTrailingSlash => {
            if let Some(dir) = p.strip_suffix("/index") {
                steps.push(serve(p.into()));
                steps.push(redirect(format!("{p}.html"), &format!("{dir}/")));
                steps.push(redirect(format!("{dir}.html"), dir));
            } else if let Some(dir) = p.strip_suffix("/index.html") {
                steps.push(redirect(p.into(), &format!("{dir}/")));
                steps.push(redirect(format!("{dir}.html"), dir));
            } else if let Some(dir) = p.strip_suffix('/') {
                steps.push(serve(format!("{p}index.html")));
                steps.push(redirect(format!("{dir}.html"), dir));
            } else if let Some(stem) = p.strip_suffix(".html") {
                steps.push(redirect(p.into(), stem));
                steps.push(redirect(format!("{stem}/index.html"), &format!("{stem}/")));
            }
            steps.push(serve(p.into()));
            steps.push(serve(format!("{p}.html")));
            steps.push(redirect(format!("{p}/index.html"), &format!("{p}/")));
        }
        HtmlHandling::ForceTrailingSlash => {
            if let Some(dir) = p.strip_suffix("/index") {
                steps.push(serve(p.into()));
                steps.push(redirect(format!("{p}.html"), &format!("{dir}/")));
                steps.push(redirect(format!("{dir}.html"), &format!("{dir}/")));
            } else if let Some(dir) = p.strip_suffix("/index.html") {
                steps.push(redirect(p.into(), &format!("{dir}/")));
                steps.push(redirect(format!("{dir}.html"), &format!("{dir}/")));
            } else if let Some(dir) = p.strip_suffix('/') {
                steps.push(serve(format!("{p}index.html")));
                steps.push(serve(format!("{dir}.html")));
            } else if let Some(stem) = p.strip_suffix(".html") {
                steps.push(redirect(p.into(), &format!("{stem}/")));
                steps.push(serve(p.into()));
                steps.push(redirect(format!("{stem}/index.html"), &format!("{stem}/")));
            }
            steps.push(serve(p.into()));
            steps.push(redirect(format!("{p}.html"), &format!("{p}/")));
            steps.push(redirect(format!("{p}/index.html"), &format!("{p}/")));
        }
        HtmlHandling::DropTrailingSlash => {
            if let Some(dir) = p.strip_suffix("/index") {
                steps.push(serve(p.into()));
                if p == "/index" {
                    steps.push(redirect("/index.html".into(), "/"));
                } else {
                    steps.push(redirect(format!("{dir}.html"), dir));
                    steps.push(redirect(format!("{p}.html"), dir));
                }
            } else if let Some(dir) = p.strip_suffix("/index.html") {
                if p == "/index.html" {
                    steps.push(redirect(p.into(), "/"));
                } else {
                    steps.push(redirect(p.into(), dir));
                    steps.push(serve(p.into()));
                    steps.push(redirect(format!("{dir}.html"), dir));
                }
            } else if let Some(dir) = p.strip_suffix('/') {
                if p == "/" {
                    steps.push(serve("/index.html".into()));
                } else {
                    steps.push(redirect(format!("{dir}.html"), dir));
                    steps.push(redirect(format!("{dir}/index.html"), dir));
                }
            } else if let Some(stem) = p.strip_suffix(".html") {
                steps.push(redirect(p.into(), stem));
                steps.push(redirect(format!("{stem}/index.html"), stem));
            }
            steps.push(serve(p.into()));
            steps.push(serve(format!("{p}.html")));
            steps.push(serve(format!("{p}/index.html")));
        }
    }
    steps
}

/// A path as sent, percent-decoded segment by segment (a segment that
/// does not decode is kept as it is), with runs of `/` made one.
pub fn decode(path: &str) -> String {
    let decoded: Vec<String> = path
        .split('/')
        .map(|segment| {
            if !well_escaped(segment) {
                return segment.to_string();
            }
            percent_decode_str(segment)
                .decode_utf8()
                .map_or_else(|_| segment.to_string(), |s| s.into_owned())
        })
        .collect();
    let joined = decoded.join("/");
    let mut out = String::with_capacity(joined.len());
    for c in joined.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// Whether every `%` in `segment` starts an escape of two hex digits.
fn well_escaped(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// What `encodeURIComponent` leaves alone.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The canonical form of a decoded path: each segment percent-encoded as
/// `encodeURIComponent` does.
pub fn encode(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, COMPONENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: &[&str] = &[
        "/index.html",
        "/about.html",
        "/about/index.html",
        "/blog/index.html",
        "/x.html",
        "/a.txt",
        "/404.html",
        "/deep/404.html",
    ];

    fn resolve(mode: HtmlHandling, path: &str) -> String {
        let resolver = Resolver {
            exists: |p: &str| FILES.contains(&p),
            html_handling: mode,
            not_found: NotFoundHandling::None,
        };
        match resolver.intent(path) {
            Some(Intent::Serve { file, .. }) => file,
            Some(Intent::Redirect(to)) => format!("-> {to}"),
            None => "404".into(),
        }
    }

    /// Cloudflare's results for each mode (auto, force, drop, none).
    #[test]
    fn each_mode_resolves_as_cloudflare_does() {
        use HtmlHandling::*;
        let table: &[(&str, [&str; 4])] = &[
            ("/", ["/index.html", "/index.html", "/index.html", "404"]),
            ("/index", ["-> /", "-> /", "-> /", "404"]),
            ("/index.html", ["-> /", "-> /", "-> /", "/index.html"]),
            (
                "/about",
                ["/about.html", "-> /about/", "/about.html", "404"],
            ),
            (
                "/about/",
                ["/about/index.html", "/about/index.html", "-> /about", "404"],
            ),
            (
                "/about.html",
                ["-> /about", "/about.html", "-> /about", "/about.html"],
            ),
            (
                "/about/index",
                ["-> /about/", "-> /about/", "-> /about", "404"],
            ),
            (
                "/about/index.html",
                [
                    "-> /about/",
                    "-> /about/",
                    "/about/index.html",
                    "/about/index.html",
                ],
            ),
            (
                "/blog",
                ["-> /blog/", "-> /blog/", "/blog/index.html", "404"],
            ),
            (
                "/blog/",
                ["/blog/index.html", "/blog/index.html", "-> /blog", "404"],
            ),
            ("/blog.html", ["-> /blog/", "-> /blog/", "-> /blog", "404"]),
            ("/blog/index", ["-> /blog/", "-> /blog/", "-> /blog", "404"]),
            ("/x", ["/x.html", "-> /x/", "/x.html", "404"]),
            ("/x/", ["-> /x", "/x.html", "-> /x", "404"]),
            ("/x.html", ["-> /x", "-> /x/", "-> /x", "/x.html"]),
            ("/x/index.html", ["-> /x", "-> /x/", "-> /x", "404"]),
            ("/a.txt/", ["404", "404", "404", "404"]),
        ];
        for (path, expected) in table {
            for (mode, want) in [
                AutoTrailingSlash,
                ForceTrailingSlash,
                DropTrailingSlash,
                None,
            ]
            .into_iter()
            .zip(expected)
            {
                assert_eq!(resolve(mode, path), *want, "{path} in {mode:?}");
            }
        }
    }

    #[test]
    fn not_found_handling_falls_back() {
        let resolver = |not_found| Resolver {
            exists: |p: &str| FILES.contains(&p),
            html_handling: HtmlHandling::AutoTrailingSlash,
            not_found,
        };
        let page = resolver(NotFoundHandling::NotFoundPage);
        assert_eq!(
            page.intent("/deep/er/nope"),
            Some(Intent::Serve {
                file: "/deep/404.html".into(),
                status: 404
            })
        );
        assert_eq!(
            page.intent("/nope"),
            Some(Intent::Serve {
                file: "/404.html".into(),
                status: 404
            })
        );
        let spa = resolver(NotFoundHandling::SinglePageApplication);
        assert_eq!(
            spa.intent("/app/route"),
            Some(Intent::Serve {
                file: "/index.html".into(),
                status: 200
            })
        );
    }

    #[test]
    fn paths_decode_and_encode_as_cloudflare_does() {
        assert_eq!(decode("/a%2Fb.txt"), "/a/b.txt");
        assert_eq!(decode("//about"), "/about");
        assert_eq!(decode("/%E0%A4%A.txt"), "/%E0%A4%A.txt");
        assert_eq!(decode("/%C3%BC.txt"), "/ü.txt");
        assert_eq!(encode("/[boop]"), "/%5Bboop%5D");
        assert_eq!(encode("/c+d.txt"), "/c%2Bd.txt");
        assert_eq!(encode("/ü.txt"), "/%C3%BC.txt");
        assert_eq!(encode("/a b/it's(1)*"), "/a%20b/it's(1)*");
        assert_eq!(encode(&decode("/%5bboop%5d")), "/%5Bboop%5D");
    }
}
