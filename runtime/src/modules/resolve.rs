//! Finding the module an `import` names, as wrangler's bundler would:
//! relative paths against the importing file (`./util` may mean `util.ts`,
//! `util.tsx` or `util/index.js`, and `./util.js` may mean `util.ts`, as TypeScript
//! projects write it), and bare names (`hono`, `hono/cors`) in
//! `node_modules`, by each package's `exports` (with the `workerd`,
//! `worker` and `browser` conditions first), `module` or `main`, with the
//! files its `browser` field replaces replaced.

use deno_ast::ModuleSpecifier;
use oxc_resolver::{ResolveOptions, Resolver as PackageResolver};

/// Resolves a Worker's import specifiers, and the names its CommonJS
/// modules `require`.
pub struct Resolver {
    imports: PackageResolver,
    requires: PackageResolver,
}

impl Default for Resolver {
    fn default() -> Self {
        Self {
            imports: packages(
                &[
                    "workerd", "worker", "browser", "import", "module", "default",
                ],
                &["module", "main"],
            ),
            requires: packages(
                &["workerd", "worker", "browser", "require", "default"],
                &["main", "module"],
            ),
        }
    }
}

/// A package resolver with these `exports` conditions and `package.json`
/// fields, in order of preference.
fn packages(conditions: &[&str], main_fields: &[&str]) -> PackageResolver {
    PackageResolver::new(ResolveOptions {
        condition_names: conditions.iter().map(|c| c.to_string()).collect(),
        main_fields: main_fields.iter().map(|f| f.to_string()).collect(),
        // A package's `browser` field replaces its Node-only files.
        alias_fields: vec![vec!["browser".into()]],
        // esbuild's order: TypeScript before JavaScript.
        extensions: [
            ".tsx", ".ts", ".jsx", ".js", ".mts", ".mjs", ".cts", ".cjs", ".json",
        ]
        .iter()
        .map(|e| e.to_string())
        .collect(),
        extension_alias: vec![
            (
                ".js".into(),
                vec![".js".into(), ".ts".into(), ".tsx".into()],
            ),
            (".jsx".into(), vec![".jsx".into(), ".tsx".into()]),
            (".mjs".into(), vec![".mjs".into(), ".mts".into()]),
            (".cjs".into(), vec![".cjs".into(), ".cts".into()]),
        ],
        ..ResolveOptions::default()
    })
}

/// The file that imports or requires, as the resolver reads it: its URL on
/// the host (`file`), and as errors show it (`shown`).
pub struct Referrer<'a> {
    pub file: &'a ModuleSpecifier,
    pub shown: &'a str,
}

impl Resolver {
    /// The file `specifier` names when imported from `referrer`.
    pub fn resolve(
        &self,
        specifier: &str,
        referrer: &Referrer<'_>,
    ) -> Result<ModuleSpecifier, String> {
        resolve_with(&self.imports, specifier, referrer)?.ok_or_else(|| {
            format!(
                "Cannot import \"{specifier}\" from {}: its package's \"browser\" field \
                 leaves it out",
                referrer.shown
            )
        })
    }

    /// The file `require(specifier)` in `referrer` names; `None` when a
    /// package's `browser` field maps it to nothing (an empty module).
    pub fn resolve_require(
        &self,
        specifier: &str,
        referrer: &Referrer<'_>,
    ) -> Result<Option<ModuleSpecifier>, String> {
        resolve_with(&self.requires, specifier, referrer)
    }
}

fn resolve_with(
    packages: &PackageResolver,
    specifier: &str,
    Referrer { file, shown }: &Referrer<'_>,
) -> Result<Option<ModuleSpecifier>, String> {
    let referrer = shown;
    if specifier.starts_with("cloudflare:") {
        return Err(format!(
            "Cannot import \"{specifier}\" from {referrer}: this runtime does not provide it \
             (of the cloudflare: modules, \"{}\", \"{}\" and, with Node.js compatibility, \
             \"cloudflare:node\" are)",
            super::CLOUDFLARE_WORKERS,
            super::CLOUDFLARE_SOCKETS
        ));
    }
    let relative =
        specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/');
    if relative {
        let joined = file
            .join(specifier)
            .map_err(|e| format!("Cannot resolve {specifier:?} from {referrer}: {e}"))?;
        if joined.to_file_path().is_ok_and(|path| path.is_file()) {
            return Ok(Some(joined));
        }
    }
    let dir = file
        .to_file_path()
        .ok()
        .and_then(|path| path.parent().map(|p| p.to_path_buf()))
        .ok_or_else(|| format!("Cannot resolve {specifier:?} from {referrer}"))?;
    let resolution = match packages.resolve(&dir, specifier) {
        Err(oxc_resolver::ResolveError::Ignored(_)) => return Ok(None),
        resolved => resolved,
    };
    let resolution = resolution.map_err(|e| {
        format!(
            "Cannot resolve \"{specifier}\" from {referrer}: {e}{}",
            if relative {
                ""
            } else {
                " (is the package installed in node_modules?)"
            }
        )
    })?;
    ModuleSpecifier::from_file_path(resolution.full_path())
        .map(Some)
        .map_err(|()| format!("Cannot resolve {specifier:?}: not a file path"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn bare_imports_follow_package_exports_and_conditions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(&root, "src/index.ts", "");
        write(
            &root,
            "node_modules/router/package.json",
            r#"{"name": "router", "exports": {
                ".": {"workerd": "./dist/workerd.js", "node": "./dist/node.js", "default": "./dist/index.js"},
                "./middleware": {"import": "./dist/mw.mjs", "require": "./dist/mw.cjs"}
            }}"#,
        );
        write(&root, "node_modules/router/dist/workerd.js", "");
        write(&root, "node_modules/router/dist/mw.mjs", "");
        write(
            &root,
            "node_modules/old/package.json",
            r#"{"name": "old", "module": "esm.js", "main": "cjs.js"}"#,
        );
        write(&root, "node_modules/old/esm.js", "");
        write(&root, "src/util.ts", "");
        write(&root, "src/lib/index.js", "");

        let resolver = Resolver::default();
        let file = ModuleSpecifier::from_file_path(root.join("src/index.ts")).unwrap();
        let referrer = Referrer {
            file: &file,
            shown: "file:///src/index.ts",
        };
        let resolve = |s: &str| {
            resolver
                .resolve(s, &referrer)
                .unwrap()
                .to_file_path()
                .unwrap()
        };
        assert_eq!(
            resolve("router"),
            root.join("node_modules/router/dist/workerd.js")
        );
        assert_eq!(
            resolve("router/middleware"),
            root.join("node_modules/router/dist/mw.mjs")
        );
        assert_eq!(resolve("old"), root.join("node_modules/old/esm.js"));
        assert_eq!(resolve("./util.ts"), root.join("src/util.ts"));
        assert_eq!(resolve("./util"), root.join("src/util.ts"));
        assert_eq!(resolve("./util.js"), root.join("src/util.ts"));
        assert_eq!(resolve("./lib"), root.join("src/lib/index.js"));
        let gone = resolver.resolve("./gone", &referrer).unwrap_err();
        assert!(gone.contains("Cannot resolve \"./gone\""), "{gone}");
        assert!(gone.contains("from file:///src/index.ts"), "{gone}");
        assert!(
            !gone.contains(root.to_str().unwrap()),
            "a host path: {gone}"
        );

        let missing = resolver.resolve("nope", &referrer).unwrap_err();
        assert!(missing.contains("is the package installed"), "{missing}");
    }
}
