//! The Cache API (`caches.default`, `caches.open(name)`): which responses
//! Cloudflare's cache keeps and for how long, over the storage in
//! `isola_storage::cache`.
//!
//! The rules, from Cloudflare's documentation of `cache.put`:
//! - `Cache-Control: no-store`, `no-cache` or `private` keep a response
//!   out; `private=Set-Cookie` keeps it without its `Set-Cookie` headers;
//!   any other response with `Set-Cookie` is not stored.
//! - Its lifetime is `s-maxage`, else `max-age`, else `Expires`, else the
//!   default edge TTL for its status (2 h for 200, 206 and 301; 20 min for
//!   302 and 303; 3 min for 404 and 410); other statuses are not stored.
//! - `Vary` names request headers whose values must match on `match()`.
//!
//! `Cache-Control` is split by hand: its grammar is a comma-separated list
//! of `name[=value]`, which needs no parser crate.
//!
//! How `match()` answers conditional and `Range` requests is in
//! `answer.rs`. Its JS (`cache.js`) holds `caches`, `Cache` and
//! `CacheStorage`; its black-box tests are in `tests.rs` beside this file.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deno_core::{OpState, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use isola_storage::cache::{Cache, CachedResponse};

use crate::binding::WorkerBindings;

mod answer;

type Headers = Vec<(String, String)>;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The directives of a `Cache-Control` value, names lowercased.
fn directives(value: &str) -> Vec<(String, Option<String>)> {
    value
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            let (name, value) = match part.split_once('=') {
                Some((name, value)) => (name, Some(value.trim().trim_matches('"').to_string())),
                None => (part, None),
            };
            Some((name.trim().to_ascii_lowercase(), value))
        })
        .collect()
}

/// How long Cloudflare keeps a response of `status` with no caching
/// headers; None if it does not keep it.
fn default_ttl(status: u16) -> Option<Duration> {
    match status {
        200 | 206 | 301 => Some(Duration::from_secs(2 * 60 * 60)),
        302 | 303 => Some(Duration::from_secs(20 * 60)),
        404 | 410 => Some(Duration::from_secs(3 * 60)),
        _ => None,
    }
}

/// What `put` stores for a response of `status` with `headers`, requested
/// with `request_headers`; None if Cloudflare would not store it.
pub fn storable(
    status: u16,
    mut headers: Headers,
    request_headers: &Headers,
    now: SystemTime,
) -> Option<CachedResponse> {
    let directives = header(&headers, "cache-control")
        .map(directives)
        .unwrap_or_default();
    let has = |name: &str| directives.iter().find(|(n, _)| n == name);
    if has("no-store").is_some() || has("no-cache").is_some() {
        return None;
    }
    let set_cookie_allowed = match has("private") {
        Some((_, Some(fields))) => fields
            .split(',')
            .any(|f| f.trim().eq_ignore_ascii_case("set-cookie")),
        Some((_, None)) => return None,
        None => false,
    };
    if header(&headers, "set-cookie").is_some() {
        if !set_cookie_allowed {
            return None;
        }
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("set-cookie"));
    }
    let seconds = |name: &str| {
        has(name)
            .and_then(|(_, v)| v.as_deref()?.parse::<u64>().ok())
            .map(Duration::from_secs)
    };
    let ttl = match seconds("s-maxage").or_else(|| seconds("max-age")) {
        Some(ttl) => ttl,
        None => match header(&headers, "expires") {
            Some(expires) => httpdate::parse_http_date(expires)
                .ok()?
                .duration_since(now)
                .ok()?,
            None => default_ttl(status)?,
        },
    };
    if ttl.is_zero() {
        return None;
    }
    let vary = header(&headers, "vary")
        .map(|vary| {
            vary.split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .map(|name| {
                    let value = header(request_headers, &name).map(str::to_string);
                    (name, value)
                })
                .collect()
        })
        .unwrap_or_default();
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Some(CachedResponse {
        status,
        headers,
        vary,
        expires_ms: now_ms.saturating_add(ttl.as_millis() as u64),
        body: Vec::new(),
    })
}

/// Whether a request with `request_headers` may be answered with `stored`.
fn vary_matches(stored: &CachedResponse, request_headers: &Headers) -> bool {
    stored
        .vary
        .iter()
        .all(|(name, value)| header(request_headers, name) == value.as_deref())
}

fn cache(state: &Rc<RefCell<OpState>>, name: &str) -> Result<Cache, JsErrorBox> {
    let caches = state.borrow().borrow::<WorkerBindings>().caches().cloned();
    let caches = caches.ok_or_else(|| JsErrorBox::generic("the Cache API has no storage here"))?;
    caches
        .open(name)
        .map_err(|e| JsErrorBox::generic(format!("Cache {name:?}: {e}")))
}

async fn blocking<T: Send + 'static>(
    name: String,
    work: impl FnOnce() -> Result<T, isola_storage::StoreError> + Send + 'static,
) -> Result<T, JsErrorBox> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| JsErrorBox::generic(format!("Cache {name:?}: {e}")))?
        .map_err(|e| JsErrorBox::generic(format!("Cache {name:?}: {e}")))
}

/// Stores a response if Cloudflare's rules allow; whether it did.
#[op2]
pub async fn op_cache_put(
    state: Rc<RefCell<OpState>>,
    #[string] name: String,
    #[string] url: String,
    #[serde] request_headers: Headers,
    #[smi] status: u16,
    #[serde] headers: Headers,
    #[buffer(copy)] body: Vec<u8>,
) -> Result<bool, JsErrorBox> {
    let Some(mut response) = storable(status, headers, &request_headers, SystemTime::now()) else {
        return Ok(false);
    };
    response.body = body;
    let cache = cache(&state, &name)?;
    blocking(name, move || cache.put(&url, &response)).await?;
    Ok(true)
}

/// `[status, headers, body]` answering the request from the response
/// stored for it, if any and if its `Vary` headers match (see `answer`).
#[op2]
#[serde]
pub async fn op_cache_match(
    state: Rc<RefCell<OpState>>,
    #[string] name: String,
    #[string] url: String,
    #[serde] request_headers: Headers,
) -> Result<Option<(u16, Headers, ToJsBuffer)>, JsErrorBox> {
    let cache = cache(&state, &name)?;
    let stored = blocking(name, move || cache.get(&url, now_ms())).await?;
    Ok(stored
        .filter(|stored| vary_matches(stored, &request_headers))
        .map(|stored| {
            let (status, headers, body) = answer::answer(stored, &request_headers);
            (status, headers, body.into())
        }))
}

/// Removes the response stored for `url`; whether there was one.
#[op2]
pub async fn op_cache_delete(
    state: Rc<RefCell<OpState>>,
    #[string] name: String,
    #[string] url: String,
) -> Result<bool, JsErrorBox> {
    let cache = cache(&state, &name)?;
    blocking(name, move || cache.delete(&url)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&str, &str)]) -> Headers {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn ttl(status: u16, list: &[(&str, &str)]) -> Option<u64> {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        storable(status, headers(list), &Vec::new(), now).map(|r| r.expires_ms / 1000 - 1_000_000)
    }

    #[test]
    fn lifetimes_follow_cache_control_expires_and_the_status() {
        assert_eq!(
            ttl(200, &[("cache-control", "public, max-age=60")]),
            Some(60)
        );
        assert_eq!(
            ttl(200, &[("Cache-Control", "max-age=60, s-maxage=600")]),
            Some(600)
        );
        assert_eq!(ttl(200, &[]), Some(7200));
        assert_eq!(ttl(302, &[]), Some(1200));
        assert_eq!(ttl(404, &[]), Some(180));
        assert_eq!(ttl(500, &[]), None);
        assert_eq!(ttl(500, &[("cache-control", "max-age=5")]), Some(5));
        assert_eq!(
            ttl(200, &[("expires", "Mon, 12 Jan 1970 14:00:00 GMT")]),
            Some(800)
        );
        assert_eq!(
            ttl(200, &[("expires", "Thu, 01 Jan 1970 00:00:00 GMT")]),
            None
        );
        assert_eq!(ttl(200, &[("cache-control", "max-age=0")]), None);
        assert_eq!(ttl(200, &[("cache-control", "no-store")]), None);
        assert_eq!(ttl(200, &[("cache-control", "private")]), None);
    }

    #[test]
    fn set_cookie_keeps_a_response_out_unless_private_names_it() {
        assert_eq!(ttl(200, &[("set-cookie", "a=1")]), None);
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let kept = storable(
            200,
            headers(&[
                ("cache-control", "private=Set-Cookie, max-age=9"),
                ("set-cookie", "a=1"),
            ]),
            &Vec::new(),
            now,
        )
        .unwrap();
        assert_eq!(header(&kept.headers, "set-cookie"), None);
    }

    #[test]
    fn vary_records_and_compares_request_headers() {
        let now = SystemTime::now();
        let stored = storable(
            200,
            headers(&[("vary", "Accept-Language, X-Missing")]),
            &headers(&[("accept-language", "fr")]),
            now,
        )
        .unwrap();
        assert!(vary_matches(
            &stored,
            &headers(&[("Accept-Language", "fr")])
        ));
        assert!(!vary_matches(
            &stored,
            &headers(&[("accept-language", "en")])
        ));
        assert!(!vary_matches(
            &stored,
            &headers(&[("accept-language", "fr"), ("x-missing", "1")])
        ));
    }
}

deno_core::extension!(
    isola_cache,
    deps = [isola_global_scope],
    ops = [op_cache_put, op_cache_match, op_cache_delete],
    esm = [dir "src/cache", "cache.js"],
);
