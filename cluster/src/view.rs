//! A host's view of the deployment: the live hosts and the owners of
//! objects, as etcd last told it, and the hash that places an object that
//! has no owner.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

/// The hosts (name → URL), owners (key → host and token) and Durable
/// Object alarms (key → record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    hosts: BTreeMap<String, String>,
    owners: HashMap<String, (String, u64)>,
    alarms: BTreeMap<String, String>,
}

impl View {
    /// A view from etcd's entries under the deployment's prefix:
    /// `hosts/<name>` → URL, `owners/<key>` → host, with create revisions.
    pub(crate) fn read(entries: impl Iterator<Item = (String, String, u64)>) -> Self {
        let mut view = Self::default();
        for (key, value, revision) in entries {
            if let Some(host) = key.strip_prefix("hosts/") {
                view.hosts.insert(host.to_string(), value);
            } else if let Some(object) = key.strip_prefix("owners/") {
                view.owners.insert(object.to_string(), (value, revision));
            } else if let Some(object) = key.strip_prefix("alarms/") {
                view.alarms.insert(object.to_string(), value);
            }
        }
        view
    }

    /// The live hosts, by name, with their URLs.
    pub fn hosts(&self) -> &BTreeMap<String, String> {
        &self.hosts
    }

    /// Every owned object, its host and token, sorted by key.
    pub fn owners(&self) -> Vec<(&str, &str, u64)> {
        let mut owners: Vec<_> = self
            .owners
            .iter()
            .map(|(key, (host, token))| (key.as_str(), host.as_str(), *token))
            .collect();
        owners.sort();
        owners
    }

    /// The pending alarms of objects, by key, with their records.
    pub fn alarms(&self) -> &BTreeMap<String, String> {
        &self.alarms
    }

    pub(crate) fn set_alarm(&mut self, key: &str, record: Option<&str>) {
        match record {
            Some(record) => self.alarms.insert(key.to_string(), record.to_string()),
            None => self.alarms.remove(key),
        };
    }

    pub(crate) fn owner(&self, key: &str) -> Option<(&str, u64)> {
        self.owners
            .get(key)
            .map(|(host, token)| (host.as_str(), *token))
    }

    pub(crate) fn url(&self, host: &str) -> Option<&str> {
        self.hosts.get(host).map(String::as_str)
    }

    pub(crate) fn set_owner(&mut self, key: &str, host: &str, token: u64) {
        self.owners
            .insert(key.to_string(), (host.to_string(), token));
    }

    pub(crate) fn forget(&mut self, key: &str) {
        self.owners.remove(key);
    }

    /// The host that should own `key` (rendezvous hashing: the host whose
    /// hash with the key is highest, so that a host joining or leaving
    /// moves only the objects it wins or held).
    pub(crate) fn choose(&self, key: &str) -> Option<&str> {
        self.hosts
            .keys()
            .max_by_key(|host| {
                let digest = Sha256::new()
                    .chain_update(host.as_bytes())
                    .chain_update([0])
                    .chain_update(key.as_bytes())
                    .finalize();
                u64::from_be_bytes(digest[..8].try_into().unwrap())
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> View {
        View::read(
            names
                .iter()
                .map(|n| (format!("hosts/{n}"), format!("http://{n}"), 1)),
        )
    }

    #[test]
    fn objects_spread_over_hosts_and_a_leaving_host_moves_only_its_own() {
        let three = hosts(&["a", "b", "c"]);
        let two = hosts(&["a", "b"]);
        let keys: Vec<String> = (0..300).map(|i| format!("d1/db-{i}")).collect();
        let mut counts = HashMap::new();
        for key in &keys {
            let host = three.choose(key).unwrap();
            *counts.entry(host).or_insert(0) += 1;
            if host != "c" {
                assert_eq!(two.choose(key), Some(host), "{key} stays where it was");
            }
        }
        assert!(counts.values().all(|&n| n > 60), "{counts:?}");
    }

    #[test]
    fn owners_and_hosts_are_read_from_their_keys() {
        let view = View::read(
            [
                ("hosts/a".to_string(), "http://a".to_string(), 3),
                ("owners/d1/shop".to_string(), "a".to_string(), 9),
                ("elsewhere".to_string(), "x".to_string(), 1),
            ]
            .into_iter(),
        );
        assert_eq!(view.url("a"), Some("http://a"));
        assert_eq!(view.owner("d1/shop"), Some(("a", 9)));
        assert_eq!(view.owners(), vec![("d1/shop", "a", 9)]);
        assert_eq!(view.hosts().len(), 1);
    }
}
