//! CommonJS modules, run as ES modules the way wrangler's bundler
//! (esbuild) runs them: npm is full of packages written with `require` and
//! `module.exports`.
//!
//! A CommonJS file (see [`analysis`]) becomes two ES modules:
//! - its body, at its URL with [`BODY_QUERY`]: it imports every module the
//!   file `require`s by a literal name (found with the `require`
//!   conditions; CommonJS ones by their body), so `require` stays
//!   synchronous, and exports a function that runs the file's code once, on
//!   first need, given `exports`, `require`, `module`, `__filename` and
//!   `__dirname`. Nothing runs when the body is imported, so CommonJS code
//!   runs in the order it is required, and modules that require each other
//!   see each other's partial exports, as in Node;
//! - its facade, at its URL, which is what an `import` gets: it runs the
//!   code and exports `module.exports` as its default (its `default` when
//!   it sets `__esModule`, as esbuild does) and the names the analysis
//!   finds, following re-exports, as named exports.
//!
//! `require` of JSON gives the value, of an ES module an object with its
//! exports and `__esModule: true` (esbuild's `__toCommonJS`); a name that
//! is not a literal throws esbuild's "Dynamic require" error. The code
//! stays on its own lines, so stack frames point at the file as written.

mod analysis;
mod wrapper;

use std::path::Path;
use std::sync::Arc;

use deno_ast::{MediaType, ModuleSpecifier};

pub use analysis::Analysis;
pub use wrapper::BODY_QUERY;
use wrapper::{Kind, Required};

use super::{Content, ModuleSources};
use crate::config::RuleKind;

/// Whether a JavaScript module may be CommonJS.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CommonJs {
    Never,
    /// When its syntax says so (see [`analysis::analyze`]).
    Detect,
    Always,
}

impl CommonJs {
    /// What a file at `path` may be, by its module rule and its extension;
    /// `may_be` is false for a service-worker script.
    pub fn of(rule: Option<RuleKind>, path: &Path, may_be: bool) -> Self {
        match (rule, MediaType::from_path(path)) {
            (Some(RuleKind::CommonJS), _) | (_, MediaType::Cjs | MediaType::Cts) => Self::Always,
            (Some(_), _) | (_, MediaType::Mjs | MediaType::Mts) => Self::Never,
            (None, media_type) if media_type.is_typed() || !may_be => Self::Never,
            (None, _) => Self::Detect,
        }
    }
}

impl ModuleSources {
    /// `code`, the JavaScript of the file at `path`, as the module
    /// `specifier` names: unchanged unless the file is CommonJS, else its
    /// body or its facade.
    pub(super) fn commonjs(
        &self,
        specifier: &ModuleSpecifier,
        path: &Path,
        code: &str,
        mode: CommonJs,
    ) -> Result<Option<Content>, String> {
        let Some(analysis) = self.analysis(specifier, path, code, mode)? else {
            return Ok(None);
        };
        if specifier.query() == Some(BODY_QUERY) {
            let required: Vec<_> = analysis
                .requires()
                .map(|name| (name.to_string(), self.required(name, specifier)))
                .collect();
            let filename = specifier.path().to_string();
            return Ok(Some(Content::Text(
                wrapper::body(code, &required, &filename).into(),
            )));
        }
        let names = analysis.names(self.reexported_names(specifier, &analysis, 0));
        Ok(Some(Content::Text(
            wrapper::facade(body_of(specifier).as_str(), &names).into(),
        )))
    }

    /// The CommonJS analysis of the module `specifier`, the file at `path`
    /// (whose JavaScript is `code`), or None if it is not CommonJS; made
    /// once per file.
    fn analysis(
        &self,
        specifier: &ModuleSpecifier,
        path: &Path,
        code: &str,
        mode: CommonJs,
    ) -> Result<Option<Arc<Analysis>>, String> {
        if mode == CommonJs::Never {
            return Ok(None);
        }
        if let Some(found) = self.analysed(path) {
            return Ok(found);
        }
        // TypeScript (`.cts`) is read as TypeScript, compiled or not.
        let media_type = match MediaType::from_path(path) {
            typed if typed.is_typed() => typed,
            _ => MediaType::JavaScript,
        };
        let found = analysis::analyze(specifier, media_type, code, mode == CommonJs::Always)
            .map_err(|e| format!("{specifier}: {e}"))?
            .map(Arc::new);
        self.analyses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf(), found.clone());
        Ok(found)
    }

    /// The analysis of the file at `path`, if it was made already.
    fn analysed(&self, path: &Path) -> Option<Option<Arc<Analysis>>> {
        let known = self.analyses.lock().unwrap_or_else(|e| e.into_inner());
        known.get(path).cloned()
    }

    /// The analysis of the module at `url`, read from its file, if it is
    /// CommonJS and the Worker may import it.
    fn analysis_of(&self, url: &ModuleSpecifier) -> Option<Arc<Analysis>> {
        let path = self.scope.path(url).ok()?;
        self.scope.check(&path, url.as_str()).ok()?;
        let mode = CommonJs::of(self.rules.kind_of(&path), &path, true);
        if mode == CommonJs::Never {
            return None;
        }
        // Each file is read for this once, however many modules require it.
        if let Some(found) = self.analysed(&path) {
            return found;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        self.analysis(url, &path, &text, mode).ok().flatten()
    }

    /// What `require(name)` in `referrer` finds.
    fn required(&self, name: &str, referrer: &ModuleSpecifier) -> Required {
        match self.builtin(name, referrer.as_str()) {
            Ok(Some(url)) => {
                return Required::Found {
                    url,
                    kind: Kind::Builtin,
                };
            }
            Ok(None) => {}
            Err(error) => return Required::Missing(error),
        }
        match self.resolve_require(name, referrer) {
            Ok(Some(url)) if url.path().ends_with(".json") => Required::Found {
                url,
                kind: Kind::Json,
            },
            Ok(Some(url)) => match self.analysis_of(&url) {
                Some(_) => Required::Found {
                    url: body_of(&url),
                    kind: Kind::CommonJs,
                },
                None => Required::Found {
                    url,
                    kind: Kind::EsModule,
                },
            },
            Ok(None) => Required::Empty,
            Err(error) => Required::Missing(error),
        }
    }

    /// The export names of the CommonJS modules `analysis` re-exports (and
    /// of those they re-export), as far as they can be read.
    fn reexported_names(
        &self,
        referrer: &ModuleSpecifier,
        analysis: &Analysis,
        depth: usize,
    ) -> Vec<String> {
        const MAX_DEPTH: usize = 8;
        let mut names = Vec::new();
        if depth >= MAX_DEPTH {
            return names;
        }
        for name in analysis.reexports() {
            let Ok(Some(url)) = self.resolve_require(name, referrer) else {
                continue;
            };
            if let Some(inner) = self.analysis_of(&url) {
                let deeper = self.reexported_names(&url, &inner, depth + 1);
                names.extend(inner.names(deeper));
            }
        }
        names
    }
}

impl ModuleSources {
    /// The module URL `require(name)` in the module `referrer` names;
    /// `None` for an empty module (see [`super::Resolver::resolve_require`]).
    fn resolve_require(
        &self,
        name: &str,
        referrer: &ModuleSpecifier,
    ) -> Result<Option<ModuleSpecifier>, String> {
        let file = self.host_file(referrer.as_str())?;
        let shown = referrer.as_str();
        self.resolver
            .resolve_require(name, &super::Referrer { file: &file, shown })?
            .map(|found| self.module_url(&found, name))
            .transpose()
    }
}

/// The URL of the body of the CommonJS module at `url`.
fn body_of(url: &ModuleSpecifier) -> ModuleSpecifier {
    let mut body = url.clone();
    body.set_query(Some(BODY_QUERY));
    body
}
