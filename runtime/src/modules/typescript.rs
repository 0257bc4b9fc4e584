//! TypeScript to JavaScript, without a build step.
//!
//! Type annotations are stripped where they stand (replaced by spaces, by
//! `deno_ast`'s type stripper), so every line and column of the output is
//! the same as in the `.ts` file and errors point at the TypeScript as
//! written. Files that need more than stripping (enums, namespaces,
//! parameter properties) are transpiled instead, with a source map kept to
//! map stack frames back (see [`super::ModuleSources::map_stack`]).

use deno_ast::{
    EmitOptions, MediaType, ModuleSpecifier, ParseParams, SourceMapOption, TranspileModuleOptions,
    TranspileOptions,
};

/// JavaScript for a TypeScript module, and its source map when positions
/// moved.
pub struct Stripped {
    pub code: String,
    pub source_map: Option<String>,
}

/// Turns TypeScript source into JavaScript.
pub fn to_javascript(
    specifier: &ModuleSpecifier,
    media_type: MediaType,
    text: &str,
) -> Result<Stripped, String> {
    if media_type == MediaType::TypeScript || media_type == MediaType::Mts {
        let stripped = deno_ast::type_strip(
            specifier,
            text.to_string(),
            deno_ast::TypeStripOptions { module: Some(true) },
        );
        if let Ok(code) = stripped {
            return Ok(Stripped {
                code,
                source_map: None,
            });
        }
    }
    let parsed = deno_ast::parse_module(ParseParams {
        specifier: specifier.clone(),
        text: text.into(),
        media_type,
        capture_tokens: false,
        scope_analysis: false,
        maybe_syntax: None,
    })
    .map_err(|diagnostic| diagnostic.to_string())?;
    let emitted = parsed
        .transpile(
            &TranspileOptions::default(),
            &TranspileModuleOptions::default(),
            &EmitOptions {
                source_map: SourceMapOption::Separate,
                inline_sources: false,
                ..Default::default()
            },
        )
        .map_err(|e| format!("{specifier}: {e}"))?
        .into_source();
    Ok(Stripped {
        code: emitted.text,
        source_map: emitted.source_map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Stripped {
        let specifier = ModuleSpecifier::parse("file:///w/index.ts").unwrap();
        to_javascript(&specifier, MediaType::TypeScript, text).unwrap()
    }

    #[test]
    fn stripping_keeps_every_position() {
        let source = "interface Env { A: string }\nexport function f(x: number): string {\n  return String(x as number);\n}\n";
        let out = convert(source);
        assert!(out.source_map.is_none());
        assert_eq!(out.code.lines().count(), source.lines().count());
        let line = out.code.lines().nth(2).unwrap();
        assert_eq!(
            line.find("return"),
            source.lines().nth(2).unwrap().find("return")
        );
        assert!(!out.code.contains("interface"));
        assert!(!out.code.contains(": number"));
    }

    #[test]
    fn enums_are_transpiled_with_a_source_map() {
        let out = convert("enum Color { Red, Green }\nexport const c: Color = Color.Green;\n");
        assert!(out.source_map.is_some());
        assert!(out.code.contains("Color"));
        assert!(!out.code.contains("enum "));
    }
}
