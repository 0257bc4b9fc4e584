//! Code generation from strings and Wasm bytes: workerd's rules (allowed while top-level
//! code runs, from compatibility date 2025-06-01; refused while serving),
//! and the `unsafe_eval` binding that lifts them.

use serde_json::json;

use crate::support::{Isola, copy_case};

const REFUSED: &str = "EvalError: Code generation from strings disallowed for this context";

#[test]
fn eval_works_at_startup_is_refused_while_serving_and_unsafe_eval_lifts_it() {
    let project = copy_case("code-generation");
    let isola = Isola::serve(&[project.path().to_str().unwrap()]);
    let seen = isola.get("/").json();
    assert_eq!(
        seen["atStartup"],
        json!({"directEval": 42, "newFunction": 42, "wasm": true})
    );
    let at_request = &seen["atRequest"];
    for refused in ["eval", "indirectEval", "newFunction", "callFunction", "viaConstructor", "asyncFunction"] {
        assert_eq!(at_request[refused], REFUSED, "{refused}: {at_request}");
    }
    assert_eq!(at_request["evalOfNonString"], 7);
    assert_eq!(at_request["emptyFunction"], "function");
    assert_eq!(at_request["extended"], "function");
    assert_eq!(at_request["instanceOf"], true);
    for (field, api) in [
        ("wasmModule", "Module"),
        ("wasmCompile", "compile"),
        ("wasmInstantiateBytes", "instantiate"),
        ("wasmStreaming", "instantiateStreaming"),
    ] {
        assert_eq!(
            at_request[field],
            format!("CompileError: WebAssembly.{api}(): Wasm code generation disallowed by embedder"),
            "{at_request}"
        );
    }
    assert_eq!(at_request["wasmInstantiateModule"], "resolved");
    assert_eq!(at_request["moduleIsModule"], true);
    assert_eq!(at_request["moduleExports"], 0);
    assert_eq!(
        seen["unsafe"],
        json!({"eval": 3, "newFunction": "function sum", "sum": 3, "async": 5, "wasm": true})
    );
}

#[test]
fn before_2025_06_01_eval_is_refused_at_startup_too() {
    let project = copy_case("code-generation");
    let config = std::fs::read_to_string(project.path().join("wrangler.toml")).unwrap();
    std::fs::write(
        project.path().join("wrangler.toml"),
        config.replace("2026-04-01", "2025-01-01"),
    )
    .unwrap();
    let isola = Isola::serve(&[project.path().to_str().unwrap()]);
    let seen = isola.get("/").json();
    assert_eq!(seen["atStartup"]["directEval"], REFUSED);
    assert_eq!(seen["atStartup"]["newFunction"], REFUSED);
}

#[test]
fn an_unknown_unsafe_binding_type_is_refused_by_name() {
    let project = copy_case("code-generation");
    let config = std::fs::read_to_string(project.path().join("wrangler.toml")).unwrap();
    std::fs::write(
        project.path().join("wrangler.toml"),
        config.replace("type = \"unsafe_eval\"", "type = \"ratelimit\""),
    )
    .unwrap();
    let exit = crate::support::run(&["serve", project.path().to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("unsafe.bindings[0]"), "{}", exit.stderr);
    assert!(exit.stderr.contains("ratelimit"), "{}", exit.stderr);
}
