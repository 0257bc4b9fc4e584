//! Node.js compatibility through the real binary: each module's answers in
//! `tests/cases/node` against workerd's, recorded by `scripts/record-node`
//! into `tests/cases/node/workerd.json`; and what each compatibility mode
//! gives (`tests/cases/node-modes`).

use serde_json::{Value, json};

use crate::support::{Isola, case};

/// Every route of the fixture answers as workerd did.
#[test]
fn node_modules_answer_as_workerd_does() {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(case("node").join("workerd.json")).unwrap(),
    )
    .unwrap();
    let isola = Isola::serve(&[case("node").join("wrangler.toml").to_str().unwrap()]);
    let routes = isola.get("/").json();
    let routes: Vec<&str> = routes.as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(
        routes,
        recorded.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>(),
        "workerd.json is out of date: run scripts/record-node"
    );
    for route in routes {
        let ours = isola.get(&format!("/{route}")).json();
        let theirs = &recorded[route];
        for (key, expected) in theirs.as_object().unwrap() {
            assert_eq!(&ours[key], expected, "/{route}: {key}");
        }
    }
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
    assert!(refused(&v2, "node:fs", "does not provide"), "{}", v2["imports"]["node:fs"]);

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
