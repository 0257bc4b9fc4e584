//! WebAssembly from JS Workers: `.wasm` (and text, data, JSON) imports by
//! wrangler's module rules, calls both ways, memory views, traps, missing
//! imports, invalid modules; the rest of V8's JS API (tables, globals,
//! externref, i64, several results, an imported memory, nested calls, the
//! CPU limit); service-worker globals from `[wasm_modules]`; a Rust Worker
//! built with wasm-bindgen as workers-rs builds one (with reference types,
//! Rust's default).

use std::path::Path;

use crate::support::{Isola, build_guests, copy_case, repo, request, run};

/// The test cases with `math.wasm` compiled from `math.wat` beside each
/// Worker, and `api.wasm` from `api.wat` (built `.wasm` files are not
/// committed).
fn wasm_case() -> tempfile::TempDir {
    let dir = copy_case("wasm");
    let binary = wat::parse_file(dir.path().join("math.wat")).unwrap();
    for worker in ["module", "service-worker"] {
        std::fs::write(dir.path().join(worker).join("math.wasm"), &binary).unwrap();
    }
    let binary = wat::parse_file(dir.path().join("api.wat")).unwrap();
    std::fs::write(dir.path().join("api/api.wasm"), binary).unwrap();
    dir
}

fn serve(dir: &Path, worker: &str) -> Isola {
    Isola::serve(&[dir.join(worker).to_str().unwrap()])
}

#[test]
fn module_rules_give_wasm_text_data_and_json() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "module");
    let modules = isola.get("/modules").json();
    assert_eq!(modules["isModule"], true, "{modules}");
    assert_eq!(
        modules["exports"],
        serde_json::json!([
            "memory:memory",
            "add:function",
            "double_and_report:function",
            "sum:function",
            "grow:function",
            "crash:function"
        ])
    );
    assert_eq!(modules["greeting"], "Hello from a text module");
    assert_eq!(modules["notes"], "# A Markdown file\n", "[[rules]] Text");
    assert_eq!(modules["blob"], serde_json::json!([true, 0, 1, 2, 255]));
    assert_eq!(modules["settings"]["answer"], 42);
}

#[test]
fn js_and_wasm_call_each_other_and_share_memory() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "module");
    assert_eq!(isola.get("/add?a=40&b=2").json(), 42);
    assert_eq!(isola.get("/callback").json(), serde_json::json!([42]));
    let memory = isola.get("/memory?text=abc").json();
    assert_eq!(memory["sum"], 97 + 98 + 99, "{memory}");
    assert_eq!(memory["grown"], 65536);
    assert_eq!(memory["previous"], true);
    assert_eq!(memory["pastMaximum"], -1);
    let instantiated = isola.get("/instantiate").json();
    assert_eq!(instantiated["add"], 5);
    assert!(
        instantiated["rejected"]
            .as_str()
            .unwrap()
            .starts_with("TypeError: WebAssembly.instantiate(): Import #0 \"host\""),
        "{instantiated}"
    );
}

#[test]
fn traps_missing_imports_and_bad_modules_are_exceptions() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "module");
    let caught = isola.get("/trap-caught").json();
    assert_eq!(caught["runtimeError"], true, "{caught}");
    assert_eq!(caught["message"], "unreachable");

    let uncaught = isola.get("/trap");
    assert_eq!(uncaught.status, 500);
    assert!(isola.wait_for_log("Uncaught RuntimeError: unreachable"));
    assert_eq!(
        isola.get("/add?a=1&b=1").json(),
        2,
        "the Worker keeps serving"
    );

    let missing = isola.get("/missing-import").json();
    assert_eq!(missing["linkError"], true, "{missing}");
    assert_eq!(
        missing["message"],
        "WebAssembly.Instance(): Import #0 \"host\" \"report\": function import requires a callable"
    );
    assert_eq!(isola.get("/invalid").json()["compileError"], true);
}

#[test]
fn the_js_api_behaves_as_v8s() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "api");
    let check = isola.get("/check").json();
    let expected = serde_json::json!({
        "externref": true,
        "tableGet": true,
        "nullRef": true,
        "defaultRef": true,
        "counter": 42,
        "big": true,
        "mul64": "3703703670369",
        "fromObjects": ["6", 42],
        "divmod": [3, 2],
        "sameFunction": true,
        "tableCall": 5,
        "callIndirect": [9, 13],
        "fnsLength": 2,
        "reentered": 12,
        "viewByte": 200,
        "grownFrom": 1,
        "detached": true,
        "byteLength": 131072,
        "sameException": true,
        "tags": ["[object WebAssembly.Module]", "[object WebAssembly.Memory]", "[object WebAssembly]"],
        "customSections": ["kept beside the code"],
        "streamed": [true, true, 0],
        "validate": [true, false],
    });
    assert_eq!(check, expected);

    let errors = isola.get("/errors").json();
    let expected = serde_json::json!({
        "growPastMaximum": "RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded",
        "immutable": "TypeError: Can't set the value of an immutable global.",
        "numberForI64": "TypeError: Cannot convert 1 to a BigInt",
        "plainFunctionInTable": "TypeError: type incompatibility when transforming from/to JS",
        "tableOutOfBounds": "RangeError: WebAssembly.Table.get(): invalid address 10",
        "nullCall": "RuntimeError: null function or function signature mismatch",
        "callOutOfBounds": "RuntimeError: table index is out of bounds",
        "mutableGlobalAsNumber": "LinkError: WebAssembly.Instance(): Import #1 \"env\" \"counter\": imported mutable global must be a WebAssembly.Global object",
        "throwingValueOf": "RangeError: from valueOf",
        "callFromValueOf": "TypeError: WebAssembly cannot be called while converting a value for it",
        "recursion": "RangeError: Maximum call stack size exceeded",
        "hugeMemory": "RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded",
        "memoryBudget": "RangeError: WebAssembly.Memory(): could not allocate memory",
    });
    let wrong_memory = errors["wrongMemory"].as_str().unwrap().to_string();
    let mut errors = errors;
    errors.as_object_mut().unwrap().remove("wrongMemory");
    assert_eq!(errors, expected);
    assert!(
        wrong_memory.starts_with("LinkError: WebAssembly.Instance(): "),
        "{wrong_memory}"
    );
    // The isolate that spent its memory budget is replaced; the Worker
    // serves on.
    assert_eq!(isola.get("/add").json(), 42);
    assert_eq!(isola.get("/check").json()["counter"], 42);
}

#[test]
fn wasm_that_loops_forever_is_stopped_at_the_cpu_limit() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "api");
    let stopped = isola.get("/spin");
    assert_eq!(stopped.status, 503, "{}", stopped.text());
    assert!(stopped.text().contains("Error 1102"), "{}", stopped.text());
    assert!(isola.wait_for_log("exceeded its CPU time limit"));
    assert_eq!(isola.get("/add").json(), 42, "the isolate serves on");
}

#[test]
fn an_invalid_wasm_file_fails_the_load_naming_it() {
    let dir = wasm_case();
    std::fs::write(dir.path().join("module/math.wasm"), b"not wasm at all").unwrap();
    let state = tempfile::tempdir().unwrap();
    let exit = run(&[
        "serve",
        dir.path().join("module").to_str().unwrap(),
        "--port",
        "0",
        "--persist-to",
        state.path().to_str().unwrap(),
    ]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("CompileError"), "{}", exit.stderr);
    assert!(exit.stderr.contains("math.wasm"), "{}", exit.stderr);
}

#[test]
fn service_workers_get_wasm_modules_and_blobs_as_globals() {
    let dir = wasm_case();
    let isola = serve(dir.path(), "service-worker");
    let reply = isola.get("/").json();
    assert_eq!(reply["add"], 42, "{reply}");
    assert_eq!(reply["greeting"], "hi");
    assert_eq!(reply["bytes"], 3);
}

#[test]
fn a_wasm_bindgen_worker_runs_unchanged() {
    build_guests();
    let worker = repo().join("guests/wasm-bindgen/markdown");
    let isola = Isola::serve(&[worker.to_str().unwrap()]);
    let markdown = "# Title\n\nSome *emphasis*, a [link](https://example.com) and `code`.\n\n## Part two\n\n- one\n- two\n";
    let body = serde_json::json!({ "markdown": markdown }).to_string();
    let reply = request(
        "POST",
        &isola.url("/render"),
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let rendered = reply.json();
    let html = rendered["html"].as_str().unwrap();
    assert!(html.contains("<h1>Title</h1>"), "{html}");
    assert!(html.contains("<em>emphasis</em>"), "{html}");
    assert!(
        html.contains("<a href=\"https://example.com\">link</a>"),
        "{html}"
    );
    assert!(html.contains("<li>two</li>"), "{html}");
    assert_eq!(
        rendered["headings"],
        serde_json::json!(["Title", "Part two"])
    );
    assert_eq!(rendered["words"], 13);

    let bad = request("POST", &isola.url("/render"), &[], Some(b"not json"));
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("bad request body")
    );
    assert_eq!(isola.get("/elsewhere").status, 404);

    // A Rust panic is a Wasm trap: that request fails, the Worker goes on.
    assert_eq!(isola.get("/panic").status, 500);
    assert!(
        isola.wait_for_log("RuntimeError: unreachable"),
        "{}",
        isola.log()
    );
    let again = request("POST", &isola.url("/render"), &[], Some(body.as_bytes()));
    assert_eq!(again.status, 200);
}
