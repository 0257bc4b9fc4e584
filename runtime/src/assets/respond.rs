//! The HTTP side of the assets: what Cloudflare's asset server sends for
//! each outcome (status, `Location`, `ETag`, `Content-Type`,
//! `Cache-Control`, 304 for a matching `If-None-Match`, no body for
//! `HEAD`), plus what its edge adds: gzip or Brotli when the client accepts
//! it. `Range` is ignored, as Cloudflare ignores it for assets. Small
//! files are sent from memory; large ones are streamed from disk.

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use isola_apis::body::{BodyError, ResponseBody};

use super::content::{COMPRESSED_BYTES, Derived, Encoding, Stamp, open};
use super::{Assets, File, Outcome};

/// `Cache-Control` of an asset, unless the request carries credentials or
/// a range.
const CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";

/// Chunks a large file is streamed in.
const CHUNK: usize = 512 * 1024;

/// What the assets read of a request.
#[derive(Debug, Clone)]
pub struct Head {
    pub method: Method,
    /// The host the request was sent to (for `https://host/` rules).
    pub host: String,
    /// The path as sent (percent-encoded), dot segments resolved.
    pub path: String,
    /// `?` and the query, or empty.
    pub query: String,
    pub headers: HeaderMap,
}

impl Head {
    /// The head of a request to `url`, as a URL parser sees it.
    pub fn new(method: Method, url: &url::Url, headers: HeaderMap) -> Self {
        Self {
            method,
            host: url.host_str().unwrap_or("").to_string(),
            path: url.path().to_string(),
            query: url.query().map(|q| format!("?{q}")).unwrap_or_default(),
            headers,
        }
    }

    /// The head of an incoming request.
    pub fn of<B>(request: &http::Request<B>) -> Self {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        // Parsed whole, not joined: `//about` is a path here, not a host.
        let url = url::Url::parse(&format!("http://{host}{target}"))
            .or_else(|_| url::Url::parse(&format!("http://localhost{target}")))
            .unwrap_or_else(|_| url::Url::parse("http://localhost/").expect("a valid URL"));
        Self::new(request.method().clone(), &url, request.headers().clone())
    }
}

impl Assets {
    /// The response for `outcome`, with `_headers` applied.
    pub(super) async fn respond(&self, head: &Head, outcome: Outcome) -> Response<ResponseBody> {
        let mut response = match outcome {
            Outcome::Redirect { status, location } => {
                let mut response = empty(StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND));
                if let Ok(location) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
            }
            Outcome::NoMatch | Outcome::NotFound => empty(StatusCode::NOT_FOUND),
            Outcome::MethodNotAllowed => empty(StatusCode::METHOD_NOT_ALLOWED),
            Outcome::File { key, status } => match self.files.get(&key) {
                Some(file) => self.file(head, file, status).await.unwrap_or_else(|error| {
                    tracing::error!("{}: {error}", file.path.display());
                    empty(StatusCode::INTERNAL_SERVER_ERROR)
                }),
                None => empty(StatusCode::NOT_FOUND),
            },
        };
        self.headers
            .apply(&head.host, &head.path, response.headers_mut());
        response
    }

    /// A file's response: 200 (or 404 for a `404.html`), or 304.
    async fn file(
        &self,
        head: &Head,
        file: &File,
        status: u16,
    ) -> std::io::Result<Response<ResponseBody>> {
        let metadata = std::fs::metadata(&file.path)?;
        let stamp = Stamp::of(&metadata);
        let derived = {
            let path = file.path.clone();
            let budget = self.budget.clone();
            let content = file.content.clone();
            match content.known(stamp) {
                Some(derived) => derived,
                None => tokio::task::spawn_blocking(move || {
                    let mut opened = open(&path)?;
                    content.derive(&mut opened, stamp, &budget)
                })
                .await
                .map_err(std::io::Error::other)??,
            }
        };
        let content_type = content_type(&file.path);
        let encoding = content_type
            .as_deref()
            .filter(|t| compressible(t) && stamp.len <= COMPRESSED_BYTES)
            .and_then(|_| accepted(header(&head.headers, "accept-encoding").unwrap_or("")));
        let encoded = match encoding {
            Some(encoding) => {
                let derived = derived.clone();
                let path = file.path.clone();
                tokio::task::spawn_blocking(move || {
                    derived.encoded(encoding, || std::fs::read(&path))
                })
                .await
                .map_err(std::io::Error::other)??
                .map(|bytes| (encoding, bytes))
            }
            None => None,
        };
        let mut headers = HeaderMap::new();
        let etag = match encoded {
            Some(_) => format!("W/{}", derived.etag),
            None => derived.etag.clone(),
        };
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(std::io::Error::other)?,
        );
        if let Some(content_type) = &content_type
            && let Ok(value) = HeaderValue::from_str(content_type)
        {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if !head.headers.contains_key(header::AUTHORIZATION)
            && !head.headers.contains_key(header::RANGE)
        {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            );
        }
        headers.insert("cf-cache-status", HeaderValue::from_static("HIT"));
        if encoding.is_some() || content_type.as_deref().is_some_and(compressible) {
            headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        let if_none_match = header(&head.headers, "if-none-match").unwrap_or("");
        let weak = format!("W/{}", derived.etag);
        if if_none_match == derived.etag || if_none_match == weak {
            let mut response = empty(StatusCode::NOT_MODIFIED);
            *response.headers_mut() = headers;
            return Ok(response);
        }
        let (length, body) = match encoded {
            Some((encoding, bytes)) => {
                headers.insert(
                    header::CONTENT_ENCODING,
                    HeaderValue::from_static(encoding.token()),
                );
                (bytes.len() as u64, Body::Bytes(bytes))
            }
            None => match &derived.bytes {
                Some(bytes) => (bytes.len() as u64, Body::Bytes(bytes.clone())),
                None => (stamp.len, Body::File),
            },
        };
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        let body = if head.method == Method::HEAD {
            ResponseBody::Empty
        } else {
            match body {
                Body::Bytes(bytes) => ResponseBody::full(bytes),
                Body::File => stream(&file.path, derived).await?,
            }
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        *response.headers_mut() = headers;
        Ok(response)
    }
}

enum Body {
    Bytes(Bytes),
    File,
}

/// A large file's bytes, each chunk read on a blocking thread and sent as
/// the client takes it: a slow client holds no thread while it waits. The
/// reading stops when the client goes.
async fn stream(path: &std::path::Path, derived: Arc<Derived>) -> std::io::Result<ResponseBody> {
    let mut file = open(path)?;
    let (sender, body) = ResponseBody::channel();
    let mut left = derived.stamp.len;
    tokio::spawn(async move {
        while left > 0 {
            let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
            let read = tokio::task::spawn_blocking(move || {
                // `read_to_end` fills the spare capacity without zeroing it.
                let mut chunk = Vec::with_capacity(want);
                let read = Read::by_ref(&mut file)
                    .take(want as u64)
                    .read_to_end(&mut chunk);
                (file, read.map(|_| chunk))
            })
            .await;
            let Ok((returned, read)) = read else { return };
            file = returned;
            let chunk = match read {
                Ok(chunk) if chunk.is_empty() => {
                    Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
                }
                other => other,
            };
            let chunk = chunk.map(|chunk| {
                left -= chunk.len() as u64;
                Bytes::from(chunk)
            });
            let failed = chunk.is_err();
            let sent = sender
                .send(chunk.map_err(|e| Box::new(e) as BodyError))
                .await;
            if sent.is_err() || failed {
                return;
            }
        }
    });
    Ok(body)
}

fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::Empty);
    *response.status_mut() = status;
    response
}

/// A file's `Content-Type`, from its extension, with `charset=utf-8` for
/// text; None for an unknown extension, as Cloudflare sends none then.
fn content_type(path: &std::path::Path) -> Option<String> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    // JavaScript is text/javascript (RFC 9239), as Cloudflare sends it.
    let mime = match extension.as_str() {
        "js" | "mjs" | "cjs" => "text/javascript".to_string(),
        _ => mime_guess::from_ext(&extension).first_raw()?.to_string(),
    };
    Some(if mime.starts_with("text/") {
        format!("{mime}; charset=utf-8")
    } else {
        mime
    })
}

/// Whether compressing a body of this type is worth it.
fn compressible(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime,
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/wasm"
                | "image/vnd.microsoft.icon"
                | "image/x-icon"
                | "font/ttf"
                | "font/otf"
        )
}

/// The best encoding `accept` (an `Accept-Encoding` value) allows.
fn accepted(accept: &str) -> Option<Encoding> {
    let allowed = |token: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            name.eq_ignore_ascii_case(token) && q > 0.0
        })
    };
    [Encoding::Brotli, Encoding::Gzip]
        .into_iter()
        .find(|e| allowed(e.token()))
}

/// A request header as text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
