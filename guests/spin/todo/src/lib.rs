//! A Spin app as its authors write one with `spin-sdk`: a small todo API on
//! Spin's SQLite, a key-value counter, variables, an outbound request and
//! the environment, routed by `spin.toml` and, inside, by the SDK's router.

use anyhow::Result;
use spin_sdk::http::{IntoResponse, Params, Request, Response, Router, send};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value};
use spin_sdk::variables;

#[http_component]
async fn handle(request: Request) -> Result<impl IntoResponse> {
    let mut router = Router::new();
    router.get("/todo/kv/:key", read_key);
    router.put("/todo/kv/:key", write_key);
    router.post("/todo/count", count);
    router.get("/todo/keys", keys);
    router.post("/todo/items", add_item);
    router.get("/todo/items", list_items);
    router.get("/todo/variable/:name", variable);
    router.get("/todo/env/:name", environment);
    router.get("/todo/route", route);
    router.get_async("/todo/outbound", outbound);
    router.get("/todo/file/*", file);
    // What the `hello` component, granted nothing, is asked to do.
    router.post("/todo/denied/count", count);
    router.get_async("/todo/denied/outbound", outbound);
    router.any("/*", route);
    Ok(router.handle(request))
}

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.into())
        .build()
}

fn read_key(_: Request, params: Params) -> Result<impl IntoResponse> {
    let store = Store::open_default()?;
    let key = params.get("key").unwrap_or_default();
    Ok(match store.get(key)? {
        Some(value) => text(200, String::from_utf8_lossy(&value)),
        None => text(404, format!("no key {key}")),
    })
}

fn write_key(request: Request, params: Params) -> Result<impl IntoResponse> {
    let store = Store::open_default()?;
    store.set(params.get("key").unwrap_or_default(), request.body())?;
    Ok(text(200, "stored"))
}

/// Adds one to the decimal counter under `hits` and answers the new count.
fn count(_: Request, _: Params) -> Result<impl IntoResponse> {
    let store = Store::open_default()?;
    let now = store
        .get("hits")?
        .map(|v| String::from_utf8_lossy(&v).parse::<u64>())
        .transpose()?
        .unwrap_or(0)
        + 1;
    store.set("hits", now.to_string().as_bytes())?;
    Ok(text(200, now.to_string()))
}

fn keys(_: Request, _: Params) -> Result<impl IntoResponse> {
    let mut keys = Store::open_default()?.get_keys()?;
    keys.sort();
    Ok(text(200, keys.join(",")))
}

fn add_item(request: Request, _: Params) -> Result<impl IntoResponse> {
    let db = Connection::open_default()?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, weight REAL, data BLOB)",
        &[],
    )?;
    let title = String::from_utf8(request.body().to_vec())?;
    let result = db.execute(
        "INSERT INTO items (title, weight, data) VALUES (?, ?, ?) RETURNING id",
        &[
            Value::Text(title.clone()),
            Value::Real(title.len() as f64 / 2.0),
            Value::Blob(title.as_bytes().to_vec()),
        ],
    );
    match result {
        Ok(rows) => {
            let id: i64 = rows.rows().next().and_then(|r| r.get("id")).unwrap_or(-1);
            Ok(text(201, id.to_string()))
        }
        Err(e) => Ok(text(500, format!("{e}"))),
    }
}

fn list_items(_: Request, _: Params) -> Result<impl IntoResponse> {
    let db = Connection::open_default()?;
    let result = match db.execute(
        "SELECT id, title, weight, data, NULL AS empty FROM items ORDER BY id",
        &[],
    ) {
        Ok(result) => result,
        Err(e) => return Ok(text(500, format!("{e}"))),
    };
    let mut lines = vec![result.columns.join(",")];
    for row in result.rows() {
        let id: i64 = row.get("id").unwrap_or(-1);
        let title: &str = row.get("title").unwrap_or("?");
        let weight: f64 = row.get("weight").unwrap_or(-1.0);
        let data: &[u8] = row.get("data").unwrap_or(&[]);
        let nothing = matches!(row.get::<&Value>("empty"), Some(Value::Null));
        lines.push(format!(
            "{id}:{title}:{weight}:{}:{nothing}",
            String::from_utf8_lossy(data)
        ));
    }
    Ok(text(200, lines.join("\n")))
}

fn variable(_: Request, params: Params) -> Result<impl IntoResponse> {
    Ok(match variables::get(params.get("name").unwrap_or_default()) {
        Ok(value) => text(200, value),
        Err(e) => text(404, format!("{e}")),
    })
}

fn environment(_: Request, params: Params) -> Result<impl IntoResponse> {
    let name = params.get("name").unwrap_or_default();
    Ok(match std::env::var(name) {
        Ok(value) => text(200, value),
        Err(_) => text(404, format!("no {name}")),
    })
}

/// What the host told the component of its route (any path no other
/// handler takes).
fn route(request: Request, _: Params) -> Result<impl IntoResponse> {
    let header = |name: &str| {
        request
            .header(name)
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string()
    };
    Ok(text(
        200,
        [
            "spin-full-url",
            "spin-path-info",
            "spin-matched-route",
            "spin-component-route",
            "spin-raw-component-route",
            "spin-base-path",
            "spin-path-match-name",
        ]
        .map(|name| format!("{name}={}", header(name)))
        .join("\n"),
    ))
}

/// A file the manifest's `files` gave the component.
fn file(_: Request, params: Params) -> Result<impl IntoResponse> {
    let path = format!("/{}", params.wildcard().unwrap_or_default());
    Ok(match std::fs::read_to_string(&path) {
        Ok(content) => text(200, content),
        Err(e) => text(404, format!("{path}: {e}")),
    })
}

/// Fetches the URL in the `origin` variable, and answers what it said.
async fn outbound(_: Request, _: Params) -> Result<impl IntoResponse> {
    let origin = variables::get("origin")?;
    let target = format!("{origin}/from-spin");
    match send::<_, Response>(Request::get(&target)).await {
        Ok(response) => Ok(text(
            *response.status(),
            String::from_utf8_lossy(response.body()).into_owned(),
        )),
        Err(e) => Ok(text(502, format!("{e}"))),
    }
}
