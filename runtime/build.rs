//! Finds the black-box tests and checks that every example is exercised,
//! so that neither needs a list kept by hand.
//!
//! The tests of the `isola` binary are one test binary (`tests/main.rs`)
//! made of every `tests/*.rs` file and every `tests.rs` beside an API (in
//! `apis/src/<api>/` and this crate's `src/<api>/`): this writes their
//! `mod` lines. It also lists the examples under `guests/` (JS Workers in
//! `guests/js/` and `guests/wasm-bindgen/`, Rust guests in `guests/rust/`
//! and Spin apps in `guests/spin/` whose crate is a `cdylib`) that no test
//! names, by a path (`guests/js/hello`) or by the helpers `guest("hello")`,
//! `rust_guest("bot_detector")` and `spin_app("todo")`; a test fails while
//! that list is not empty.
//!
//! It also embeds the JS of the isolate's extensions (see
//! [`embed_extension_js`]), and with QuickJS, has the linker route the
//! engine's runtime creation and freeing through `src/isolate/heap.rs`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir.parent().expect("the crate is in the repository");
    let watched = [
        repo.join("tests"),
        repo.join("apis/src"),
        crate_dir.join("src"),
        repo.join("guests"),
    ];
    for dir in &watched {
        println!("cargo::rerun-if-changed={}", dir.display());
    }

    let tests = test_files(repo, &crate_dir);
    let mut modules = String::new();
    for (name, path) in &tests {
        let _ = writeln!(modules, "#[path = {:?}]\nmod {name};", path.display());
    }

    let sources: String = tests
        .iter()
        .filter_map(|(_, path)| fs::read_to_string(path).ok())
        .collect();
    let untested: Vec<String> = examples(repo)
        .into_iter()
        .filter(|example| !example.is_named_in(&sources))
        .map(|example| example.path)
        .collect();
    let _ = writeln!(
        modules,
        "/// Examples under `guests/` that no test names.\n\
         pub const UNTESTED_EXAMPLES: &[&str] = &{untested:?};"
    );

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("black_box_tests.rs"), modules).expect("write the test list");
    embed_extension_js(repo, &crate_dir, &out);
    if std::env::var_os("CARGO_FEATURE_QUICKJS").is_some() {
        // src/isolate/heap.rs and src/isolate/facade.rs stand in for each
        // of these.
        for symbol in [
            "v8__String__NewExternalOneByteConst",
            "v8__Private__ForApi",
            "JS_NewRuntime",
            "JS_FreeRuntime",
            "v8__FunctionTemplate__New",
            "v8__ObjectTemplate__New",
            "v8__Template__Set",
            "v8__Template__SetIntrinsicDataProperty",
            "v8__FunctionTemplate__SetClassName",
            "v8__FunctionTemplate__SetAccessorProperty",
            "v8__ObjectTemplate__SetAccessorProperty",
            "v8__ObjectTemplate__SetNativeDataProperty",
        ] {
            println!("cargo::rustc-link-arg=-Wl,--wrap={symbol}");
        }
    }
}

/// The crates whose extension JS deno_core finds by path.
const DENO_CRATES: [&str; 4] = ["deno_webidl", "deno_web", "deno_fetch", "deno_crypto"];

/// Writes `extension_js.rs`: every JS file of the extensions' crates (ours
/// and Deno's Web API crates), by the absolute path deno_core's extension
/// macros record, with its text.
///
/// deno_core expects extension sources to come from a startup snapshot and
/// otherwise reads them from those paths on every start; embedding them
/// makes the binary independent of the source tree and cargo's registry.
/// The Deno crates' directories are found as cargo resolved them.
fn embed_extension_js(repo: &Path, crate_dir: &Path, out: &Path) {
    println!(
        "cargo::rerun-if-changed={}",
        repo.join("Cargo.lock").display()
    );
    let mut dirs = vec![repo.join("apis/src"), crate_dir.join("src")];
    dirs.extend(deno_crate_dirs(repo));
    let mut table = String::from("&[\n");
    for dir in &dirs {
        for file in js_files(dir) {
            let _ = writeln!(table, "    ({file:?}, include_str!({file:?})),");
        }
    }
    table.push_str("]\n");
    fs::write(out.join("extension_js.rs"), table).expect("write the embedded JS");
}

/// The source directories of [`DENO_CRATES`]: where cargo unpacked them
/// from its registry, at the versions `Cargo.lock` names; otherwise (vendored
/// sources, a git dependency) where `cargo metadata` says they are.
fn deno_crate_dirs(repo: &Path) -> Vec<PathBuf> {
    let lock: Option<toml::Table> = fs::read_to_string(repo.join("Cargo.lock"))
        .ok()
        .and_then(|text| text.parse().ok());
    let in_registry: Option<Vec<PathBuf>> = DENO_CRATES
        .iter()
        .map(|name| registry_dir(lock.as_ref()?, name))
        .collect();
    in_registry.unwrap_or_else(|| metadata_dirs(repo))
}

/// `<cargo home>/registry/src/<index>/<name>-<version>` for the version of
/// `name` in the lock file `lock`, if cargo unpacked it there.
fn registry_dir(lock: &toml::Table, name: &str) -> Option<PathBuf> {
    let version = lock
        .get("package")?
        .as_array()?
        .iter()
        .find(|package| package.get("name").and_then(|n| n.as_str()) == Some(name))?
        .get("version")?
        .as_str()?
        .to_owned();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    files(&cargo_home.join("registry/src"))
        .into_iter()
        .map(|index| index.join(format!("{name}-{version}")))
        .find(|dir| dir.join("Cargo.toml").is_file())
}

/// The directories of [`DENO_CRATES`] as `cargo metadata` reports them
/// (it needs every package of the lock file at hand, offline).
fn metadata_dirs(repo: &Path) -> Vec<PathBuf> {
    let cargo = std::env::var_os("CARGO").expect("cargo sets CARGO");
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &target,
        ])
        .current_dir(repo)
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cannot find the sources of {DENO_CRATES:?}: cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let dirs: Vec<PathBuf> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| DENO_CRATES.iter().any(|name| package["name"] == *name))
        .filter_map(|package| package["manifest_path"].as_str())
        .filter_map(|manifest| Path::new(manifest).parent().map(Path::to_path_buf))
        .collect();
    assert_eq!(
        dirs.len(),
        DENO_CRATES.len(),
        "each of {DENO_CRATES:?} resolved once"
    );
    dirs
}

/// The `.js` files under `dir`, recursively, sorted.
fn js_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in files(dir) {
        if entry.is_dir() {
            found.extend(js_files(&entry));
        } else if entry.extension().is_some_and(|e| e == "js") {
            found.push(entry);
        }
    }
    found
}

/// `(module name, file)` for every black-box test file, sorted.
fn test_files(repo: &Path, crate_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut tests: Vec<(String, PathBuf)> = files(&repo.join("tests"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter(|path| path.file_stem().is_some_and(|stem| stem != "main"))
        .map(|path| (stem(&path), path))
        .collect();
    for (prefix, src) in [
        ("apis", repo.join("apis/src")),
        ("runtime", crate_dir.join("src")),
    ] {
        for dir in files(&src).into_iter().filter(|p| p.is_dir()) {
            let file = dir.join("tests.rs");
            if file.is_file() {
                tests.push((format!("{prefix}_{}", stem(&dir)), file));
            }
        }
    }
    tests.sort();
    tests
}

/// An example under `guests/`.
struct Example {
    /// `guests/js/hello`.
    path: String,
    /// How a test names it through a helper: `guest("hello")`.
    helper_call: Option<String>,
}

impl Example {
    fn is_named_in(&self, sources: &str) -> bool {
        sources.contains(&self.path)
            || self
                .helper_call
                .as_ref()
                .is_some_and(|call| sources.contains(call))
    }
}

fn examples(repo: &Path) -> Vec<Example> {
    let mut examples = Vec::new();
    for kind in ["js", "wasm-bindgen", "rust", "spin"] {
        for dir in files(&repo.join("guests").join(kind)) {
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let helper_call = match kind {
                "js" => Some(format!("guest({name:?})")),
                "rust" => Some(format!("rust_guest({:?})", name.replace('-', "_"))),
                "spin" => Some(format!("spin_app({name:?})")),
                _ => None,
            };
            let is_example = match kind {
                "rust" | "spin" => fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|manifest| manifest.contains("cdylib")),
                _ => dir.join("wrangler.toml").is_file(),
            };
            if is_example {
                examples.push(Example {
                    path: format!("guests/{kind}/{name}"),
                    helper_call,
                });
            }
        }
    }
    examples
}

/// The entries of `dir`, sorted; none if it cannot be read.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .replace('-', "_")
}
