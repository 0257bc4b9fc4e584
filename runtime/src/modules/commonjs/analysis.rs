//! Which files are CommonJS, and what they export and require: a file is
//! when it is forced to be (`.cjs`/`.cts`, a `CommonJS` rule) or has no ES
//! module syntax and refers to `module`, `exports` or `require`. Export
//! names come from `deno_ast`'s port of Node's cjs-module-lexer.

use std::collections::BTreeSet;

use deno_ast::swc::ast::{CallExpr, Callee, Expr, Ident, Lit};
use deno_ast::swc::ecma_visit::{Visit, VisitWith};
use deno_ast::{MediaType, ModuleSpecifier, ProgramRef};

use crate::modules::parse_params;

/// What a CommonJS file exports and requires.
pub struct Analysis {
    exports: Vec<String>,
    reexports: Vec<String>,
    requires: BTreeSet<String>,
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
    let parsed = deno_ast::parse_program(parse_params(specifier, media_type, text.into()))
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
}
