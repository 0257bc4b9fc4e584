//! Live reload: watches a Worker's project directory (with `notify`) and
//! hot-swaps the Worker when one of its files changes. Requests in flight
//! finish on the old version; an edit that does not load leaves the last
//! good version serving and prints why, with file and line. A change under
//! the static assets' directory only reads their file list again: the
//! Worker keeps running.
//!
//! Changes come in bursts (an editor's save is several events, `git
//! checkout` many), so the watcher waits for a short quiet spell before it
//! reloads, and reloads once per burst.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::host::Host;

/// How long the files must stay unchanged before a reload.
const QUIET: Duration = Duration::from_millis(15);

/// Directories whose changes never reload the Worker: dependencies, state,
/// version control, other tools' caches.
const IGNORED_DIRS: &[&str] = &["node_modules", ".git", ".isola", ".wrangler"];

/// A running watcher; dropping it stops watching.
pub struct Watch {
    _watcher: RecommendedWatcher,
}

/// Watches `root` and reloads Worker `name` of `host` when a file under it
/// changes, except under `ignored` (the state directory) and the
/// directories in [`IGNORED_DIRS`]; and its `assets` directory, whose
/// changes refresh the assets alone.
pub fn watch(
    host: Arc<Host>,
    name: String,
    root: &Path,
    ignored: PathBuf,
    assets: Option<PathBuf>,
) -> notify::Result<Watch> {
    let (changes, mut changed) = mpsc::unbounded_channel();
    let root_dir = root.to_path_buf();
    let assets_dir = assets.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
            return;
        }
        for path in event.paths {
            let asset = assets_dir.as_ref().is_some_and(|dir| path.starts_with(dir));
            if asset || is_source(&root_dir, &ignored, &path) {
                let _ = changes.send((path, asset));
            }
        }
    })?;
    watcher.watch(root, RecursiveMode::Recursive)?;
    if let Some(dir) = assets.as_ref().filter(|dir| !dir.starts_with(root)) {
        watcher.watch(dir, RecursiveMode::Recursive)?;
    }
    tokio::spawn(async move {
        while let Some((mut path, mut assets_only)) = changed.recv().await {
            while let Ok(Some((next, asset))) = tokio::time::timeout(QUIET, changed.recv()).await {
                path = next;
                assets_only &= asset;
            }
            if assets_only {
                match host.reload_assets(&name).await {
                    Ok(()) => {
                        tracing::info!("[{name}] assets refreshed ({} changed)", path.display())
                    }
                    Err(error) => {
                        tracing::error!("[{name}] {error}\n  still serving the last list of assets")
                    }
                }
                continue;
            }
            let started = Instant::now();
            match host.reload(&name).await {
                Ok(()) => tracing::info!(
                    "[{name}] reloaded in {}ms ({} changed)",
                    started.elapsed().as_millis(),
                    path.display()
                ),
                Err(error) => {
                    tracing::error!(
                        "[{name}] {error}\n  still serving the last version that loaded"
                    )
                }
            }
        }
    });
    Ok(Watch { _watcher: watcher })
}

/// Whether a change to `path` may change the Worker.
fn is_source(root: &Path, ignored: &Path, path: &Path) -> bool {
    if path.starts_with(ignored) {
        return false;
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    let in_ignored_dir = relative
        .components()
        .any(|c| IGNORED_DIRS.iter().any(|dir| c.as_os_str() == *dir));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let editor_file = name.ends_with('~') || name.starts_with(".#") || name.ends_with(".swp");
    !in_ignored_dir && !editor_file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_projects_own_files_count() {
        let root = Path::new("/p");
        let state = Path::new("/p/state");
        assert!(is_source(root, state, Path::new("/p/src/index.ts")));
        assert!(is_source(root, state, Path::new("/p/wrangler.toml")));
        assert!(is_source(root, state, Path::new("/p/.dev.vars")));
        assert!(!is_source(root, state, Path::new("/p/state/kv/db")));
        assert!(!is_source(
            root,
            state,
            Path::new("/p/.isola/state/d1/x.sqlite")
        ));
        assert!(!is_source(
            root,
            state,
            Path::new("/p/node_modules/hono/index.js")
        ));
        assert!(!is_source(root, state, Path::new("/p/src/.index.ts.swp")));
        assert!(!is_source(root, state, Path::new("/p/src/index.ts~")));
    }
}
