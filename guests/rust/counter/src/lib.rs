//! Counters kept in the stores JS Workers use, so both sides see them:
//!
//! - `/kv/<name>` adds one to the counter `<name>` in the KV namespace
//!   bound as `COUNTS` (kept as decimal text, as a JS Worker would keep it)
//!   and answers the new count;
//! - `/d1/<name>` records a visit of `<name>` in the `visits` table of the
//!   D1 database bound as `DB` and answers how many it has had.
//!
//! A binding that is missing or fails gets a 500 with the store's message.

use guest_bindings::{d1, kv};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Counter;

wasip2::http::proxy::export!(Counter);

impl wasip2::exports::http::incoming_handler::Guest for Counter {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default();
        let counted = match path.trim_start_matches('/').split_once('/') {
            Some(("kv", name)) if !name.is_empty() => kv_count(name).map(|n| n.to_string()),
            Some(("d1", name)) if !name.is_empty() => d1_count(name).map(|n| n.to_string()),
            _ => {
                let usage = b"GET /kv/<name> or /d1/<name>\n";
                return guest_http::respond(response_out, 404, "text/plain", usage);
            }
        };
        match counted {
            Ok(count) => guest_http::respond(
                response_out,
                200,
                "text/plain;charset=UTF-8",
                count.as_bytes(),
            ),
            Err(message) => guest_http::respond(
                response_out,
                500,
                "text/plain;charset=UTF-8",
                message.as_bytes(),
            ),
        }
    }
}

fn kv_count(name: &str) -> Result<u64, String> {
    let kv_message = |error: kv::Error| match error {
        kv::Error::NoSuchBinding(m) | kv::Error::Invalid(m) | kv::Error::Store(m) => m,
    };
    let current = kv::get("COUNTS", name)
        .map_err(kv_message)?
        .and_then(|entry| String::from_utf8(entry.value).ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let next = current + 1;
    let options = kv::PutOptions {
        metadata: None,
        expiration: None,
        expiration_ttl: None,
    };
    kv::put("COUNTS", name, next.to_string().as_bytes(), &options).map_err(kv_message)?;
    Ok(next)
}

fn d1_count(name: &str) -> Result<i64, String> {
    let d1_message = |error: d1::Error| match error {
        d1::Error::NoSuchBinding(m) | d1::Error::Query(m) => m,
    };
    d1::exec(
        "DB",
        "CREATE TABLE IF NOT EXISTS visits (name TEXT NOT NULL, at INTEGER NOT NULL DEFAULT (unixepoch()))",
    )
    .map_err(d1_message)?;
    let name = d1::Value::Text(name.to_string());
    let results = d1::batch(
        "DB",
        &[
            d1::Statement {
                sql: "INSERT INTO visits (name) VALUES (?)".into(),
                params: vec![name.clone()],
            },
            d1::Statement {
                sql: "SELECT COUNT(*) FROM visits WHERE name = ?".into(),
                params: vec![name],
            },
        ],
    )
    .map_err(d1_message)?;
    match results.last().and_then(|r| r.rows.first()).and_then(|row| row.first()) {
        Some(d1::Value::Integer(count)) => Ok(*count),
        other => Err(format!("COUNT(*) returned {other:?}")),
    }
}
