//! The global scope of a running Worker, compared name by name with
//! workerd's (`tests/reference/`); `docs/compat.md` must list exactly the
//! differences.

use std::collections::BTreeSet;

use crate::support::{Isola, case, repo};

fn reference_names(reference: &serde_json::Value) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = strings(&reference["own"]);
    for proto in reference["protoChain"].as_array().unwrap() {
        names.extend(strings(&proto["names"]));
    }
    names
}

fn strings(list: &serde_json::Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The backticked names in the bullet list under `heading` in compat.md.
fn listed_in_compat(heading: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo().join("docs/compat.md")).unwrap();
    let section = doc
        .split("\n### ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("docs/compat.md has no section {heading:?}"));
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .map(|rest| rest.split('`').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_global_scope_matches_workerd_except_what_compat_md_lists() {
    let isola = Isola::serve(&[case("globals").to_str().unwrap()]);
    let ours = isola.get("/").json();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/reference/workerd-globals-2026-11-17.json"))
            .unwrap(),
    )
    .unwrap();

    let ours_names = reference_names(&ours);
    let workerd_names = reference_names(&reference);
    let missing: BTreeSet<String> = workerd_names.difference(&ours_names).cloned().collect();
    let extra: BTreeSet<String> = ours_names.difference(&workerd_names).cloned().collect();
    assert_eq!(
        missing,
        listed_in_compat("Names workerd has that isola lacks")
    );
    assert_eq!(
        extra,
        listed_in_compat("Names isola has that workerd lacks")
    );

    // Names both have sit where workerd puts them: own or on the prototype.
    let own = strings(&ours["own"]);
    for name in strings(&reference["own"]) {
        assert!(
            own.contains(&name) || missing.contains(&name),
            "{name} is not an own property"
        );
    }
    let chain: Vec<&str> = ours["protoChain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ctor"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain,
        [
            "ServiceWorkerGlobalScope",
            "WorkerGlobalScope",
            "EventTarget"
        ]
    );
    assert_eq!(ours["globalThisCtor"], "ServiceWorkerGlobalScope");
}

#[test]
fn workers_see_workerd_values_not_denos() {
    let isola = Isola::serve(&[case("globals").to_str().unwrap()]);
    let ours = isola.get("/").json();
    assert_eq!(ours["navigator"]["userAgent"], "Cloudflare-Workers");
    assert_eq!(ours["navigator"]["hardwareConcurrency"], 1);
    assert_eq!(ours["hasDeno"], false);
    assert_eq!(ours["selfIsGlobal"], true);
    assert_eq!(ours["btoa"], "aXNvbGE=");
    assert_eq!(ours["structuredClone"]["a"][1], 2);
    assert_eq!(
        ours["domExceptions"],
        serde_json::json!([
            "InvalidCharacterError: atob() called with invalid base64-encoded data. (Only whitespace, '+', '/', alphanumeric ASCII, and up to two terminal '=' signs when the input data length is divisible by 4 are allowed.)",
            "QuotaExceededError: getRandomValues() only accepts buffers of size <= 64K but provided 70000 bytes.",
            "TypeMismatchError: ArrayBufferView argument to getRandomValues() must be an integer-typed view."
        ])
    );
    // As workerd 2026-04-26 answers: its clock, its `getAll`, its two
    // cache modes.
    assert_eq!(ours["clock"], serde_json::json!([0, true]));
    assert_eq!(ours["setCookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(
        ours["cacheModes"],
        serde_json::json!(["no-store", "TypeError: Unsupported cache mode: reload"])
    );
    assert_eq!(
        ours["fetchErrors"],
        serde_json::json!([
            "RangeError: Responses may only be constructed with status codes in the range 200 to 599, inclusive.",
            "TypeError: Response with null body status (101, 204, 205, or 304) cannot have a body.",
            "RangeError: 200 is not a redirect status code. It must be one of: 301, 302, 303, 307, or 308.",
            "TypeError: Unable to parse URL: /relative",
            "TypeError: Request with a GET or HEAD method cannot have a body."
        ])
    );
    assert_eq!(
        ours["readTwice"],
        "TypeError: Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
    );
    // As workerd 2026-04-26 normalizes them.
    assert_eq!(
        ours["methods"],
        serde_json::json!([
            "PATCH",
            "GET",
            "MSEARCH",
            "QUERY",
            "TypeError: Invalid HTTP method string: m-search",
            "TypeError: Invalid HTTP method string: patchy",
            "TypeError: Invalid HTTP method string: CONNECT"
        ])
    );
    assert_eq!(
        ours["clonedErrors"],
        serde_json::json!([true, "boom", true, "AbortError"])
    );
    // Worded as workerd words them, naming what cannot be cloned.
    assert_eq!(
        ours["uncloneable"],
        serde_json::json!([
            "DataCloneError: () => 1 could not be cloned.",
            "DataCloneError: Symbol(s) could not be cloned.",
            "DataCloneError: function named() {} could not be cloned."
        ])
    );
    assert_eq!(ours["compatibilityFlags"]["nodejs_compat"], true);
    assert_eq!(
        ours["compatibilityFlags"]["streams_enable_constructors"],
        true
    );
    let receivers = &ours["receivers"];
    for name in ["fetch", "setTimeout", "atob", "btoa", "structuredClone", "queueMicrotask"] {
        let seen = receivers[name].as_str().unwrap();
        assert!(
            seen.starts_with("TypeError: Illegal invocation: function called with incorrect `this`"),
            "{name} called on another object: {seen}"
        );
    }
    assert_eq!(receivers["bare"], "hi");
    assert_eq!(receivers["onGlobal"], "aGk=hi");
    assert_eq!(receivers["lengths"], serde_json::json!([1, 1, "fetch", "clearImmediate"]));
    let uuid = ours["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4", "a version 4 UUID: {uuid}");
}

/// The globals of Node.js compatibility are where workerd has them: on by
/// compatibility date from 2026-08-04 (`Buffer`, `global` and `process`
/// own, `setImmediate` and `clearImmediate` on the prototype), absent at
/// 2025-01-01 without the flag.
#[test]
fn node_globals_follow_the_compatibility_date_as_on_workerd() {
    const NODE_GLOBALS: [&str; 5] = ["Buffer", "clearImmediate", "global", "process", "setImmediate"];
    let read = |file: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(repo().join("tests/reference").join(file)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let reference = read("workerd-globals-2026-11-17.json");
    let by_date = Isola::serve(&[case("globals").join("node-by-date.toml").to_str().unwrap()]);
    let ours = by_date.get("/").json();
    let prototype = |scope: &serde_json::Value| strings(&scope["protoChain"][0]["names"]);
    for name in NODE_GLOBALS {
        assert_eq!(
            strings(&ours["own"]).contains(name),
            strings(&reference["own"]).contains(name),
            "{name} as an own property"
        );
        assert_eq!(
            prototype(&ours).contains(name),
            prototype(&reference).contains(name),
            "{name} on the prototype"
        );
    }
    assert_eq!(ours["receivers"]["lengths"][3], "clearImmediate");

    let before = read("workerd-globals-2025-01-01.json");
    let workerd_then = strings(&before["all"]);
    let isola_then = reference_names(
        &Isola::serve(&[case("globals").join("before-node.toml").to_str().unwrap()])
            .get("/")
            .json(),
    );
    for name in NODE_GLOBALS {
        assert!(!workerd_then.contains(name), "the reference has {name}");
        assert!(!isola_then.contains(name), "{name} at 2025-01-01");
    }
}
