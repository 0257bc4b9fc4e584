//! CommonJS modules, run as ES modules the way wrangler's bundler
//! (esbuild) runs them: npm is full of packages written with `require` and
//! `module.exports`.
//!
//! A file is CommonJS when it is `.cjs`/`.cts`, a `CommonJS` module rule
//! says so, or it has no ES module syntax and refers to `module`,
//! `exports` or `require`. It becomes an ES module that:
//! - imports, up front, every module it `require`s by a literal name
//!   (found with the `require` conditions), so `require` stays synchronous;
//! - runs the file's code once, on first need, in a function given
//!   `exports`, `require`, `module`, `__filename` and `__dirname`; that
//!   function is exported and hoisted, so modules that require each other
//!   see each other's partial exports, as in Node;
//! - exports `module.exports` as its default (its `default` when it sets
//!   `__esModule`, as esbuild does), and as named exports the names
//!   `deno_ast`'s cjs-module-lexer analysis finds, following re-exports.
//!
//! `require` of JSON gives the value, of an ES module an object with its
//! exports and `__esModule: true` (esbuild's `__toCommonJS`); a name that
//! is not a literal throws esbuild's "Dynamic require" error. The code
//! stays on its own lines, so stack frames point at the file as written.

use std::collections::BTreeSet;
use std::path::Path;

use deno_ast::swc::ast::{CallExpr, Callee, Expr, Ident, Lit};
use deno_ast::swc::ecma_visit::{Visit, VisitWith};
use deno_ast::{MediaType, ModuleSpecifier, ParseParams, ProgramRef};

/// The export that runs a CommonJS module and returns its `module.exports`.
const RUN: &str = "__isola_cjs";

/// What a CommonJS file exports and requires.
pub struct Analysis {
    exports: Vec<String>,
    reexports: Vec<String>,
    requires: BTreeSet<String>,
}

/// A module a CommonJS file requires, as found.
pub enum Required {
    /// An ES or CommonJS module, or JSON (`json`).
    Found { url: ModuleSpecifier, json: bool },
    /// Left out by its package's `browser` field: an empty object.
    Empty,
    /// Not found: `require` throws this.
    Missing(String),
}

/// Whether `text` is CommonJS (always when `forced`), and if so what it
/// exports and requires.
pub fn analyze(
    specifier: &ModuleSpecifier,
    media_type: MediaType,
    text: &str,
    forced: bool,
) -> Result<Option<Analysis>, String> {
    if !forced && (looks_like_esm(text) || !mentions_commonjs(text)) {
        return Ok(None);
    }
    let parsed = deno_ast::parse_program(ParseParams {
        specifier: specifier.clone(),
        text: text.into(),
        media_type,
        capture_tokens: false,
        scope_analysis: false,
        maybe_syntax: None,
    })
    .map_err(|diagnostic| diagnostic.to_string())?;
    if !forced && !parsed.compute_is_script() {
        return Ok(None);
    }
    let mut uses = Uses::default();
    match parsed.program_ref() {
        ProgramRef::Module(module) => module.visit_with(&mut uses),
        ProgramRef::Script(script) => script.visit_with(&mut uses),
    }
    if !forced && !uses.commonjs {
        return Ok(None);
    }
    let found = parsed.analyze_cjs();
    Ok(Some(Analysis {
        exports: found.exports,
        reexports: found.reexports,
        requires: uses.requires,
    }))
}

/// A cheap look before parsing: a line that starts with `import` or
/// `export` is taken for ES module syntax.
fn looks_like_esm(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        [
            "import ", "import{", "import*", "export ", "export{", "export*",
        ]
        .iter()
        .any(|start| line.starts_with(start))
    })
}

fn mentions_commonjs(text: &str) -> bool {
    text.contains("require") || text.contains("exports") || text.contains("module")
}

/// What a script refers to of CommonJS: `require("literal")` calls, and
/// whether it names `module`, `exports` or `require` at all.
#[derive(Default)]
struct Uses {
    requires: BTreeSet<String>,
    commonjs: bool,
}

impl Visit for Uses {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee
            && let Expr::Ident(name) = &**callee
            && name.sym == "require"
            && let [argument] = call.args.as_slice()
            && argument.spread.is_none()
            && let Expr::Lit(Lit::Str(literal)) = &*argument.expr
            && let Some(name) = literal.value.as_str()
        {
            self.requires.insert(name.to_string());
        }
        call.visit_children_with(self);
    }

    fn visit_ident(&mut self, ident: &Ident) {
        if matches!(&*ident.sym, "module" | "exports" | "require") {
            self.commonjs = true;
        }
    }
}

impl Analysis {
    /// The modules named by its re-exports (`module.exports =
    /// require("./impl")`), whose names it exports too.
    pub fn reexports(&self) -> &[String] {
        &self.reexports
    }

    /// The modules it requires by a literal name.
    pub fn requires(&self) -> impl Iterator<Item = &str> {
        self.requires.iter().map(String::as_str)
    }

    /// Its own export names and those it re-exports (`reexported`).
    pub fn names(&self, reexported: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        self.exports.iter().cloned().chain(reexported).collect()
    }
}

/// The ES module that runs the CommonJS `text` at `path`: `required` has
/// what each name it requires is; `names` are its named exports;
/// `filename` is its `__filename`.
pub fn wrap(
    text: &str,
    required: &[(String, Required)],
    names: &BTreeSet<String>,
    filename: &str,
) -> String {
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let dirname = Path::new(filename)
        .parent()
        .map_or("/".into(), |p| p.to_string_lossy().into_owned());
    // First line: everything before the code, so its lines keep their numbers.
    let mut out = String::with_capacity(text.len() + 1024);
    let mut cases = String::new();
    for (i, (name, found)) in required.iter().enumerate() {
        match found {
            Required::Found { url, json } => {
                out.push_str(&format!(
                    "import * as __isola_r{i} from {};",
                    quote(url.as_str())
                ));
                cases.push_str(&format!(
                    "case {}: return __isola_load(__isola_r{i}, {json});",
                    quote(name)
                ));
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
         function __isola_load(namespace, json) {{ \
         if (json) return namespace.default; \
         if (typeof namespace.{RUN} === \"function\") return namespace.{RUN}(); \
         const exports = {{ __esModule: true }}; \
         for (const key of Object.keys(namespace)) \
         Object.defineProperty(exports, key, {{ get: () => namespace[key], enumerable: true }}); \
         return exports; }}\n\
         const __isola_exports = {RUN}();\n\
         export default (__isola_exports != null && __isola_exports.__esModule \
         ? __isola_exports.default : __isola_exports);\n",
        file = quote(filename),
        dir = quote(&dirname),
    ));
    let named: Vec<&String> = names.iter().filter(|name| is_export_name(name)).collect();
    if !named.is_empty() {
        let list: Vec<String> = named
            .iter()
            .map(|name| format!("{name} = __isola_exports?.{name}"))
            .collect();
        out.push_str(&format!("export const {};\n", list.join(", ")));
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

    fn analyzed(text: &str) -> Option<Analysis> {
        let specifier = ModuleSpecifier::parse("file:///w/node_modules/x/index.js").unwrap();
        analyze(&specifier, MediaType::JavaScript, text, false).unwrap()
    }

    #[test]
    fn commonjs_is_told_from_es_modules_and_plain_scripts() {
        let cjs = analyzed(
            "const a = require('./a');\nconst b = require(\"b/c\");\nrequire(name);\n\
             exports.one = 1;\nmodule.exports.two = 2;\n",
        )
        .unwrap();
        assert_eq!(cjs.requires().collect::<Vec<_>>(), ["./a", "b/c"]);
        assert_eq!(cjs.names([]), ["one", "two"].map(String::from).into());

        let reexport = analyzed("module.exports = require('./impl.js');\n").unwrap();
        assert_eq!(reexport.reexports(), ["./impl.js"]);

        assert!(analyzed("export const a = require;\n").is_none());
        assert!(analyzed("const x = 1;\nglobalThis.x = x;\n").is_none());
        assert!(analyzed("// the module pattern, in a comment only\nlet y = 2;\n").is_none());
    }

    #[test]
    fn the_wrapper_keeps_lines_and_exports_valid_names_only() {
        let names: BTreeSet<String> = ["ok", "default", "class", "not-valid", "__esModule"]
            .map(String::from)
            .into();
        let required = [(
            "./a".to_string(),
            Required::Found {
                url: ModuleSpecifier::parse("file:///w/a.js").unwrap(),
                json: false,
            },
        )];
        let out = wrap(
            "exports.ok = 1;\nthrow new Error('line 2');",
            &required,
            &names,
            "/x/i.js",
        );
        assert_eq!(out.lines().nth(1), Some("throw new Error('line 2');"));
        assert!(out.starts_with("import * as __isola_r0 from \"file:///w/a.js\";"));
        assert!(
            out.contains("export const ok = __isola_exports?.ok;\n"),
            "{out}"
        );
        assert!(!out.contains("export const class"));
        assert!(out.contains("\"/x\""), "__dirname: {out}");
    }
}
