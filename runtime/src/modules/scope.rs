//! Which files a Worker may import: its own project's, as a bundled
//! Worker on Cloudflare can only reach what was bundled.
//!
//! A module must be inside the Worker's folder (where its config is, or its
//! script when it has none), or inside a `node_modules` folder of that
//! folder or of one above it, where packages are installed. Inside the
//! Worker's own files, hidden files (`.dev.vars`, `.env`) and the folders
//! of state and history (`.isola/` with the state directory and the admin
//! token, `.wrangler/`, `.git/`) are not modules. Paths are compared as
//! written, with `..` resolved.
//!
//! A workspace (npm, yarn or pnpm workspaces, a monorepo) links its own
//! packages into `node_modules`: `node_modules/@app/shared` is a symlink
//! to `packages/shared`. Imports resolve to the link's target, as esbuild
//! and wrangler resolve them, so a package linked from a `node_modules`
//! the Worker may import from is the Worker's too, when the link points
//! inside the folder that holds that `node_modules`: a project can link
//! its own packages, not another project's files.
//!
//! A Worker knows its modules by URLs relative to its folder
//! (`file:///src/index.js`, [`Scope::url`]), never by their place on the
//! host; the loader turns them back into files ([`Scope::path`]).

use std::path::{Component, Path, PathBuf};

use deno_ast::ModuleSpecifier;

/// Folders of a project that hold state or history, not modules: isola's
/// state and admin token, wrangler's, git's. (Other hidden folders hold
/// framework builds, such as `.open-next/` and `.svelte-kit/`.)
const STATE_FOLDERS: &[&str] = &[".isola", ".wrangler", ".git"];

/// The files one Worker may import.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The Worker's folder; None lets everything through (no Worker).
    root: Option<PathBuf>,
    /// The folder module URLs are relative to: the root, or the highest
    /// folder above it with a `node_modules` the Worker may import from.
    base: Option<PathBuf>,
    /// The folders of the workspace packages linked from those
    /// `node_modules` folders (their real paths).
    linked: Vec<PathBuf>,
}

impl Scope {
    /// The files of the Worker whose folder is `root` (an absolute path).
    pub fn new(root: &Path) -> Self {
        let root = normalize(root);
        let with_packages: Vec<&Path> = root
            .ancestors()
            .filter(|dir| dir.join("node_modules").is_dir())
            .collect();
        let base = with_packages
            .iter()
            .rev()
            .find(|dir| **dir != root)
            .copied()
            .unwrap_or(&root)
            .to_path_buf();
        let linked = with_packages
            .into_iter()
            .flat_map(linked_packages)
            .collect();
        Self {
            root: Some(root),
            base: Some(base),
            linked,
        }
    }

    /// The URL the Worker knows its file at `path` by: `file:///src/index.js`
    /// for `<root>/src/index.js`, so that `import.meta.url`, stacks and
    /// errors never show where the project lies on the host.
    pub fn url(&self, path: &Path) -> Result<ModuleSpecifier, String> {
        let outside = || "it is outside the Worker's folder and its node_modules".to_string();
        let path = normalize(path);
        let public = match &self.base {
            Some(base) => Path::new("/").join(path.strip_prefix(base).map_err(|_| outside())?),
            None => path,
        };
        ModuleSpecifier::from_file_path(&public).map_err(|()| outside())
    }

    /// The file on the host that the module URL `url` names (its query
    /// aside): the inverse of [`Scope::url`]. A URL cannot name a file above
    /// the folder URLs are relative to.
    pub fn path(&self, url: &ModuleSpecifier) -> Result<PathBuf, String> {
        let path = url
            .to_file_path()
            .map_err(|()| format!("Workers can only import files: {url}"))?;
        Ok(match &self.base {
            Some(base) => base.join(normalize(&path).strip_prefix("/").unwrap_or(&path)),
            None => path,
        })
    }

    /// Whether the module at `path` (an absolute path) may be imported;
    /// the error names `specifier`, never what the file holds.
    pub fn check(&self, path: &Path, specifier: &str) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let path = normalize(path);
        let refused = |why: &str| Err(format!("Cannot import {specifier}: {why}"));
        let own = std::iter::once(root.as_path()).chain(self.linked.iter().map(PathBuf::as_path));
        for folder in own {
            if let Ok(inside) = path.strip_prefix(folder) {
                return if is_module_file(inside) {
                    Ok(())
                } else {
                    refused(
                        "hidden files and the .isola, .wrangler and .git folders are not modules",
                    )
                };
            }
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

/// Whether the file at `inside`, relative to a project's folder, may be a
/// module: anything in `node_modules`; elsewhere, no hidden file and
/// nothing in a folder of state or history.
fn is_module_file(inside: &Path) -> bool {
    let mut components = inside.components().peekable();
    while let Some(Component::Normal(name)) = components.next() {
        if name == "node_modules" {
            return true;
        }
        let name = name.to_string_lossy();
        let is_file = components.peek().is_none();
        if (is_file && name.starts_with('.')) || STATE_FOLDERS.contains(&name.as_ref()) {
            return false;
        }
    }
    true
}

/// The real folders of the packages that `dir/node_modules` links to
/// (`name` or `@scope/name` as symlinks) inside `dir`.
fn linked_packages(dir: &Path) -> Vec<PathBuf> {
    let Ok(workspace) = dir.canonicalize() else {
        return Vec::new();
    };
    let entries = |folder: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(folder)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let mut linked = Vec::new();
    for entry in entries(&dir.join("node_modules")) {
        let is_scope = entry
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('@'));
        let packages = if is_scope {
            entries(&entry)
        } else {
            vec![entry]
        };
        for package in packages {
            let is_link = package
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if let (true, Ok(target)) = (is_link, package.canonicalize())
                && target.starts_with(&workspace)
                && target.is_dir()
            {
                linked.push(target);
            }
        }
    }
    linked
}

impl Scope {
    /// Whether node:fs shows the Worker the entry at `path`: a file it may
    /// import, a folder that holds such files, or a folder on the way from
    /// the top of its URLs down to its own folder.
    pub fn shows(&self, path: &Path, is_dir: bool) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        let path = normalize(path);
        if is_dir && root.starts_with(&path) {
            return true;
        }
        let probe = if is_dir { path.join("x") } else { path };
        self.check(&probe, "").is_ok()
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
    fn module_urls_start_at_the_worker_or_the_packages_above_it() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().canonicalize().unwrap();
        let root = top.join("apps/api");
        std::fs::create_dir_all(&root).unwrap();
        let alone = Scope::new(&root);
        let url = alone.url(&root.join("src/index.ts")).unwrap();
        assert_eq!(url.as_str(), "file:///src/index.ts");
        assert_eq!(alone.path(&url).unwrap(), root.join("src/index.ts"));
        let above = ModuleSpecifier::parse("file:///../../etc/passwd").unwrap();
        assert_eq!(alone.path(&above).unwrap(), root.join("etc/passwd"));
        assert!(alone.url(&top.join("other/x.js")).is_err());

        // A workspace: packages installed above the Worker's folder.
        std::fs::create_dir_all(top.join("node_modules/shared")).unwrap();
        let workspace = Scope::new(&root);
        let url = workspace.url(&root.join("src/index.ts")).unwrap();
        assert_eq!(url.as_str(), "file:///apps/api/src/index.ts");
        let package = workspace
            .url(&top.join("node_modules/shared/index.js"))
            .unwrap();
        assert_eq!(package.as_str(), "file:///node_modules/shared/index.js");
        assert_eq!(
            workspace.path(&package).unwrap(),
            top.join("node_modules/shared/index.js")
        );
    }

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

    #[test]
    fn a_workspace_package_linked_into_node_modules_is_the_workers_own() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().canonicalize().unwrap();
        let root = repo.join("apps/api");
        for folder in [
            "apps/api",
            "packages/shared",
            "packages/tools",
            "node_modules/@app",
            "victim",
        ] {
            std::fs::create_dir_all(repo.join(folder)).unwrap();
        }
        let link = |target: &str, at: &str| {
            std::os::unix::fs::symlink(repo.join(target), repo.join(at)).unwrap();
        };
        link("packages/shared", "node_modules/@app/shared");
        link("packages/tools", "node_modules/tools");
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), repo.join("node_modules/elsewhere")).unwrap();

        let scope = Scope::new(&root);
        let check = |path: &Path| scope.check(path, "x");
        assert!(check(&repo.join("packages/shared/index.js")).is_ok());
        assert!(check(&repo.join("packages/tools/src/a.ts")).is_ok());
        assert!(check(&repo.join("packages/shared/.env")).is_err());
        assert!(check(&repo.join("victim/worker.js")).is_err());
        let elsewhere = outside.path().canonicalize().unwrap().join("x.js");
        assert!(check(&elsewhere).is_err(), "a link out of the workspace");

        // A project cannot link another's folder beside it.
        let evil = repo.join("victim/../evil");
        std::fs::create_dir_all(evil.join("node_modules")).unwrap();
        std::os::unix::fs::symlink(repo.join("victim"), evil.join("node_modules/loot")).unwrap();
        let scope = Scope::new(&evil);
        assert!(scope.check(&repo.join("victim/worker.js"), "x").is_err());
    }

    #[test]
    fn node_fs_shows_what_the_worker_may_import_and_the_way_there() {
        let scope = Scope::new(Path::new("/srv/shop"));
        let shows = |path: &str, is_dir: bool| scope.shows(Path::new(path), is_dir);
        assert!(shows("/srv/shop/src/index.ts", false));
        assert!(shows("/srv/shop/src", true));
        assert!(shows("/srv/shop", true));
        assert!(shows("/srv", true), "on the way to the Worker's folder");
        assert!(shows("/srv/node_modules", true));
        assert!(!shows("/srv/victim", true));
        assert!(!shows("/srv/victim/worker.js", false));
        assert!(!shows("/srv/shop/.dev.vars", false));
        assert!(!shows("/srv/shop/.isola", true));
        assert!(!Scope::default().shows(Path::new("/etc/passwd"), false));
    }
}
