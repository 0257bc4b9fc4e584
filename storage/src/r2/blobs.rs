//! Object bytes, kept in an [`ObjectStore`]: files under the state
//! directory (`object_store`'s local store stages a file and renames it
//! into place, so a blob is whole or absent), an S3 bucket (a blob appears
//! when its upload completes), or memory. Every write gets a new blob
//! named by a random version, so an object being replaced stays readable
//! until its row is.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use super::R2Error;
use super::digest::Digests;
use super::error::ENTITY_TOO_LARGE;
use crate::health::{BackendHealth, Health};

/// Bytes gathered before a chunk goes to the store: S3's smallest part.
/// A body no longer than this is stored in one request.
const CHUNK: usize = 5 << 20;

/// Bytes read from a file at a time. `object_store`'s own file stream
/// reads 8 KiB per trip to the blocking pool; one reader thread per body,
/// a few chunks ahead of its consumer, moves large objects far faster.
const READ_CHUNK: usize = 256 << 10;

/// What a write stored: its size and digests.
pub(super) struct Written {
    pub size: u64,
    pub digests: Digests,
}

/// The blobs of one state directory, or of a shared bucket.
#[derive(Clone)]
pub(super) struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// How a networked store's calls went, and its name: None for files
    /// and memory.
    health: Option<Arc<(Health, String)>>,
}

/// A fresh random name (a version, an upload id).
pub(super) fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Blobs {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            health: None,
        }
    }

    /// Blobs in a networked store, whose calls `isola stats` reports
    /// under `name`.
    pub fn networked(store: Arc<dyn ObjectStore>, name: String) -> Self {
        Self {
            store,
            health: Some(Arc::new((Health::default(), name))),
        }
    }

    /// Awaits `call` to the store, counting it (and how long it took)
    /// when the store is networked; its error names the store.
    async fn timed<T, E: std::fmt::Display>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, R2Error> {
        let started = std::time::Instant::now();
        let result = call.await;
        if let Some(health) = &self.health {
            let error = result.as_ref().err().map(ToString::to_string);
            health.0.record(started.elapsed(), error.as_deref());
        }
        result.map_err(|e| match &self.health {
            Some(health) => R2Error::storage(format!("{}: {e}", health.1)),
            None => R2Error::storage(e),
        })
    }

    /// How the networked store has answered, for `isola stats`.
    pub fn health(&self) -> Option<BackendHealth> {
        let health = self.health.as_ref()?;
        Some(health.0.report("r2", &health.1))
    }

    /// Where the blob named `id` lives.
    fn path(id: &str) -> Path {
        Path::from(format!("blobs/{}/{id}", &id[..2.min(id.len())]))
    }

    /// Writes `body` to the new blob `id`, at most `max` bytes, hashing it
    /// with `digests`; nothing is left behind when it fails.
    pub async fn write<S>(
        &self,
        id: &str,
        mut body: S,
        max: u64,
        mut digests: Digests,
    ) -> Result<Written, R2Error>
    where
        S: Stream<Item = Result<Bytes, String>> + Unpin,
    {
        let path = Self::path(id);
        // Chunks are gathered until they pass one part: a body that ends
        // first is stored in one request, a longer one in parts.
        let mut gathered = Vec::new();
        let mut writer: Option<WriteMultipart> = None;
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let accepted = chunk.map_err(unreadable).and_then(|chunk| {
                size += chunk.len() as u64;
                if size > max {
                    return Err(ENTITY_TOO_LARGE);
                }
                digests.update(&chunk);
                Ok(chunk)
            });
            let chunk = match accepted {
                Ok(chunk) => chunk,
                Err(error) => {
                    if let Some(writer) = writer {
                        let _ = writer.abort().await;
                    }
                    return Err(error);
                }
            };
            match writer.as_mut() {
                Some(writer) => {
                    writer
                        .wait_for_capacity(2)
                        .await
                        .map_err(R2Error::storage)?;
                    writer.put(chunk);
                }
                None => {
                    gathered.push(chunk);
                    if size > CHUNK as u64 {
                        let upload = self.timed(self.store.put_multipart(&path)).await?;
                        let mut parts = WriteMultipart::new_with_chunk_size(upload, CHUNK);
                        gathered.drain(..).for_each(|chunk| parts.put(chunk));
                        writer = Some(parts);
                    }
                }
            }
        }
        match writer {
            Some(writer) => self.timed(writer.finish()).await?,
            None => {
                let payload: PutPayload = gathered.into_iter().collect();
                self.timed(self.store.put(&path, payload)).await?
            }
        };
        Ok(Written { size, digests })
    }

    /// The bytes of blob `id` in `range` (all of them when None), as they
    /// are read.
    pub async fn read(
        &self,
        id: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, String>>, R2Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .timed(self.store.get_opts(&Self::path(id), options))
            .await?;
        match result.payload {
            object_store::GetResultPayload::File(file, _) => Ok(read_file(file, result.range)),
            object_store::GetResultPayload::Stream(stream) => {
                Ok(stream.map(|chunk| chunk.map_err(|e| e.to_string())).boxed())
            }
        }
    }

    /// Removes every blob written before `before` that `keep` does not
    /// name: those a crash left between writing a blob and recording it.
    /// Blobs written since are writes under way, whose rows may not exist
    /// yet.
    pub async fn sweep(
        &self,
        keep: &std::collections::HashSet<String>,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, R2Error> {
        let mut listed = self.store.list(Some(&Path::from("blobs")));
        let mut orphans = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta.map_err(R2Error::storage)?;
            if let Some(id) = meta.location.filename()
                && meta.last_modified < before
                && !keep.contains(id)
            {
                orphans.push(id.to_string());
            }
        }
        let count = orphans.len();
        self.remove(orphans).await;
        Ok(count)
    }

    /// Every blob's id.
    #[cfg(test)]
    pub async fn ids(&self) -> Vec<String> {
        let listed = self.store.list(Some(&Path::from("blobs")));
        let metas: Vec<_> = listed.collect().await;
        metas
            .into_iter()
            .map(|meta| meta.unwrap().location.filename().unwrap().to_string())
            .collect()
    }

    /// Removes the blobs `ids`; one already gone is no error.
    pub async fn remove(&self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            let path = Self::path(&id);
            let removed = self.timed(async {
                match self.store.delete(&path).await {
                    Err(object_store::Error::NotFound { .. }) => Ok(()),
                    other => other,
                }
            });
            if let Err(error) = removed.await {
                tracing::warn!("R2 blob {id} could not be removed: {error}");
            }
        }
    }
}

fn unreadable(error: String) -> R2Error {
    R2Error::Storage(format!("the body could not be read: {error}"))
}

/// The bytes of `file` in `range`, read on the blocking pool a few chunks
/// ahead of whoever consumes them.
fn read_file(
    mut file: std::fs::File,
    range: std::ops::Range<u64>,
) -> BoxStream<'static, Result<Bytes, String>> {
    use std::io::{Read, Seek, SeekFrom};
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        if let Err(error) = file.seek(SeekFrom::Start(range.start)) {
            let _ = sender.blocking_send(Err(error.to_string()));
            return;
        }
        let mut left = range.end - range.start;
        while left > 0 {
            let mut chunk = vec![0; READ_CHUNK.min(left as usize)];
            let read = match file.read(&mut chunk) {
                Ok(0) => Err("the object ended early".to_string()),
                Ok(n) => Ok(n),
                Err(error) => Err(error.to_string()),
            };
            let message = read.map(|n| {
                chunk.truncate(n);
                left -= n as u64;
                Bytes::from(chunk)
            });
            let failed = message.is_err();
            if sender.blocking_send(message).is_err() || failed {
                return;
            }
        }
    });
    tokio_stream_from(receiver)
}

fn tokio_stream_from(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
) -> BoxStream<'static, Result<Bytes, String>> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)).boxed()
}
