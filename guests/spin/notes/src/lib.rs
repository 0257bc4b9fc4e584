//! A Spin app on the current SDK (`spin-sdk` 7): it exports WASIp3's
//! `wasi:http/handler` and reaches Spin's key-value, SQLite and variables
//! through their async 3.x interfaces, whose keys and rows come back as
//! streams, and its response body can be written after the handler has
//! returned. Served under `/notes/...` (granted a store, a database and
//! loopback origins) and `/plain/...` (granted nothing).

use futures::SinkExt;
use spin_sdk::http::body::{IncomingBodyExt, stream};
use spin_sdk::http::{IntoResponse, Request, Response, StatusCode};
use spin_sdk::http_service;
use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value};
use spin_sdk::variables;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    if let Some(count) = request.uri().path().strip_prefix("/notes/lines/") {
        return lines(count.parse().unwrap_or(0)).into_response();
    }
    if request.uri().path() == "/notes/later" {
        return later().into_response();
    }
    match route(request).await {
        Ok(answer) => answer.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{error:#}")).into_response(),
    }
}

/// `count` numbered lines, written by a task that goes on after the
/// handler has returned the response.
fn lines(count: u32) -> impl IntoResponse {
    let (mut sender, body) = stream::<String>();
    spin_sdk::wasip3::spawn(async move {
        for line in 1..=count {
            if sender.send(format!("line {line}\n")).await.is_err() {
                break;
            }
        }
    });
    Response::new(body)
}

type Answer = (StatusCode, String);

fn ok(body: impl Into<String>) -> anyhow::Result<Answer> {
    Ok((StatusCode::OK, body.into()))
}

async fn route(request: Request) -> anyhow::Result<Answer> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    // The first segment is the component's route (`notes` or `plain`).
    let segments: Vec<&str> = path.split('/').skip(2).collect();
    match (method.as_str(), segments.as_slice()) {
        // `/` too, where the guest is served alone, without its manifest.
        ("GET", ["hello"] | []) => ok("hello from spin-sdk 7"),
        ("POST", ["count"]) => count().await,
        ("PUT", ["kv", key]) => {
            let value = request.into_body().bytes().await?;
            Store::open_default().await?.set(key, &value).await?;
            ok("stored")
        }
        ("GET", ["kv", key]) => match Store::open_default().await?.get(key).await? {
            Some(value) => ok(String::from_utf8_lossy(&value)),
            None => Ok((StatusCode::NOT_FOUND, format!("no key {key}"))),
        },
        ("DELETE", ["kv", key]) => {
            let store = Store::open_default().await?;
            store.delete(key).await?;
            ok(format!("exists: {}", store.exists(key).await?))
        }
        ("GET", ["keys"]) => {
            let mut keys = Store::open_default().await?.get_keys().await.collect().await?;
            keys.sort();
            ok(keys.join(","))
        }
        ("POST", ["notes"]) => {
            let text = String::from_utf8(request.into_body().bytes().await?.to_vec())?;
            add_note(text).await
        }
        ("GET", ["notes"]) => list_notes().await,
        ("POST", ["sql"]) => {
            let statement = String::from_utf8(request.into_body().bytes().await?.to_vec())?;
            let db = Connection::open_default().await?;
            let rows = db.execute(statement, []).await?.collect().await?;
            ok(format!(
                "{} rows, changes {}, rowid {}",
                rows.len(),
                db.changes().await,
                db.last_insert_rowid().await
            ))
        }
        ("GET", ["variable", name]) => match variables::get(name).await {
            Ok(value) => ok(value),
            Err(error) => Ok((StatusCode::NOT_FOUND, format!("{error:?}"))),
        },
        ("GET", ["slow"]) => {
            // A second before it answers, then a write: a client that
            // left before the answer should stop it first.
            spin_sdk::wasip3::clocks::monotonic_clock::wait_for(1_000_000_000).await;
            Store::open_default().await?.set("slow", "answered").await?;
            ok("slow answer")
        }
        ("GET", ["env", name]) => ok(std::env::var(name).unwrap_or_default()),
        ("GET", ["outbound"]) => {
            let origin = variables::get("origin").await?;
            match spin_sdk::http::get(format!("{origin}/from-spin")).await {
                Ok(response) => {
                    let status = response.status();
                    let body = response.into_body().bytes().await?;
                    ok(format!("{status}: {}", String::from_utf8_lossy(&body)))
                }
                Err(error) => Ok((StatusCode::BAD_GATEWAY, format!("{error:?}"))),
            }
        }
        _ => Ok((StatusCode::NOT_FOUND, format!("no route {method} {path}"))),
    }
}

/// Answers at once, and writes `later` to the store afterwards, in a task
/// that outlives the handler.
fn later() -> impl IntoResponse {
    spin_sdk::wasip3::spawn(async {
        // Long after the answer has gone.
        spin_sdk::wasip3::clocks::monotonic_clock::wait_for(200_000_000).await;
        if let Ok(store) = Store::open_default().await {
            let _ = store.set("later", "written after the answer").await;
        }
    });
    "accepted"
}

/// Adds one to the decimal counter under `hits` and answers the new count.
async fn count() -> anyhow::Result<Answer> {
    let store = Store::open_default().await?;
    let now = match store.get("hits").await? {
        Some(value) => String::from_utf8_lossy(&value).parse::<u64>()?,
        None => 0,
    } + 1;
    store.set("hits", now.to_string()).await?;
    ok(now.to_string())
}

async fn add_note(text: String) -> anyhow::Result<Answer> {
    let db = Connection::open_default().await?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, size REAL, raw BLOB)",
        [],
    )
    .await?
    .result()
    .await?;
    let size = text.len() as f64;
    let raw = text.as_bytes().to_vec();
    db.execute(
        "INSERT INTO notes (text, size, raw) VALUES (?, ?, ?)",
        [Value::Text(text), Value::Real(size), Value::Blob(raw)],
    )
    .await?
    .result()
    .await?;
    ok(format!(
        "note {} ({} changed)",
        db.last_insert_rowid().await,
        db.changes().await
    ))
}

/// Every note, one line each, read row by row from the stream.
async fn list_notes() -> anyhow::Result<Answer> {
    let db = Connection::open_default().await?;
    let mut rows = db
        .execute("SELECT id, text, size, raw, NULL AS none FROM notes ORDER BY id", [])
        .await?;
    let mut lines = vec![rows.columns().join(",")];
    while let Some(row) = rows.next().await {
        let cells: Vec<String> = row
            .values
            .iter()
            .map(|value| match value {
                Value::Integer(n) => format!("i:{n}"),
                Value::Real(x) => format!("r:{x}"),
                Value::Text(s) => format!("t:{s}"),
                Value::Blob(b) => format!("b:{}", b.len()),
                Value::Null => "null".to_string(),
            })
            .collect();
        lines.push(cells.join(","));
    }
    rows.result().await?;
    ok(lines.join("\n"))
}
