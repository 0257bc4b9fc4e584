//! Object bytes, kept in an [`ObjectStore`]: files under the state
//! directory (`object_store`'s local store stages a file and renames it
//! into place, so a blob is whole or absent), or memory. Every write gets a
//! new blob named by a random version, so an object being replaced stays
//! readable until its row is.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};

use super::R2Error;
use super::digest::Digests;
use super::error::ENTITY_TOO_LARGE;

/// Bytes gathered before a chunk goes to the store.
const CHUNK: usize = 4 << 20;

/// Bytes read from a file at a time. `object_store`'s own file stream
/// reads 8 KiB per trip to the blocking pool; one reader thread per body,
/// a few chunks ahead of its consumer, moves large objects far faster.
const READ_CHUNK: usize = 256 << 10;

/// What a write stored: its size and digests.
pub(super) struct Written {
    pub size: u64,
    pub digests: Digests,
}

/// The blobs of one state directory.
#[derive(Clone, Debug)]
pub(super) struct Blobs {
    store: Arc<dyn ObjectStore>,
}

/// A fresh random name (a version, an upload id).
pub(super) fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Blobs {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
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
        let upload = self
            .store
            .put_multipart(&Self::path(id))
            .await
            .map_err(R2Error::storage)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(R2Error::Storage(format!(
                        "the body could not be read: {error}"
                    )));
                }
            };
            size += chunk.len() as u64;
            if size > max {
                let _ = writer.abort().await;
                return Err(ENTITY_TOO_LARGE);
            }
            digests.update(&chunk);
            if let Err(error) = writer.wait_for_capacity(2).await {
                return Err(R2Error::storage(error));
            }
            writer.put(chunk);
        }
        writer.finish().await.map_err(R2Error::storage)?;
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
            .store
            .get_opts(&Self::path(id), options)
            .await
            .map_err(R2Error::storage)?;
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

    /// Removes the blobs `ids`; one already gone is no error.
    pub async fn remove(&self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            if let Err(error) = self.store.delete(&Self::path(&id)).await
                && !matches!(error, object_store::Error::NotFound { .. })
            {
                tracing::warn!("R2 blob {id} could not be removed: {error}");
            }
        }
    }
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
