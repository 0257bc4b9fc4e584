//! The ES modules a CommonJS file becomes: its [`body`], which runs its
//! code once, on first need, and the [`facade`] that imports see.

use std::collections::BTreeSet;
use std::path::Path;

use deno_ast::ModuleSpecifier;

/// The export that runs a CommonJS module and returns its `module.exports`.
const RUN: &str = "__isola_cjs";

/// The query that names a CommonJS file's code rather than the module
/// that imports see (see [`body`]).
pub const BODY_QUERY: &str = "commonjs-body";

/// What a required module is, which says what `require` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Its `module.exports` (`url` is its [`body`]).
    CommonJs,
    /// Its value.
    Json,
    /// Its exports, with `__esModule: true`.
    EsModule,
    /// A Node.js built-in: what its default export is (Node's
    /// `module.exports`).
    Builtin,
}

/// A module a CommonJS file requires, as found.
pub enum Required {
    /// A module of `kind` at `url`.
    Found { url: ModuleSpecifier, kind: Kind },
    /// Left out by its package's `browser` field: an empty object.
    Empty,
    /// Not found: `require` throws this.
    Missing(String),
}

/// The module that holds a CommonJS file's code, at its URL with
/// [`BODY_QUERY`]: it exports the function that runs the code once (on
/// first `require` or import) and returns `module.exports`, and nothing of
/// it runs until then. `required` has what each name it requires is;
/// `filename` is its `__filename`.
pub fn body(text: &str, required: &[(String, Required)], filename: &str) -> String {
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let dirname = Path::new(filename)
        .parent()
        .map_or("/".into(), |p| p.to_string_lossy().into_owned());
    // First line: everything before the code, so its lines keep their numbers.
    let mut out = String::with_capacity(text.len() + 1024);
    let mut cases = String::new();
    for (i, (name, found)) in required.iter().enumerate() {
        match found {
            Required::Found { url, kind } => {
                out.push_str(&format!(
                    "import * as __isola_r{i} from {};",
                    quote(url.as_str())
                ));
                let load = match kind {
                    Kind::CommonJs => format!("__isola_r{i}.{RUN}()"),
                    Kind::Json | Kind::Builtin => format!("__isola_r{i}.default"),
                    Kind::EsModule => format!("__isola_esm(__isola_r{i})"),
                };
                cases.push_str(&format!("case {}: return {load};", quote(name)));
            }
            Required::Empty => {
                cases.push_str(&format!("case {}: return {{}};", quote(name)));
            }
            Required::Missing(error) => cases.push_str(&format!(
                "case {}: throw new Error({});",
                quote(name),
                quote(error)
            )),
        }
    }
    out.push_str(&format!(
        "var __isola_module; export function {RUN}() {{ if (__isola_module === undefined) {{ \
         __isola_module = {{ exports: {{}}, loaded: false, id: {file}, filename: {file} }}; \
         (function (exports, require, module, __filename, __dirname) {{",
        file = quote(filename),
    ));
    match text.strip_prefix("#!") {
        // A hashbang line is not JavaScript inside a function: comment it.
        Some(rest) => {
            out.push_str("//");
            out.push_str(rest);
        }
        None => out.push_str(text),
    }
    out.push_str(&format!(
        "\n}}).call(__isola_module.exports, __isola_module.exports, __isola_require, \
         __isola_module, {file}, {dir}); __isola_module.loaded = true; }} \
         return __isola_module.exports; }}\n\
         function __isola_require(name) {{ switch (name) {{ {cases} }} \
         throw new Error(`Dynamic require of \"${{name}}\" is not supported`); }}\n\
         function __isola_esm(namespace) {{ \
         const exports = {{ __esModule: true }}; \
         for (const key of Object.keys(namespace)) \
         Object.defineProperty(exports, key, {{ get: () => namespace[key], enumerable: true }}); \
         return exports; }}\n",
        file = quote(filename),
        dir = quote(&dirname),
    ));
    out
}

/// The ES module an `import` of a CommonJS file gets: it runs the code
/// (from `body`, the file's URL with [`BODY_QUERY`]) and exports
/// `module.exports` as its default and `names` as named exports.
pub fn facade(body: &str, names: &BTreeSet<String>) -> String {
    let mut out = format!(
        "import {{ {RUN} }} from {};\n\
         const __isola_exports = {RUN}();\n\
         export default (__isola_exports != null && __isola_exports.__esModule \
         ? __isola_exports.default : __isola_exports);\n",
        serde_json::Value::from(body)
    );
    let named: Vec<String> = names
        .iter()
        .filter(|name| is_export_name(name))
        .map(|name| format!("{name} = __isola_exports?.{name}"))
        .collect();
    if !named.is_empty() {
        out.push_str(&format!("export const {};\n", named.join(", ")));
    }
    out
}

/// Whether `name` can be a named export of the wrapper: an identifier
/// that is not a reserved word, `default`, `__esModule` or ours.
fn is_export_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "arguments",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "eval",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "__esModule",
    ];
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
        && !name.starts_with("__isola_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_keeps_lines_and_the_facade_exports_valid_names_only() {
        let required = [(
            "./a".to_string(),
            Required::Found {
                url: ModuleSpecifier::parse("file:///w/a.js").unwrap(),
                kind: Kind::EsModule,
            },
        )];
        let code = body(
            "exports.ok = 1;\nthrow new Error('line 2');",
            &required,
            "/x/i.js",
        );
        assert_eq!(code.lines().nth(1), Some("throw new Error('line 2');"));
        assert!(code.starts_with("import * as __isola_r0 from \"file:///w/a.js\";"));
        assert!(
            code.contains("case \"./a\": return __isola_esm(__isola_r0);"),
            "{code}"
        );
        assert!(code.contains("\"/x\""), "__dirname: {code}");

        let names: BTreeSet<String> = ["ok", "default", "class", "not-valid", "__esModule"]
            .map(String::from)
            .into();
        let imported = facade("file:///x/i.js?commonjs-body", &names);
        assert!(
            imported.contains("export const ok = __isola_exports?.ok;\n"),
            "{imported}"
        );
        assert!(!imported.contains("class"));
    }
}
