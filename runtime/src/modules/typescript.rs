//! TypeScript and JSX to JavaScript, without a build step, as wrangler's
//! bundler (esbuild) compiles them.
//!
//! Imports used only as types are dropped (`verbatimModuleSyntax: false`,
//! TypeScript's and esbuild's default), so `import { Env } from "./types"`
//! works when `Env` is an interface. JSX compiles as the nearest
//! `tsconfig.json` (or `jsconfig.json`) says: `jsx` (`react`, `react-jsx`,
//! `react-jsxdev`, `preserve`), `jsxFactory`, `jsxFragmentFactory` and
//! `jsxImportSource`, following relative `extends`. The output keeps a
//! source map, so stack frames point at the file as written (see
//! [`super::ModuleSources::map_stack`]).

use std::path::{Path, PathBuf};

use deno_ast::{
    EmitOptions, JsxAutomaticOptions, JsxClassicOptions, JsxRuntime, MediaType, ModuleSpecifier,
    SourceMapOption, TranspileModuleOptions, TranspileOptions,
};
use serde_json::Value;

/// JavaScript for a TypeScript or JSX module, and its source map.
pub struct Converted {
    pub code: String,
    pub source_map: Option<String>,
}

/// Turns TypeScript or JSX source at `path` into JavaScript.
pub fn to_javascript(
    specifier: &ModuleSpecifier,
    path: &Path,
    media_type: MediaType,
    text: &str,
) -> Result<Converted, String> {
    let jsx = match media_type {
        MediaType::Tsx | MediaType::Jsx => jsx_options(path)?,
        _ => None,
    };
    let parsed = deno_ast::parse_module(super::parse_params(specifier, media_type, text.into()))
        .map_err(|diagnostic| diagnostic.to_string())?;
    let emitted = parsed
        .transpile(
            &TranspileOptions {
                jsx,
                ..TranspileOptions::default()
            },
            &TranspileModuleOptions::default(),
            &EmitOptions {
                source_map: SourceMapOption::Separate,
                inline_sources: false,
                ..Default::default()
            },
        )
        .map_err(|e| format!("{specifier}: {e}"))?
        .into_source();
    Ok(Converted {
        code: emitted.text,
        source_map: emitted.source_map,
    })
}

/// How JSX in the file at `path` compiles, from the nearest tsconfig;
/// `None` leaves it as it is (`"jsx": "preserve"`).
fn jsx_options(path: &Path) -> Result<Option<JsxRuntime>, String> {
    let options = match nearest_tsconfig(path) {
        Some(config) => compiler_options(&config, 0)?,
        None => serde_json::Map::new(),
    };
    let text = |name: &str| {
        options
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let automatic = |development| {
        Some(JsxRuntime::Automatic(JsxAutomaticOptions {
            development,
            import_source: Some(text("jsxImportSource").unwrap_or_else(|| "react".into())),
        }))
    };
    Ok(
        match text("jsx").map(|j| j.to_ascii_lowercase()).as_deref() {
            Some("preserve" | "react-native") => None,
            Some("react-jsx") => automatic(false),
            Some("react-jsxdev") => automatic(true),
            _ => {
                let defaults = JsxClassicOptions::default();
                Some(JsxRuntime::Classic(JsxClassicOptions {
                    factory: text("jsxFactory").unwrap_or(defaults.factory),
                    fragment_factory: text("jsxFragmentFactory")
                        .unwrap_or(defaults.fragment_factory),
                }))
            }
        },
    )
}

/// The `tsconfig.json` (or `jsconfig.json`) in the directory of `path` or
/// the nearest one above it.
fn nearest_tsconfig(path: &Path) -> Option<PathBuf> {
    path.ancestors().skip(1).find_map(|dir| {
        ["tsconfig.json", "jsconfig.json"]
            .iter()
            .map(|name| dir.join(name))
            .find(|file| file.is_file())
    })
}

/// `compilerOptions` of the tsconfig at `path`, over those of the configs
/// it `extends` by relative path (package names are not followed).
fn compiler_options(path: &Path, depth: usize) -> Result<serde_json::Map<String, Value>, String> {
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
    let config = jsonc_parser::parse_to_serde_value(&text, &Default::default())
        .map_err(|e| failed(&e))?
        .unwrap_or_default();
    let mut options = serde_json::Map::new();
    let extends = match config.get("extends") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    for base in extends.iter().filter(|b| b.starts_with('.')) {
        if depth >= 8 {
            return Err(failed(&"`extends` is nested too deeply"));
        }
        let mut base = dir.join(base);
        if base.extension().is_none() {
            base.set_extension("json");
        }
        options.extend(compiler_options(&base, depth + 1)?);
    }
    if let Some(Value::Object(own)) = config.get("compilerOptions") {
        options.extend(own.clone());
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(dir: &Path, name: &str, text: &str) -> Converted {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let specifier = ModuleSpecifier::from_file_path(&path).unwrap();
        to_javascript(&specifier, &path, MediaType::from_path(&path), text).unwrap()
    }

    #[test]
    fn imports_used_only_as_types_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = convert(
            dir.path(),
            "index.ts",
            "import { Env } from './types';\nimport { run, Options } from './run';\n\
             export default (env: Env, o: Options) => run(env);\n",
        );
        assert!(!out.code.contains("./types"), "{}", out.code);
        assert!(
            out.code.contains("import { run } from './run'"),
            "{}",
            out.code
        );
        assert!(out.source_map.is_some());
    }

    #[test]
    fn enums_compile() {
        let dir = tempfile::tempdir().unwrap();
        let out = convert(
            dir.path(),
            "index.ts",
            "enum Color { Red, Green }\nexport const c: Color = Color.Green;\n",
        );
        assert!(out.code.contains("Color"));
        assert!(!out.code.contains("enum "));
    }

    #[test]
    fn jsx_compiles_as_the_nearest_tsconfig_says() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let classic = convert(root, "a.tsx", "export const a = <p>hi</p>;\n");
        assert!(
            classic.code.contains("React.createElement"),
            "{}",
            classic.code
        );

        std::fs::write(
            root.join("base.json"),
            r#"{"compilerOptions": {"jsx": "react-jsx", "jsxImportSource": "hono/jsx"}}"#,
        )
        .unwrap();
        std::fs::write(
            root.join("tsconfig.json"),
            "{\n // comments, as tsc allows\n \"extends\": \"./base.json\",\n}",
        )
        .unwrap();
        let automatic = convert(root, "b.tsx", "export const b = <p>hi</p>;\n");
        assert!(
            automatic.code.contains("hono/jsx/jsx-runtime"),
            "{}",
            automatic.code
        );

        std::fs::write(
            root.join("tsconfig.json"),
            r#"{"compilerOptions": {"jsx": "react", "jsxFactory": "h", "jsxFragmentFactory": "Fragment"}}"#,
        )
        .unwrap();
        let factory = convert(root, "c.jsx", "export const c = <><p>hi</p></>;\n");
        assert!(factory.code.contains("h(Fragment"), "{}", factory.code);
    }
}
