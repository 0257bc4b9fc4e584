//! `.wrangler/deploy/config.json`: a build tool's pointer to the config it
//! generated. The Cloudflare Vite plugin writes one when it builds a
//! project (`dist/<worker>/wrangler.json`, beside the bundled Worker and
//! its assets); from then on the project's directory means that config, to
//! `wrangler dev` and `wrangler deploy` as here.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// Where the pointer file lies in a project.
const POINTER: &str = ".wrangler/deploy/config.json";

/// The config the nearest pointer at or above `dir` names, if there is
/// one; `user` is the config found in `dir` itself, which must then lie
/// beside the pointer's `.wrangler` (else which one is meant is unclear).
pub fn redirected(dir: &Path, user: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    let Some(pointer) = dir
        .ancestors()
        .map(|dir| dir.join(POINTER))
        .find(|path| path.is_file())
    else {
        return Ok(None);
    };
    let text = super::wrangler::read(&pointer)?;
    let value = jsonc_parser::parse_to_serde_value(&text, &Default::default())
        .map_err(|e| ConfigError::new(&pointer, e))?;
    let target = value
        .as_ref()
        .and_then(|v| v.get("configPath"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            ConfigError::new(
                &pointer,
                "`configPath` is missing: it names the config to use",
            )
        })?;
    let base = pointer.parent().unwrap_or(Path::new("/"));
    let target = base
        .join(target)
        .canonicalize()
        .map_err(|e| ConfigError::new(&pointer, format!("`configPath` names {target}: {e}")))?;
    if let Some(user) = user {
        let beside = user.parent().is_some_and(|d| d.join(POINTER) == pointer);
        if !beside {
            return Err(ConfigError::new(
                &pointer,
                format!(
                    "this points to another config than {}, which does not lie beside it: \
                     it is not clear which to use",
                    user.display()
                ),
            ));
        }
    }
    Ok(Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_names_the_generated_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(redirected(root, None).unwrap(), None);
        std::fs::create_dir_all(root.join(".wrangler/deploy")).unwrap();
        std::fs::create_dir_all(root.join("dist/app")).unwrap();
        std::fs::write(root.join("dist/app/wrangler.json"), "{}").unwrap();
        std::fs::write(root.join("wrangler.jsonc"), "{}").unwrap();
        std::fs::write(
            root.join(POINTER),
            r#"{"configPath":"../../dist/app/wrangler.json","auxiliaryWorkers":[]}"#,
        )
        .unwrap();
        let found = redirected(root, Some(&root.join("wrangler.jsonc"))).unwrap();
        let generated = root.join("dist/app/wrangler.json").canonicalize().unwrap();
        assert_eq!(found, Some(generated));

        std::fs::write(root.join(POINTER), r#"{"configPath":"gone.json"}"#).unwrap();
        let err = redirected(root, None).unwrap_err().to_string();
        assert!(
            err.contains("gone.json") && err.contains("config.json"),
            "{err}"
        );
    }
}
