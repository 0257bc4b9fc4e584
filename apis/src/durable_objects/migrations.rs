//! `[[migrations]]`: the Durable Object classes a Worker declares, in
//! order, as Cloudflare applies them. Checked when the config is read (a
//! migration that contradicts an earlier one, or a binding to a class no
//! migration declares, is refused, naming the rule); applied to the
//! stored objects when the host starts, each tag once. The tags applied
//! are recorded in `<state>/do/<worker>.migrations`.
//!
//! A renamed class keeps its objects and their ids, as on Cloudflare: a
//! namespace is named (its ids keyed, its folder named) by the name its
//! class was first declared under, its *origin*. A deleted class loses
//! its objects.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use isola_storage::alarms::AlarmIndex;

use super::ObjectBinding;
use crate::binding::Binding;

/// One `[[migrations]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    pub tag: String,
    #[serde(default)]
    pub new_classes: Vec<String>,
    #[serde(default)]
    pub new_sqlite_classes: Vec<String>,
    #[serde(default)]
    pub renamed_classes: Vec<Renamed>,
    #[serde(default)]
    pub deleted_classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renamed {
    pub from: String,
    pub to: String,
}

/// Reads `[[migrations]]` and checks them, and the Worker's namespace
/// bindings to classes it exports, against each other.
pub fn read(
    value: Option<serde_json::Value>,
    bindings: &[Arc<dyn Binding>],
) -> Result<Vec<Migration>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let migrations: Vec<Migration> = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        format!("`migrations{path}`: {}", e.into_inner())
    })?;
    let classes = declared(&migrations)?;
    if migrations.is_empty() {
        return Ok(migrations);
    }
    let objects = bindings
        .iter()
        .filter_map(|binding| binding.downcast_ref::<ObjectBinding>());
    for (i, binding) in objects.enumerate() {
        if binding.script_name.is_none() && !classes.contains(binding.class_name.as_str()) {
            return Err(format!(
                "`durable_objects.bindings[{i}]`: class {} is not declared by `[[migrations]]` \
                 (`new_sqlite_classes` or `new_classes`), or a later migration renamed or \
                 deleted it",
                binding.class_name
            ));
        }
    }
    Ok(migrations)
}

/// The classes that exist once `migrations` are applied in order, or the
/// first rule one of them breaks.
fn declared(migrations: &[Migration]) -> Result<HashSet<&str>, String> {
    let mut tags = HashSet::new();
    let mut live = HashSet::new();
    for (i, migration) in migrations.iter().enumerate() {
        let at = format!("`migrations[{i}]` (tag {:?})", migration.tag);
        if !tags.insert(migration.tag.as_str()) {
            return Err(format!("{at}: the tag is used by an earlier migration"));
        }
        for class in migration
            .new_classes
            .iter()
            .chain(&migration.new_sqlite_classes)
        {
            if !live.insert(class.as_str()) {
                return Err(format!("{at}: class {class} is already declared"));
            }
        }
        for Renamed { from, to } in &migration.renamed_classes {
            if !live.remove(from.as_str()) {
                return Err(format!("{at}: cannot rename {from}, which is not declared"));
            }
            if !live.insert(to.as_str()) {
                return Err(format!("{at}: cannot rename {from} to {to}, which exists"));
            }
        }
        for class in &migration.deleted_classes {
            if !live.remove(class.as_str()) {
                return Err(format!(
                    "{at}: cannot delete {class}, which is not declared"
                ));
            }
        }
    }
    Ok(live)
}

/// Each class that exists once `migrations` are applied, by the name it
/// was first declared under.
pub fn origins(migrations: &[Migration]) -> HashMap<String, String> {
    let mut origins = HashMap::new();
    for migration in migrations {
        for class in migration
            .new_classes
            .iter()
            .chain(&migration.new_sqlite_classes)
        {
            origins.insert(class.clone(), class.clone());
        }
        for Renamed { from, to } in &migration.renamed_classes {
            let origin = origins.remove(from).unwrap_or_else(|| from.clone());
            origins.insert(to.clone(), origin);
        }
        for class in &migration.deleted_classes {
            origins.remove(class);
        }
    }
    origins
}

/// Applies to the objects under `root` (`<state>/do`) the migrations of
/// `worker` not applied yet, and records them; returns what it did, for
/// the log.
pub fn apply(
    root: &Path,
    worker: &str,
    migrations: &[Migration],
    alarms: &AlarmIndex,
) -> Result<Vec<String>, String> {
    let record = root.join(format!("{worker}.migrations"));
    let applied: HashSet<String> = match std::fs::read_to_string(&record) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Err(error) => return Err(format!("{}: {error}", record.display())),
    };
    let mut done = Vec::new();
    for (i, migration) in migrations.iter().enumerate() {
        if applied.contains(&migration.tag) {
            continue;
        }
        for Renamed { from, to } in &migration.renamed_classes {
            alarms.rename_class(worker, from, to)?;
            done.push(format!(
                "{}: renamed class {from} to {to}, keeping its objects",
                migration.tag
            ));
        }
        // The deleted classes' origins, as they stood before this one.
        let before = origins(&migrations[..i]);
        for class in &migration.deleted_classes {
            alarms.delete_class(worker, class)?;
            let origin = before.get(class).unwrap_or(class);
            let folder = root.join(format!("{worker}-{origin}"));
            if folder.exists() {
                std::fs::remove_dir_all(&folder)
                    .map_err(|e| format!("{}: {e}", folder.display()))?;
            }
            done.push(format!(
                "{}: deleted class {class} and its objects",
                migration.tag
            ));
        }
        std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let mut text = std::fs::read_to_string(&record).unwrap_or_default();
        text.push_str(&migration.tag);
        text.push('\n');
        std::fs::write(&record, text).map_err(|e| format!("{}: {e}", record.display()))?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn binding(class: &str) -> ObjectBinding {
        ObjectBinding {
            name: "NS".into(),
            class_name: class.into(),
            script_name: None,
            environment: None,
        }
    }

    #[test]
    fn contradictions_and_undeclared_classes_are_refused_naming_the_rule() {
        let bound = |class: &str| [Arc::new(binding(class)) as Arc<dyn Binding>];
        let read_with = |value, class: &str| read(Some(value), &bound(class));
        let renamed = json!([
            {"tag": "v1", "new_sqlite_classes": ["A"]},
            {"tag": "v2", "renamed_classes": [{"from": "A", "to": "B"}]},
        ]);
        assert!(read_with(renamed.clone(), "B").is_ok());
        let error = read_with(renamed, "A").unwrap_err();
        assert!(error.contains("class A is not declared"), "{error}");
        let twice = json!([{"tag": "v1", "new_classes": ["A"]}, {"tag": "v2", "new_sqlite_classes": ["A"]}]);
        let error = read_with(twice, "A").unwrap_err();
        assert!(
            error.contains("`migrations[1]` (tag \"v2\"): class A is already declared"),
            "{error}"
        );
        let deleted = json!([{"tag": "v1", "deleted_classes": ["A"]}]);
        let error = read_with(deleted, "A").unwrap_err();
        assert!(error.contains("cannot delete A"), "{error}");
        let tags = json!([{"tag": "v1", "new_classes": ["A"]}, {"tag": "v1"}]);
        assert!(
            read_with(tags, "A")
                .unwrap_err()
                .contains("the tag is used")
        );
        // No migrations at all: classes are used as the Worker exports them.
        assert!(read(None, &bound("A")).unwrap().is_empty());
    }

    #[test]
    fn renames_keep_the_origin_and_deletes_drop_objects_once() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("w-A")).unwrap();
        std::fs::create_dir_all(root.path().join("w-C")).unwrap();
        let migrations: Vec<Migration> = serde_json::from_value(json!([
            {"tag": "v1", "new_sqlite_classes": ["A", "C"]},
            {"tag": "v2", "renamed_classes": [{"from": "A", "to": "B"}, {"from": "C", "to": "D"}]},
            {"tag": "v3", "deleted_classes": ["D"]},
        ]))
        .unwrap();
        assert_eq!(
            origins(&migrations),
            HashMap::from([("B".to_string(), "A".to_string())])
        );
        let alarms = AlarmIndex::open(None).unwrap();
        let owner = |class: &str| isola_storage::alarms::AlarmOwner {
            worker: "w".into(),
            class: class.into(),
            id: "1".into(),
        };
        alarms.set(&owner("A"), 5.0).unwrap();
        alarms.set(&owner("C"), 6.0).unwrap();
        let done = apply(root.path(), "w", &migrations, &alarms).unwrap();
        assert_eq!(done.len(), 3, "{done:?}");
        assert_eq!(
            alarms.get(&owner("B")).unwrap(),
            Some(5.0),
            "A's alarm is B's now"
        );
        assert_eq!(
            alarms.pending().unwrap().len(),
            1,
            "D's (once C's) alarm is gone"
        );
        assert!(root.path().join("w-A").exists(), "B's objects stay under A");
        assert!(!root.path().join("w-C").exists(), "D (once C) is deleted");
        // Applied once: a C made again later is not deleted again.
        std::fs::create_dir_all(root.path().join("w-C")).unwrap();
        assert!(
            apply(root.path(), "w", &migrations, &alarms)
                .unwrap()
                .is_empty()
        );
        assert!(root.path().join("w-C").exists());
    }
}
