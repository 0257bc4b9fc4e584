//! The KV and cache tables' queries: what [`KvBackend`] and
//! [`CacheBackend`] ask, and the claims and signals hosts share, one
//! statement (or one transaction) each.

use std::ops::Bound;

use sha2::{Digest, Sha256};

use super::PgStore;
use crate::cache::CacheBackend;
use crate::claims::ClaimBackend;
use crate::error::StoreError;
use crate::health::BackendHealth;
use crate::kv::{KvBackend, Visit, scan_start};
use crate::signals::SignalBackend;

/// A key and its bytes, as a page of a scan holds them.
type Pair = (Vec<u8>, Vec<u8>);

/// Most rows one page of a scan fetches.
const PAGE_ROWS: i64 = 64;

/// Bytes of values one page of a scan fetches, past its first row: values
/// reach 25 MiB, and a scan should not hold dozens of them at once.
const PAGE_BYTES: i64 = 8 << 20;

/// Expired entries removed in one transaction.
const REMOVE_BATCH: usize = 256;

/// One page of a namespace in key order, from `$2` (inclusive or not, by
/// the operator filled in) and below `$3` when it is given: at most
/// [`PAGE_ROWS`] rows and [`PAGE_BYTES`] of values past the first. Each
/// row says how many rows the page had before the byte budget cut it.
const PAGE: &str = "
    SELECT key, value, rows FROM (
        SELECT key, value, count(*) OVER () AS rows,
               sum(octet_length(value)) OVER (ORDER BY key) - octet_length(value) AS before
        FROM (
            SELECT key, value FROM isola_kv
            WHERE namespace = $1 AND key {op} $2 AND ($3::bytea IS NULL OR key < $3)
            ORDER BY key LIMIT $4
        ) page
    ) sized
    WHERE before < $5
    ORDER BY key";

const UPSERT: &str = "
    INSERT INTO isola_kv (namespace, key, value) VALUES ($1, $2, $3)
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value";

impl KvBackend for PgStore {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (namespace, key) = (namespace.to_string(), key.as_bytes().to_vec());
        self.call(move |client| {
            let (namespace, key) = (namespace.clone(), key.clone());
            async move {
                let row = client
                    .query_opt(
                        "SELECT value FROM isola_kv WHERE namespace = $1 AND key = $2",
                        &[&namespace, &key],
                    )
                    .await?;
                Ok(row.map(|row| row.get(0)))
            }
        })
    }

    fn put(&self, namespace: &str, entries: Vec<(&str, Vec<u8>)>) -> Result<(), StoreError> {
        self.writable()?;
        let namespace = namespace.to_string();
        let entries: Vec<(Vec<u8>, Vec<u8>)> = entries
            .into_iter()
            .map(|(key, bytes)| (key.as_bytes().to_vec(), bytes))
            .collect();
        self.call(move |mut client| {
            let (namespace, entries) = (namespace.clone(), entries.clone());
            async move {
                let transaction = client.transaction().await?;
                let upsert = transaction.prepare_cached(UPSERT).await?;
                for (key, bytes) in &entries {
                    transaction
                        .execute(&upsert, &[&namespace, key, bytes])
                        .await?;
                }
                transaction.commit().await
            }
        })
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        self.writable()?;
        let (namespace, key) = (namespace.to_string(), key.as_bytes().to_vec());
        self.call(move |client| {
            let (namespace, key) = (namespace.clone(), key.clone());
            async move {
                client
                    .execute(
                        "DELETE FROM isola_kv WHERE namespace = $1 AND key = $2",
                        &[&namespace, &key],
                    )
                    .await?;
                Ok(())
            }
        })
    }

    fn swap(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: Vec<u8>,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let (namespace, key) = (namespace.to_string(), key.as_bytes().to_vec());
        let expected = expected.map(<[u8]>::to_vec);
        // Once only: a swap that committed before its connection broke
        // would fail if tried again, and an increment would count twice.
        self.call_once(move |client| {
            let (namespace, key) = (namespace.clone(), key.clone());
            let (expected, new) = (expected.clone(), new.clone());
            async move {
                let changed =
                    match &expected {
                        None => client
                            .execute(
                                "INSERT INTO isola_kv (namespace, key, value) VALUES ($1, $2, $3)
                                 ON CONFLICT (namespace, key) DO NOTHING",
                                &[&namespace, &key, &new],
                            )
                            .await?,
                        Some(expected) => {
                            client
                                .execute(
                                    "UPDATE isola_kv SET value = $4
                                 WHERE namespace = $1 AND key = $2 AND value = $3",
                                    &[&namespace, &key, expected, &new],
                                )
                                .await?
                        }
                    };
                Ok(changed == 1)
            }
        })
    }

    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let end = prefix_end(prefix.as_bytes());
        let (mut from, mut inclusive) = match scan_start(prefix, after) {
            Bound::Excluded(after) => (after.as_bytes().to_vec(), false),
            Bound::Included(start) => (start.as_bytes().to_vec(), true),
            Bound::Unbounded => (Vec::new(), true),
        };
        loop {
            let (page, complete) = self.page(namespace, &from, inclusive, end.as_deref())?;
            for (key, bytes) in &page {
                if !visit(&String::from_utf8_lossy(key), bytes)? {
                    return Ok(());
                }
            }
            match page.into_iter().last() {
                Some((last, _)) if !complete => (from, inclusive) = (last, false),
                _ => return Ok(()),
            }
        }
    }

    fn remove_where(
        &self,
        pick: &dyn Fn(&[u8]) -> Result<bool, StoreError>,
    ) -> Result<usize, StoreError> {
        self.writable()?;
        let namespaces = self.call(|client| async move {
            let rows = client
                .query("SELECT DISTINCT namespace FROM isola_kv", &[])
                .await?;
            Ok(rows
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<Vec<_>>())
        })?;
        let mut removed = 0;
        for namespace in namespaces {
            // The entries to remove, by key and the digest of the bytes
            // that were picked, so a key written again meanwhile stays.
            let mut doomed = Vec::new();
            self.scan(&namespace, "", None, &mut |key, bytes| {
                if pick(bytes)? {
                    doomed.push((key.as_bytes().to_vec(), Sha256::digest(bytes).to_vec()));
                }
                Ok(true)
            })?;
            for batch in doomed.chunks(REMOVE_BATCH) {
                removed += self.remove_batch(&namespace, batch.to_vec())?;
            }
        }
        Ok(removed)
    }

    fn health(&self) -> Option<BackendHealth> {
        Some(PgStore::health(self, "kv"))
    }

    fn seal(&self) -> Result<(), StoreError> {
        // The database outlives this host; only its own writes end here.
        self.sealed
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}

impl PgStore {
    /// One page of a scan of `namespace` from `from`, and whether it is the
    /// last one.
    fn page(
        &self,
        namespace: &str,
        from: &[u8],
        inclusive: bool,
        end: Option<&[u8]>,
    ) -> Result<(Vec<Pair>, bool), StoreError> {
        let query = PAGE.replace("{op}", if inclusive { ">=" } else { ">" });
        let namespace = namespace.to_string();
        let (from, end) = (from.to_vec(), end.map(<[u8]>::to_vec));
        self.call(move |client| {
            let (query, namespace) = (query.clone(), namespace.clone());
            let (from, end) = (from.clone(), end.clone());
            async move {
                let rows = client
                    .query(&query, &[&namespace, &from, &end, &PAGE_ROWS, &PAGE_BYTES])
                    .await?;
                let fetched = rows.first().map_or(0, |row| row.get::<_, i64>(2));
                let complete = fetched < PAGE_ROWS && rows.len() as i64 == fetched;
                let page = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
                Ok((page, complete))
            }
        })
    }

    /// Removes each `(key, digest)` of `namespace` whose bytes still have
    /// that SHA-256 digest, in one transaction; how many it removed.
    fn remove_batch(
        &self,
        namespace: &str,
        batch: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<usize, StoreError> {
        let namespace = namespace.to_string();
        self.call(move |mut client| {
            let (namespace, batch) = (namespace.clone(), batch.clone());
            async move {
                let transaction = client.transaction().await?;
                let delete = transaction
                    .prepare_cached(
                        "DELETE FROM isola_kv
                         WHERE namespace = $1 AND key = $2 AND sha256(value) = $3",
                    )
                    .await?;
                let mut removed = 0;
                for (key, digest) in &batch {
                    removed += transaction
                        .execute(&delete, &[&namespace, key, digest])
                        .await? as usize;
                }
                transaction.commit().await?;
                Ok(removed)
            }
        })
    }
}

/// The first byte string after every one that starts with `prefix`; None
/// when nothing is (an empty prefix, or one of 0xff bytes only).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl CacheBackend for PgStore {
    fn get(&self, cache: &str, url: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (cache, url) = (cache.as_bytes().to_vec(), url.to_string());
        self.call(move |client| {
            let (cache, url) = (cache.clone(), url.clone());
            async move {
                let row = client
                    .query_opt(
                        "SELECT entry FROM isola_cache WHERE cache = $1 AND url = $2",
                        &[&cache, &url],
                    )
                    .await?;
                Ok(row.map(|row| row.get(0)))
            }
        })
    }

    fn put(&self, cache: &str, url: &str, entry: Vec<u8>) -> Result<(), StoreError> {
        self.writable()?;
        let (cache, url) = (cache.as_bytes().to_vec(), url.to_string());
        self.call(move |client| {
            let (cache, url, entry) = (cache.clone(), url.clone(), entry.clone());
            async move {
                client
                    .execute(
                        "INSERT INTO isola_cache (cache, url, entry) VALUES ($1, $2, $3)
                         ON CONFLICT (cache, url) DO UPDATE SET entry = excluded.entry",
                        &[&cache, &url, &entry],
                    )
                    .await?;
                Ok(())
            }
        })
    }

    fn delete(&self, cache: &str, url: &str, expected: Option<&[u8]>) -> Result<bool, StoreError> {
        self.writable()?;
        let (cache, url) = (cache.as_bytes().to_vec(), url.to_string());
        let expected = expected.map(<[u8]>::to_vec);
        self.call(move |client| {
            let (cache, url, expected) = (cache.clone(), url.clone(), expected.clone());
            async move {
                let removed = client
                    .execute(
                        "DELETE FROM isola_cache
                         WHERE cache = $1 AND url = $2 AND ($3::bytea IS NULL OR entry = $3)",
                        &[&cache, &url, &expected],
                    )
                    .await?;
                Ok(removed > 0)
            }
        })
    }
}

/// How long a claimed event is remembered: long past any host that could
/// still be about to claim it.
const CLAIMS_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

impl ClaimBackend for PgStore {
    fn claim(&self, event: &str, at_ms: i64) -> Result<bool, StoreError> {
        self.writable()?;
        let event = event.to_string();
        // Once only: a claim that committed before its connection broke
        // would look taken by another host if tried again.
        self.call_once(move |mut client| {
            let event = event.clone();
            async move {
                let transaction = client.transaction().await?;
                let claimed = transaction
                    .execute(
                        "INSERT INTO isola_claims (event, due_ms) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                        &[&event, &at_ms],
                    )
                    .await?;
                transaction
                    .execute(
                        "DELETE FROM isola_claims WHERE event = $1 AND due_ms < $2",
                        &[&event, &(at_ms - CLAIMS_KEPT_MS)],
                    )
                    .await?;
                transaction.commit().await?;
                Ok(claimed == 1)
            }
        })
    }
}

impl SignalBackend for PgStore {
    fn raise(&self, signal: &str) -> Result<i64, StoreError> {
        self.writable()?;
        let signal = signal.to_string();
        // Once only: a raise that committed before its connection broke
        // would count twice.
        self.call_once(move |client| {
            let signal = signal.clone();
            async move {
                let row = client
                    .query_one(
                        "INSERT INTO isola_signals (name, count) VALUES ($1, 1)
                         ON CONFLICT (name) DO UPDATE SET count = isola_signals.count + 1
                         RETURNING count",
                        &[&signal],
                    )
                    .await?;
                Ok(row.get(0))
            }
        })
    }

    fn counts(&self) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        self.call(|client| async move {
            let rows = client
                .query("SELECT name, count FROM isola_signals", &[])
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_ends_before_the_next_byte_string() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }
}
