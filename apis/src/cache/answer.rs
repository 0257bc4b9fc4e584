//! How `match()` answers a request from what is stored, as Cloudflare's
//! cache does: a conditional request (`If-None-Match`, else
//! `If-Modified-Since`) that the stored response satisfies gets `304 Not
//! Modified`, and a `Range` request gets `206 Partial Content` (one part,
//! or `multipart/byteranges` for several) or `416 Range Not Satisfiable`.
//! Only a stored `200` is answered in part or as not modified. Range
//! syntax is `http-range-header`'s; a header it cannot read is ignored, as
//! HTTP says.

use isola_storage::cache::CachedResponse;

use super::{Headers, header};

/// Status, headers and body for a request with `request_headers`, which
/// `stored` matched.
pub fn answer(stored: CachedResponse, request_headers: &Headers) -> (u16, Headers, Vec<u8>) {
    if stored.status != 200 {
        return (stored.status, stored.headers, stored.body);
    }
    if not_modified(&stored.headers, request_headers) {
        let headers = without(stored.headers, &["content-length"]);
        return (304, headers, Vec::new());
    }
    match header(request_headers, "range") {
        Some(range) => partial(stored, range),
        None => (stored.status, stored.headers, stored.body),
    }
}

/// Whether the request's validators say it already has the response.
fn not_modified(headers: &Headers, request_headers: &Headers) -> bool {
    if let Some(wanted) = header(request_headers, "if-none-match") {
        let Some(etag) = header(headers, "etag") else {
            return false;
        };
        // The weak comparison: `W/` does not count.
        let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
        return wanted
            .split(',')
            .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(etag));
    }
    let date = |headers: &Headers, name| {
        header(headers, name).and_then(|value| httpdate::parse_http_date(value).ok())
    };
    match (
        date(request_headers, "if-modified-since"),
        date(headers, "last-modified"),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// The answer to a `Range` request for the whole of `stored`.
fn partial(stored: CachedResponse, range: &str) -> (u16, Headers, Vec<u8>) {
    let size = stored.body.len() as u64;
    let Ok(parsed) = http_range_header::parse_range_header(range) else {
        return (stored.status, stored.headers, stored.body);
    };
    let Ok(ranges) = parsed.validate(size) else {
        let mut headers = without(stored.headers, &["content-length", "content-type"]);
        headers.push(("content-range".into(), format!("bytes */{size}")));
        return (416, headers, Vec::new());
    };
    let slice = |range: &std::ops::RangeInclusive<u64>| {
        &stored.body[*range.start() as usize..=*range.end() as usize]
    };
    let content_range = |range: &std::ops::RangeInclusive<u64>| {
        format!("bytes {}-{}/{size}", range.start(), range.end())
    };
    if let [range] = ranges.as_slice() {
        let body = slice(range).to_vec();
        let mut headers = without(stored.headers.clone(), &["content-length"]);
        headers.push(("content-range".into(), content_range(range)));
        headers.push(("content-length".into(), body.len().to_string()));
        return (206, headers, body);
    }
    let boundary = format!("{:016x}", rand::random::<u64>());
    let kind = header(&stored.headers, "content-type").map(str::to_string);
    let mut body = Vec::new();
    for range in &ranges {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if let Some(kind) = &kind {
            body.extend_from_slice(format!("content-type: {kind}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!("content-range: {}\r\n\r\n", content_range(range)).as_bytes(),
        );
        body.extend_from_slice(slice(range));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut headers = without(stored.headers, &["content-length", "content-type"]);
    headers.push((
        "content-type".into(),
        format!("multipart/byteranges; boundary={boundary}"),
    ));
    headers.push(("content-length".into(), body.len().to_string()));
    (206, headers, body)
}

/// `headers` without the fields `names` (lowercase).
fn without(mut headers: Headers, names: &[&str]) -> Headers {
    headers.retain(|(name, _)| !names.contains(&name.to_ascii_lowercase().as_str()));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(headers: &[(&str, &str)]) -> CachedResponse {
        CachedResponse {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            vary: Vec::new(),
            expires_ms: u64::MAX,
            body: b"0123456789".to_vec(),
        }
    }

    fn ask(stored: CachedResponse, request: &[(&str, &str)]) -> (u16, Headers, Vec<u8>) {
        let request = request
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        answer(stored, &request)
    }

    #[test]
    fn validators_the_stored_response_satisfies_get_304() {
        let tagged = || stored(&[("ETag", "\"v1\""), ("content-length", "10")]);
        let (status, headers, body) = ask(tagged(), &[("if-none-match", "\"v0\", W/\"v1\"")]);
        assert_eq!((status, body.len()), (304, 0));
        assert_eq!(header(&headers, "etag"), Some("\"v1\""));
        assert_eq!(header(&headers, "content-length"), None);
        assert_eq!(ask(tagged(), &[("if-none-match", "*")]).0, 304);
        assert_eq!(ask(tagged(), &[("if-none-match", "\"v2\"")]).0, 200);
        // If-None-Match decides alone when it is there.
        let dated = || {
            stored(&[
                ("etag", "\"v1\""),
                ("last-modified", "Sun, 01 Nov 2026 00:00:00 GMT"),
            ])
        };
        let later = ("if-modified-since", "Mon, 02 Nov 2026 00:00:00 GMT");
        assert_eq!(ask(dated(), &[later]).0, 304);
        assert_eq!(ask(dated(), &[("if-none-match", "\"v2\""), later]).0, 200);
        assert_eq!(
            ask(
                dated(),
                &[("if-modified-since", "Sat, 31 Oct 2026 00:00:00 GMT")]
            )
            .0,
            200
        );
    }

    #[test]
    fn ranges_get_206_or_416() {
        let text = || stored(&[("content-type", "text/plain")]);
        let (status, headers, body) = ask(text(), &[("range", "bytes=2-4")]);
        assert_eq!((status, body.as_slice()), (206, &b"234"[..]));
        assert_eq!(header(&headers, "content-range"), Some("bytes 2-4/10"));
        assert_eq!(header(&headers, "content-length"), Some("3"));
        assert_eq!(ask(text(), &[("range", "bytes=-3")]).2, b"789");
        assert_eq!(ask(text(), &[("range", "bytes=8-")]).2, b"89");

        let (status, headers, body) = ask(text(), &[("range", "bytes=20-30")]);
        assert_eq!((status, body.len()), (416, 0));
        assert_eq!(header(&headers, "content-range"), Some("bytes */10"));

        let (status, headers, body) = ask(text(), &[("range", "bytes=0-1, 8-9")]);
        assert_eq!(status, 206);
        let kind = header(&headers, "content-type").unwrap();
        let boundary = kind
            .strip_prefix("multipart/byteranges; boundary=")
            .unwrap();
        let body = String::from_utf8(body).unwrap();
        assert!(
            body.contains("content-range: bytes 0-1/10\r\n\r\n01\r\n"),
            "{body}"
        );
        assert!(
            body.contains("content-range: bytes 8-9/10\r\n\r\n89\r\n"),
            "{body}"
        );
        assert!(body.ends_with(&format!("--{boundary}--\r\n")), "{body}");

        // A header that is not a byte range is no range request.
        assert_eq!(ask(text(), &[("range", "lines=1-2")]).0, 200);
    }
}
