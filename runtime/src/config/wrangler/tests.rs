use super::*;
use isola_apis::d1::D1Binding;
use isola_apis::kv::KvBinding;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn reads_wrangler_toml() {
    let dir = project(&[
        ("index.js", "export default {}"),
        (
            "wrangler.toml",
            r#"
name = "shop"
main = "index.js"
compatibility_date = "2024-09-23"
compatibility_flags = ["nodejs_compat"]
workers_dev = true
routes = ["shop.example.com/*", { pattern = "api.example.com/v1/*", zone_name = "example.com" }]
kv_namespaces = [{ binding = "CACHE", id = "abc123" }, { binding = "LOCAL" }]
d1_databases = [{ binding = "DB", database_name = "shop-db", database_id = "0f1e", migrations_dir = "sql" }]
[limits]
cpu_ms = 100
[vars]
GREETING = "hi"
LIMITS = { max = 3 }
"#,
        ),
    ]);
    let config = WorkerConfig::load(&dir.path().join("wrangler.toml")).unwrap();
    assert_eq!(config.name, "shop");
    assert_eq!(config.main, Some(dir.path().join("index.js")));
    assert_eq!(config.compatibility_date.as_deref(), Some("2024-09-23"));
    assert_eq!(config.compatibility_flags, ["nodejs_compat"]);
    assert_eq!(config.vars["GREETING"], "hi");
    assert_eq!(config.vars["LIMITS"]["max"], 3);
    assert_eq!(config.ignored_fields, ["workers_dev"]);
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    assert_eq!(
        config.routes,
        ["shop.example.com/*", "api.example.com/v1/*"]
    );
    assert_eq!(config.limits.cpu_ms, Some(100));
    let kv: Vec<&KvBinding> = config.bindings_of().collect();
    assert_eq!(
        kv,
        [
            &KvBinding {
                binding: "CACHE".into(),
                id: "abc123".into()
            },
            &KvBinding {
                binding: "LOCAL".into(),
                id: "LOCAL".into()
            }
        ]
    );
    let d1: Vec<&D1Binding> = config.bindings_of().collect();
    assert_eq!(
        d1,
        [&D1Binding {
            binding: "DB".into(),
            name: "shop-db".into(),
            id: "0f1e".into(),
            migrations_dir: dir.path().join("sql"),
            migrations_table: "d1_migrations".into(),
        }]
    );
}

#[test]
fn reads_wrangler_jsonc_with_comments() {
    let dir = project(&[
        ("index.js", "export default {}"),
        (
            "wrangler.jsonc",
            "{\n // a comment\n \"name\": \"api\", \"main\": \"index.js\",\n \"vars\": {\"A\": \"1\"},\n}",
        ),
    ]);
    let config = WorkerConfig::load(&dir.path().join("wrangler.jsonc")).unwrap();
    assert_eq!(config.name, "api");
    assert_eq!(config.vars["A"], "1");
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let dir = project(&[("wrangler.toml", "name = \"x\"\n")]);
    let err = WorkerConfig::load(&dir.path().join("wrangler.toml")).unwrap_err();
    assert!(err.to_string().contains("wrangler.toml"), "{err}");
    assert!(err.to_string().contains("`main` is missing"), "{err}");

    let dir = project(&[("wrangler.toml", "main = \"gone.js\"\n")]);
    let err = WorkerConfig::load(&dir.path().join("wrangler.toml")).unwrap_err();
    assert!(err.to_string().contains("gone.js"), "{err}");

    let dir = project(&[("index.js", ""), ("wrangler.toml", "main = 3\n")]);
    let err = WorkerConfig::load(&dir.path().join("wrangler.toml")).unwrap_err();
    assert!(err.to_string().contains("wrangler.toml"), "{err}");
    assert!(err.to_string().contains("main"), "{err}");

    let dir = project(&[
        ("index.js", ""),
        (
            "wrangler.toml",
            "main = \"index.js\"\ncompatibility_date = \"tomorrow\"\n",
        ),
    ]);
    let err = WorkerConfig::load(&dir.path().join("wrangler.toml")).unwrap_err();
    assert!(err.to_string().contains("compatibility_date"), "{err}");
}

#[test]
fn a_directory_means_its_wrangler_config() {
    let dir = project(&[
        ("index.js", ""),
        (
            "wrangler.toml",
            "name = \"from-toml\"\nmain = \"index.js\"\n",
        ),
    ]);
    assert_eq!(WorkerConfig::load(dir.path()).unwrap().name, "from-toml");
    std::fs::write(
        dir.path().join("wrangler.json"),
        r#"{"name": "from-json", "main": "index.js"}"#,
    )
    .unwrap();
    assert_eq!(WorkerConfig::load(dir.path()).unwrap().name, "from-json");

    let empty = project(&[]);
    let err = WorkerConfig::load(empty.path()).unwrap_err();
    assert!(err.to_string().contains("no wrangler.json"), "{err}");
}

#[test]
fn a_script_alone_is_a_worker_named_after_it() {
    let dir = project(&[("hello.js", "export default {}")]);
    let config = WorkerConfig::load(&dir.path().join("hello.js")).unwrap();
    assert_eq!(config.name, "hello");
    assert!(config.vars.is_empty());
}

#[test]
fn unsupported_and_unknown_fields_are_named() {
    let dir = project(&[
        ("index.js", "export default {}"),
        (
            "wrangler.toml",
            "main = \"index.js\"\naccount_id = \"x\"\nfoo = 1\nbar = 2\n\
             [[vectorize]]\nbinding = \"V\"\nindex_name = \"i\"\n",
        ),
    ]);
    let warnings = WorkerConfig::load(dir.path()).unwrap().warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].ends_with("`vectorize` is not supported yet and is ignored"));
    assert!(
        warnings[1].ends_with("Unexpected fields found in top-level field: \"bar\",\"foo\""),
        "{warnings:?}"
    );
}

#[test]
fn dev_options_add_secrets_and_override_vars() {
    let dir = project(&[
        ("index.js", "export default {}"),
        (
            "wrangler.toml",
            "main = \"index.js\"\n[vars]\nA = \"config\"\nB = \"config\"\n\
             [triggers]\ncrons = [\"*/5 * * * *\"]\n[dev]\nport = 9000\ncf = { country = \"DE\" }\n",
        ),
        (".dev.vars", "B=secret\nC=secret\n"),
    ]);
    let options = LoadOptions {
        env: None,
        dev_vars: true,
        vars: [("C".to_string(), "cli".to_string())].into(),
        main: None,
    };
    let config = WorkerConfig::load_with(dir.path(), &options).unwrap();
    assert_eq!(config.vars["A"], "config");
    assert!(!config.vars.contains_key("B"));
    assert_eq!(config.secrets["B"], "secret");
    assert_eq!(config.vars["C"], "cli");
    assert!(!config.secrets.contains_key("C"));
    assert_eq!(config.crons[0].expression, "*/5 * * * *");
    assert_eq!(config.dev.port, Some(9000));
    assert_eq!(config.dev.cf["country"], "DE");

    // Without dev options, no secrets are read.
    assert!(WorkerConfig::load(dir.path()).unwrap().secrets.is_empty());
}

#[test]
fn a_bad_cron_names_the_file() {
    let dir = project(&[
        ("index.js", "export default {}"),
        (
            "wrangler.toml",
            "main = \"index.js\"\n[triggers]\ncrons = [\"61 * * * *\"]\n",
        ),
    ]);
    let err = WorkerConfig::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("wrangler.toml"), "{err}");
    assert!(err.contains("triggers.crons"), "{err}");
}
