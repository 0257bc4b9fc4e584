//! A guest written for the standard `wasi:keyvalue` only, as it would be
//! for any host that offers it; on isola a bucket is a KV namespace, named
//! by its binding. Paths are `/<bucket>/<key>`:
//!
//! - `GET` answers the value (404 when absent), `PUT` stores the body,
//!   `DELETE` removes the key;
//! - `POST /<bucket>/<key>/add` adds the body's number (`increment`);
//! - `POST /<bucket>/<key>/append` appends the body with compare-and-swap,
//!   retrying while others write;
//! - `GET /<bucket>` lists every key, a page at a time;
//! - `POST /<bucket>` stores `key=value` lines at once (`set-many`), then
//!   reads them back with `get-many` (plus `missing`), one line each;
//! - `DELETE /<bucket>` removes the keys in the body, one per line.
//!
//! A store error is a 500 whose body says which.

wit_bindgen::generate!({
    path: "../../../apis/wit",
    world: "wasi:keyvalue/imports@0.2.0-draft2",
    generate_all,
});

use wasi::keyvalue::{atomics, batch, store};
use wasip2::http::types::{IncomingRequest, Method, ResponseOutparam};

struct KeyValue;

wasip2::http::proxy::export!(KeyValue);

impl wasip2::exports::http::incoming_handler::Guest for KeyValue {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let method = request.method();
        let body = guest_http::read_body(request);
        let body = String::from_utf8_lossy(&body).into_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').splitn(3, '/').collect();
        let answer = match (&method, parts.as_slice()) {
            (Method::Get, [name]) => list(name),
            (Method::Post, [name]) => set_and_get_many(name, &body),
            (Method::Delete, [name]) => delete_many(name, &body),
            (Method::Get, [name, key]) => open(name).and_then(|b| {
                b.get(key)
                    .map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
                    .map_err(message)
            }),
            (Method::Put, [name, key]) => open(name)
                .and_then(|b| b.set(key, body.as_bytes()).map_err(message))
                .map(|()| Some("stored".into())),
            (Method::Delete, [name, key]) => open(name)
                .and_then(|b| b.delete(key).map_err(message))
                .map(|()| Some("deleted".into())),
            (Method::Post, [name, key, "add"]) => add(name, key, &body),
            (Method::Post, [name, key, "append"]) => append(name, key, &body),
            _ => Err("unknown path".into()),
        };
        let text = "text/plain;charset=UTF-8";
        match answer {
            Ok(Some(value)) => guest_http::respond(response_out, 200, text, value.as_bytes()),
            Ok(None) => guest_http::respond(response_out, 404, text, b"absent"),
            Err(error) => guest_http::respond(response_out, 500, text, error.as_bytes()),
        }
    }
}

type Answer = Result<Option<String>, String>;

fn message(error: store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(text) => text,
    }
}

fn open(name: &str) -> Result<store::Bucket, String> {
    store::open(name).map_err(|e| format!("{name}: {}", message(e)))
}

fn list(name: &str) -> Answer {
    let bucket = open(name)?;
    let mut keys = Vec::new();
    let mut cursor = None;
    loop {
        let page = bucket.list_keys(cursor.as_deref()).map_err(message)?;
        keys.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(Some(keys.join("\n"))),
        }
    }
}

fn add(name: &str, key: &str, body: &str) -> Answer {
    let delta = body.trim().parse::<i64>().map_err(|e| e.to_string())?;
    let sum = atomics::increment(&open(name)?, key, delta).map_err(message)?;
    Ok(Some(sum.to_string()))
}

/// Appends with compare-and-swap; answers the new value and the tries.
fn append(name: &str, key: &str, body: &str) -> Answer {
    let bucket = open(name)?;
    let mut cas = atomics::Cas::new(&bucket, key).map_err(message)?;
    for tries in 1.. {
        let mut value = cas.current().map_err(message)?.unwrap_or_default();
        value.extend_from_slice(body.as_bytes());
        match atomics::swap(cas, &value) {
            Ok(()) => {
                let value = String::from_utf8_lossy(&value);
                return Ok(Some(format!("{value} after {tries}")));
            }
            Err(atomics::CasError::CasFailed(fresh)) => cas = fresh,
            Err(atomics::CasError::StoreError(e)) => return Err(message(e)),
        }
    }
    unreachable!()
}

fn set_and_get_many(name: &str, body: &str) -> Answer {
    let bucket = open(name)?;
    let pairs: Vec<(String, Vec<u8>)> = body
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    batch::set_many(&bucket, &pairs).map_err(message)?;
    let mut keys: Vec<String> = pairs.into_iter().map(|(k, _)| k).collect();
    keys.push("missing".into());
    let found = batch::get_many(&bucket, &keys).map_err(message)?;
    let lines: Vec<String> = found
        .into_iter()
        .map(|(key, value)| match value {
            Some(v) => format!("{key}={}", String::from_utf8_lossy(&v)),
            None => format!("{key} absent"),
        })
        .collect();
    Ok(Some(lines.join("\n")))
}

fn delete_many(name: &str, body: &str) -> Answer {
    let keys: Vec<String> = body.lines().map(str::to_string).collect();
    batch::delete_many(&open(name)?, &keys).map_err(message)?;
    Ok(Some("deleted".into()))
}
