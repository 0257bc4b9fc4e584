//! A Worker's files as node:fs shows them under `/bundle`
//! ([`isola_apis::node::BundleFiles`]): the files of its module URLs that
//! it may import (see [`super::Scope`]), read-only.

use std::path::PathBuf;

use deno_ast::ModuleSpecifier;
use isola_apis::node::{BundleFiles, BundleStat, Errno};

use super::ModuleSources;

/// The most of a file node:fs reads at once: a Worker's memory.
const MAX_READ: u64 = 128 << 20;

impl ModuleSources {
    /// The host file at `path` below `/bundle`.
    fn bundle_path(&self, path: &str) -> Option<PathBuf> {
        let url = ModuleSpecifier::parse(&format!("file:///{path}")).ok()?;
        self.scope.path(&url).ok()
    }
}

impl BundleFiles for ModuleSources {
    fn stat(&self, path: &str) -> Option<BundleStat> {
        let file = self.bundle_path(path)?;
        let meta = std::fs::metadata(&file).ok()?;
        if !self.scope.shows(&file, meta.is_dir()) {
            return None;
        }
        let mtime_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        Some(BundleStat {
            kind: if meta.is_dir() { "directory" } else { "file" },
            size: meta.len(),
            mtime_ms,
        })
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        let stat = self.stat(path).ok_or("ENOENT")?;
        if stat.kind == "directory" {
            return Err("EISDIR");
        }
        if stat.size > MAX_READ {
            return Err("EFBIG");
        }
        let file = self.bundle_path(path).ok_or("ENOENT")?;
        std::fs::read(file).map_err(|_| "ENOENT")
    }

    fn list(&self, path: &str) -> Result<Vec<(String, &'static str)>, Errno> {
        let stat = self.stat(path).ok_or("ENOENT")?;
        if stat.kind != "directory" {
            return Err("ENOTDIR");
        }
        let dir = self.bundle_path(path).ok_or("ENOENT")?;
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|_| "ENOENT")?.flatten() {
            let Ok(meta) = std::fs::metadata(entry.path()) else {
                continue;
            };
            if self.scope.shows(&entry.path(), meta.is_dir()) {
                let kind = if meta.is_dir() { "directory" } else { "file" };
                entries.push((entry.file_name().to_string_lossy().into_owned(), kind));
            }
        }
        entries.sort();
        Ok(entries)
    }
}
