//! Which files a Worker may import: its own project's, as a bundled
//! Worker on Cloudflare can only reach what was bundled.
//!
//! A module must be inside the Worker's folder (where its config is, or its
//! script when it has none), or inside a `node_modules` folder of that
//! folder or of one above it, where packages are installed. Inside the
//! Worker's own files, hidden files (`.dev.vars`, `.env`) and the folders
//! of state and history (`.isola/` with the state directory and the admin
//! token, `.wrangler/`, `.git/`) are not modules. Paths are compared as written, with `..` resolved: a symlink
//! the project itself holds is the project's choice.

use std::path::{Component, Path, PathBuf};

/// Folders of a project that hold state or history, not modules: isola's
/// state and admin token, wrangler's, git's. (Other hidden folders hold
/// framework builds, such as `.open-next/` and `.svelte-kit/`.)
const STATE_FOLDERS: &[&str] = &[".isola", ".wrangler", ".git"];

/// The files one Worker may import.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The Worker's folder; None lets everything through (no Worker).
    root: Option<PathBuf>,
}

impl Scope {
    /// The files of the Worker whose folder is `root` (an absolute path).
    pub fn new(root: &Path) -> Self {
        Self {
            root: Some(normalize(root)),
        }
    }

    /// How the Worker sees the path of its file at `path`: from its folder
    /// (`/src/util.js`), or from the `node_modules` folder above it that
    /// holds it (`/node_modules/pkg/index.js`), never the host's path.
    pub fn public_path(&self, path: &Path) -> String {
        let path = normalize(path);
        let inside = match &self.root {
            Some(root) => path.strip_prefix(root).ok(),
            None => None,
        };
        let relative = inside.map(Path::to_path_buf).unwrap_or_else(|| {
            let components: Vec<_> = path.components().collect();
            let from = components
                .iter()
                .position(|c| c.as_os_str() == "node_modules")
                .unwrap_or(components.len().saturating_sub(1));
            components[from..].iter().collect()
        });
        format!("/{}", relative.to_string_lossy())
    }

    /// Whether the module at `path` (an absolute path) may be imported;
    /// the error names `specifier`, never what the file holds.
    pub fn check(&self, path: &Path, specifier: &str) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let path = normalize(path);
        let refused = |why: &str| Err(format!("Cannot import {specifier}: {why}"));
        if let Ok(inside) = path.strip_prefix(root) {
            let mut components = inside.components().peekable();
            while let Some(Component::Normal(name)) = components.next() {
                if name == "node_modules" {
                    return Ok(());
                }
                let name = name.to_string_lossy();
                let is_file = components.peek().is_none();
                if (is_file && name.starts_with('.')) || STATE_FOLDERS.contains(&name.as_ref()) {
                    return refused(
                        "hidden files and the .isola, .wrangler and .git folders are not modules",
                    );
                }
            }
            return Ok(());
        }
        let in_packages = root
            .ancestors()
            .skip(1)
            .any(|dir| path.strip_prefix(dir.join("node_modules")).is_ok());
        if in_packages {
            return Ok(());
        }
        refused("it is outside the Worker's folder and its node_modules")
    }
}

/// `path` with `.` and `..` resolved, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_imports_its_own_files_and_packages_only() {
        let scope = Scope::new(Path::new("/srv/shop"));
        let check = |path: &str| scope.check(Path::new(path), path);
        assert!(check("/srv/shop/src/index.ts").is_ok());
        assert!(check("/srv/shop/node_modules/hono/dist/index.js").is_ok());
        assert!(check("/srv/node_modules/shared/index.js").is_ok());
        assert!(check("/srv/shop/node_modules/.pnpm/a@1/node_modules/a/x.js").is_ok());
        assert!(check("/srv/shop/.open-next/worker.js").is_ok());
        assert!(check("/srv/shop/.svelte-kit/cloudflare/_worker.js").is_ok());
        for outside in [
            "/srv/victim/worker.js",
            "/srv/shop/../victim/worker.js",
            "/etc/passwd",
            "/srv/shopping/worker.js",
        ] {
            let error = check(outside).unwrap_err();
            assert!(
                error.contains("outside the Worker's folder"),
                "{outside}: {error}"
            );
        }
        for hidden in [
            "/srv/shop/.dev.vars",
            "/srv/shop/.isola/state/server.json",
            "/srv/shop/src/.env",
            "/srv/shop/.wrangler/state/v3/d1/db.sqlite",
            "/srv/shop/.git/config",
        ] {
            let error = check(hidden).unwrap_err();
            assert!(error.contains("hidden files"), "{hidden}: {error}");
        }
    }
}
