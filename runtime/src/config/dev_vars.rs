//! Secrets for local development, read from the files wrangler reads them
//! from, beside the Worker's config:
//!
//! - `.dev.vars.<env>` when `--env` is given and it exists, else `.dev.vars`;
//! - when neither exists, the `.env` files: `.env`, `.env.local`,
//!   `.env.<env>`, `.env.<env>.local`, each overriding the ones before
//!   (unless `CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false`).
//!
//! The files use dotenv syntax, parsed by `dotenvy`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ConfigError;

/// The development secrets in `dir` for environment `env`.
pub fn read(dir: &Path, env: Option<&str>) -> Result<BTreeMap<String, String>, ConfigError> {
    let dev_vars = env
        .map(|env| dir.join(format!(".dev.vars.{env}")))
        .filter(|path| path.is_file())
        .or_else(|| Some(dir.join(".dev.vars")).filter(|path| path.is_file()));
    let files: Vec<PathBuf> = match dev_vars {
        Some(path) => vec![path],
        None if std::env::var("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV").as_deref()
            == Ok("false") =>
        {
            Vec::new()
        }
        None => {
            let mut names = vec![".env".to_string(), ".env.local".to_string()];
            if let Some(env) = env {
                names.extend([format!(".env.{env}"), format!(".env.{env}.local")]);
            }
            names
                .into_iter()
                .map(|name| dir.join(name))
                .filter(|path| path.is_file())
                .collect()
        }
    };
    let mut secrets = BTreeMap::new();
    for path in files {
        let entries = dotenvy::from_path_iter(&path).map_err(|e| ConfigError::new(&path, e))?;
        for entry in entries {
            let (name, value) = entry.map_err(|e| ConfigError::new(&path, e))?;
            secrets.insert(name, value);
        }
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn dev_vars_win_over_dot_env() {
        let dir = dir_with(&[
            (
                ".dev.vars",
                "API_KEY=from-dev-vars\n# a comment\nQUOTED=\"a b\"\n",
            ),
            (".env", "API_KEY=from-dot-env\n"),
        ]);
        let secrets = read(dir.path(), None).unwrap();
        assert_eq!(secrets["API_KEY"], "from-dev-vars");
        assert_eq!(secrets["QUOTED"], "a b");
        assert_eq!(secrets.len(), 2);
    }

    #[test]
    fn an_environment_has_its_own_files() {
        let dir = dir_with(&[
            (".dev.vars", "API_KEY=default\n"),
            (".dev.vars.staging", "API_KEY=staging\n"),
        ]);
        assert_eq!(
            read(dir.path(), Some("staging")).unwrap()["API_KEY"],
            "staging"
        );
        assert_eq!(
            read(dir.path(), Some("other")).unwrap()["API_KEY"],
            "default"
        );

        let dir = dir_with(&[
            (".env", "A=env\nB=env\nC=env\n"),
            (".env.local", "B=local\n"),
            (".env.staging", "C=staging\n"),
        ]);
        let secrets = read(dir.path(), Some("staging")).unwrap();
        assert_eq!(
            (&*secrets["A"], &*secrets["B"], &*secrets["C"]),
            ("env", "local", "staging")
        );
    }

    #[test]
    fn a_bad_line_names_the_file() {
        let dir = dir_with(&[(".dev.vars", "GOOD=1\nnot a pair\n")]);
        let err = read(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains(".dev.vars"), "{err}");
    }
}
