//! Node.js compatibility through the real binary: each module's answers in
//! `tests/cases/node`, and a node:http server behind cloudflare:node's
//! `httpServerHandler` in `tests/cases/node-http`, against workerd's,
//! recorded by `scripts/record-node` into each case's `workerd.json`; and
//! what each compatibility mode gives (`tests/cases/node-modes`).

use serde_json::{Value, json};

use std::collections::BTreeSet;

use crate::support::{Isola, case, repo};

/// Every route of the fixture answers as workerd did, and every module
/// exports the names workerd's does, but for those `docs/compat.md` lists
/// as not there yet.
#[test]
fn node_modules_answer_as_workerd_does() {
    let recorded = recorded("node");
    let isola = Isola::serve(&[case("node").join("wrangler.toml").to_str().unwrap()]);
    for route in routes(&isola, &recorded) {
        let ours = isola.get(&format!("/{route}")).json();
        let theirs = &recorded[&route]["body"];
        if route == "exports" {
            assert_eq!(missing_exports(&ours, theirs), listed_as_missing());
            continue;
        }
        for (key, expected) in theirs.as_object().unwrap() {
            assert_eq!(&ours[key], expected, "/{route}: {key}");
        }
    }
}

/// A node:http server answers through `httpServerHandler` as on workerd:
/// status, Content-Type, cookies and body, streamed writes included.
#[test]
fn node_http_servers_answer_through_http_server_handler() {
    let recorded = recorded("node-http");
    let isola = Isola::serve(&[case("node-http").join("wrangler.toml").to_str().unwrap()]);
    for route in routes(&isola, &recorded) {
        let reply = isola.get(&format!("/{route}"));
        let theirs = &recorded[&route];
        assert_eq!(u64::from(reply.status), theirs["status"], "/{route}");
        assert_eq!(
            reply.header("content-type").map(Value::from).unwrap_or(Value::Null),
            theirs["contentType"],
            "/{route}"
        );
        let cookies: Vec<&str> = reply
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(Value::from(cookies), theirs["setCookie"], "/{route}");
        let body = match &theirs["body"] {
            Value::String(_) => Value::from(reply.text()),
            _ => reply.json(),
        };
        assert_eq!(body, theirs["body"], "/{route}");
    }
}

/// The answers workerd gave to the fixture `name`.
fn recorded(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(case(name).join("workerd.json")).unwrap()).unwrap()
}

/// The fixture's routes, as it lists them at "/", checked against those
/// recorded.
fn routes(isola: &Isola, recorded: &Value) -> Vec<String> {
    let listed: Vec<String> = isola
        .get("/")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().trim_start_matches('/').to_string())
        .collect();
    let keys: Vec<String> = recorded.as_object().unwrap().keys().cloned().collect();
    assert_eq!(listed, keys, "workerd.json is out of date: run scripts/record-node");
    listed
}

/// `module.name` for each name workerd's module exports and ours does not;
/// ours exports nothing workerd's does not.
fn missing_exports(ours: &Value, workerd: &Value) -> BTreeSet<String> {
    let names = |list: &Value| -> BTreeSet<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    let mut missing = BTreeSet::new();
    for (module, theirs) in workerd.as_object().unwrap() {
        let (theirs, ours) = (names(theirs), names(&ours[module]));
        let extra: Vec<_> = ours.difference(&theirs).collect();
        assert!(extra.is_empty(), "node:{module} exports what workerd's does not: {extra:?}");
        missing.extend(theirs.difference(&ours).map(|name| format!("{module}.{name}")));
    }
    missing
}

/// The names under "Exports not there yet" in docs/compat.md.
fn listed_as_missing() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo().join("docs/compat.md")).unwrap();
    let section = doc
        .split("\n### ")
        .find(|s| s.starts_with("Exports not there yet"))
        .expect("docs/compat.md has a section \"Exports not there yet\"");
    section
        .split("\n## ")
        .next()
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .flat_map(|rest| {
            let (module, names) = rest.split_once("`: ").unwrap();
            names
                .trim_end_matches('.')
                .split(", ")
                .map(move |name| format!("{module}.{}", name.trim_matches('`')))
        })
        .collect()
}

fn modes(mode: &str) -> Value {
    let config = case("node-modes").join(format!("{mode}.toml"));
    Isola::serve(&[config.to_str().unwrap()]).get("/").json()
}

fn loaded(answer: &Value, specifier: &str) -> bool {
    answer["imports"][specifier] == "loaded"
}

fn refused(answer: &Value, specifier: &str, why: &str) -> bool {
    let text = answer["imports"][specifier].as_str().unwrap();
    let name = specifier.trim_start_matches("node:");
    text.contains(&format!("No such module \"node:{name}\"")) && text.contains(why)
}

#[test]
fn compatibility_modes_give_what_workerd_gives() {
    // From 2026-08-04, nodejs_compat is on by date: globals, and imports
    // with or without the prefix.
    let v2 = modes("v2");
    assert_eq!(
        v2["globals"],
        json!({ "Buffer": "function", "process": "object", "global": "object", "setImmediate": "function" })
    );
    for specifier in ["node:buffer", "buffer", "node:async_hooks", "node:path/posix"] {
        assert!(loaded(&v2, specifier), "{specifier}: {}", v2["imports"][specifier]);
    }
    assert!(
        refused(&v2, "node:nonexistent", "does not provide"),
        "{}",
        v2["imports"]["node:nonexistent"]
    );

    // nodejs_compat before 2024-09-23: the prefix only, no globals.
    let v1 = modes("v1");
    assert_eq!(v1["globals"]["Buffer"], "undefined");
    assert_eq!(v1["globals"]["setImmediate"], "undefined");
    assert!(loaded(&v1, "node:buffer"));
    let bare = v1["imports"]["buffer"].as_str().unwrap();
    assert!(bare.contains("Cannot resolve \"buffer\""), "{bare}");

    // nodejs_als: node:async_hooks alone.
    let als = modes("als");
    assert!(loaded(&als, "node:async_hooks"));
    assert!(refused(&als, "node:buffer", "nodejs_als"), "{}", als["imports"]["node:buffer"]);
    assert_eq!(als["globals"]["process"], "undefined");

    // Neither the flag nor the date, or the flag turned off: nothing.
    for mode in ["off", "opted-out"] {
        let off = modes(mode);
        assert_eq!(
            off["globals"],
            json!({ "Buffer": "undefined", "process": "undefined", "global": "undefined", "setImmediate": "undefined" }),
            "{mode}"
        );
        for specifier in ["node:buffer", "node:async_hooks"] {
            assert!(refused(&off, specifier, "nodejs_compat"), "{mode} {specifier}: {}", off["imports"][specifier]);
        }
    }
}

/// node:net's Socket talks to a TCP server through `connect()`, with
/// Node's events in Node's order.
#[test]
fn node_net_sockets_talk_tcp() {
    let port = crate::support::shouting_server();
    let isola = Isola::serve(&[case("node-net").join("wrangler.toml").to_str().unwrap()]);
    let reply = isola.post(&format!("/?port={port}"), b"hello from node:net");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({
            "answer": "HELLO FROM NODE:NET",
            "events": ["connect", "end", "close"],
            "isIP": [4, 6, 0],
        })
    );
}

/// node:fs's /bundle holds the Worker's own files and nothing it may not
/// import: no hidden files, nothing outside its folder.
#[test]
fn node_fs_bundle_shows_only_what_the_worker_may_import() {
    let isola = Isola::serve(&[case("node-fs-confined").join("wrangler.toml").to_str().unwrap()]);
    assert_eq!(
        isola.get("/").json(),
        json!({
            "listing": ["worker.js", "wrangler.toml"],
            "own": true,
            "hidden": "ENOENT",
            "above": "ENOENT",
            "outside": ["bundle", "dev", "tmp"],
        })
    );
}

/// Work that the host could not stop once begun is refused up front:
/// PBKDF2 beyond Cloudflare's 100 000 iterations, RSA keys over 4096
/// bits, scrypt over 64 MiB whatever `maxmem` says.
#[test]
fn node_crypto_refuses_work_it_could_not_stop() {
    let isola = Isola::serve(&[case("node-limits").join("wrangler.toml").to_str().unwrap()]);
    assert_eq!(
        isola.get("/").json(),
        json!({
            "pbkdf2": "NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported (requested 100001).",
            "pbkdf2AtLimit": "done",
            "rsa": "RangeError: RSA modulusLength exceeds maximum (4096)",
            "scrypt": "Error: Scrypt failed",
        })
    );
}
