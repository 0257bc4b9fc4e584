//! Module rules, as wrangler applies them: which imported files are text,
//! data or compiled Wasm rather than JavaScript.
//!
//! A Worker's `[[rules]]` come first, then wrangler's defaults (`*.txt`,
//! `*.html`, `*.sql` as Text, `*.bin` as Data, `*.wasm` as CompiledWasm),
//! except that a rule without `fallthrough = true` replaces the default for
//! its type. Globs (matched with `globset`) apply to paths relative to the
//! entry module's directory. The files a service-worker script binds
//! (`[wasm_modules]`, `[text_blobs]`, `[data_blobs]`) are what their table
//! says, whatever their name.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::{Blob, ModuleRule, RuleKind};

/// The rules of one Worker, compiled.
pub struct ModuleRules {
    base: PathBuf,
    blobs: Vec<(PathBuf, RuleKind)>,
    rules: Vec<(RuleKind, GlobSet)>,
}

/// wrangler's default rules.
const DEFAULTS: &[(RuleKind, &[&str])] = &[
    (RuleKind::Text, &["**/*.txt", "**/*.html", "**/*.sql"]),
    (RuleKind::Data, &["**/*.bin"]),
    (RuleKind::CompiledWasm, &["**/*.wasm", "**/*.wasm?module"]),
];

impl ModuleRules {
    /// The rules for a Worker whose entry module is in `base`; an error
    /// names the bad glob.
    pub fn new(base: &Path, configured: &[ModuleRule], blobs: &[Blob]) -> Result<Self, String> {
        let mut rules = Vec::new();
        let mut replaced = Vec::new();
        for rule in configured {
            rules.push((rule.kind, glob_set(&rule.globs)?));
            if !rule.fallthrough {
                replaced.push(rule.kind);
            }
        }
        for (kind, globs) in DEFAULTS {
            if !replaced.contains(kind) {
                let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
                rules.push((*kind, glob_set(&globs)?));
            }
        }
        Ok(Self {
            base: base.to_path_buf(),
            blobs: blobs.iter().map(|b| (b.path.clone(), b.kind)).collect(),
            rules,
        })
    }

    /// What an import of `path` is, when a rule says (else JavaScript by
    /// its extension).
    pub fn kind_of(&self, path: &Path) -> Option<RuleKind> {
        if let Some((_, kind)) = self.blobs.iter().find(|(blob, _)| blob == path) {
            return Some(*kind);
        }
        let relative = path.strip_prefix(&self.base).unwrap_or(path);
        self.rules
            .iter()
            .find(|(_, globs)| globs.is_match(relative))
            .map(|(kind, _)| *kind)
    }
}

impl Default for ModuleRules {
    fn default() -> Self {
        Self::new(Path::new("/"), &[], &[]).expect("the default globs are valid")
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        set.add(Glob::new(glob).map_err(|e| format!("`rules`: bad glob {glob:?}: {e}"))?);
    }
    set.build().map_err(|e| format!("`rules`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_configured_rules() {
        let base = Path::new("/p/src");
        let blob = Blob {
            name: "SCHEMA".into(),
            kind: RuleKind::Text,
            path: base.join("schema.graphql"),
        };
        let rules = ModuleRules::new(base, &[], &[blob]).unwrap();
        assert_eq!(
            rules.kind_of(&base.join("schema.graphql")),
            Some(RuleKind::Text)
        );
        assert_eq!(rules.kind_of(&base.join("page.html")), Some(RuleKind::Text));
        assert_eq!(
            rules.kind_of(&base.join("a/b/x.wasm")),
            Some(RuleKind::CompiledWasm)
        );
        assert_eq!(rules.kind_of(&base.join("blob.bin")), Some(RuleKind::Data));
        assert_eq!(
            rules.kind_of(Path::new("/p/node_modules/pkg/x.wasm")),
            Some(RuleKind::CompiledWasm)
        );
        assert_eq!(rules.kind_of(&base.join("index.js")), None);

        let configured = [
            ModuleRule {
                kind: RuleKind::Text,
                globs: vec!["**/*.md".into()],
                fallthrough: false,
            },
            ModuleRule {
                kind: RuleKind::Data,
                globs: vec!["assets/*.png".into()],
                fallthrough: true,
            },
        ];
        let rules = ModuleRules::new(base, &configured, &[]).unwrap();
        assert_eq!(rules.kind_of(&base.join("README.md")), Some(RuleKind::Text));
        assert_eq!(
            rules.kind_of(&base.join("page.html")),
            None,
            "a Text rule without fallthrough replaces the default Text rule"
        );
        assert_eq!(
            rules.kind_of(&base.join("assets/logo.png")),
            Some(RuleKind::Data)
        );
        assert_eq!(rules.kind_of(&base.join("blob.bin")), Some(RuleKind::Data));

        let bad = ModuleRules::new(
            base,
            &[ModuleRule {
                kind: RuleKind::Text,
                globs: vec!["a/**b/[".into()],
                fallthrough: false,
            }],
            &[],
        );
        assert!(bad.err().unwrap().contains("bad glob"));
    }
}
