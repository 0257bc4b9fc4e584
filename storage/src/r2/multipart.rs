//! Multipart uploads: parts written as blobs of their own, then joined
//! into one object by `complete`, with R2's checks on the parts and its
//! etag (the MD5 of the parts' MD5s, then their number).

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;
use futures::stream::{Stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::blobs::random_id;
use super::digest::{Digests, md5_hex, multipart_etag};
use super::error::{INTERNAL, INVALID_PART, NO_SUCH_UPLOAD};
use super::meta::{Part, Row, Upload, UploadState};
use super::rules::{MAX_PUT_BYTES, validate_key, validate_metadata, validate_part_sizes};
use super::{Bucket, Checksums, HttpMetadata, ObjectInfo, R2Error, blocking, now_ms};

/// A part as `uploadPart` reports it and `complete` takes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedPart {
    pub part_number: u32,
    pub etag: String,
}

impl Bucket {
    /// The upload `id` of `key` in this bucket, if there is one.
    async fn upload(&self, key: &str, id: &str) -> Result<Option<Upload>, R2Error> {
        let meta = self.store.meta.clone();
        let id = id.to_string();
        let upload = blocking(move || meta.upload(&id)).await?;
        Ok(upload.filter(|u| u.bucket == *self.name && u.key == key))
    }

    /// Starts an upload of `key`; returns its id.
    pub async fn create_multipart_upload(
        &self,
        key: &str,
        http_metadata: HttpMetadata,
        custom_metadata: BTreeMap<String, String>,
    ) -> Result<String, R2Error> {
        validate_key(key)?;
        validate_metadata(&custom_metadata)?;
        let id = format!("{}{}", random_id(), random_id());
        let upload = Upload {
            bucket: self.name.to_string(),
            key: key.to_string(),
            http_metadata,
            custom_metadata,
            state: UploadState::Open,
        };
        let meta = self.store.meta.clone();
        let owned = id.clone();
        blocking(move || meta.create_upload(&owned, &upload, now_ms())).await?;
        Ok(id)
    }

    /// Writes part `number` of upload `id`, in place of any part with
    /// that number.
    pub async fn upload_part<S>(
        &self,
        key: &str,
        id: &str,
        number: u32,
        body: S,
    ) -> Result<UploadedPart, R2Error>
    where
        S: Stream<Item = Result<Bytes, String>> + Unpin,
    {
        validate_key(key)?;
        match self.upload(key, id).await? {
            Some(upload) if upload.state == UploadState::Open => {}
            _ => return Err(NO_SUCH_UPLOAD),
        }
        let blob = random_id();
        let written = self
            .store
            .blobs
            .write(&blob, body, MAX_PUT_BYTES, Digests::default())
            .await?;
        let (md5, _) = written.digests.finish();
        let part = Part {
            number,
            size: written.size,
            etag: md5_hex(&md5),
            md5,
            blob: blob.clone(),
        };
        let meta = self.store.meta.clone();
        let owned = id.to_string();
        let (recorded, part) = blocking(move || Ok((meta.put_part(&owned, &part)?, part))).await?;
        match recorded {
            Some(replaced) => {
                self.store.blobs.remove(replaced).await;
                Ok(UploadedPart {
                    part_number: part.number,
                    etag: part.etag,
                })
            }
            None => {
                self.store.blobs.remove([blob]).await;
                Err(NO_SUCH_UPLOAD)
            }
        }
    }

    /// Joins the `parts` of upload `id` into the object at `key`.
    pub async fn complete_multipart_upload(
        &self,
        key: &str,
        id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<ObjectInfo, R2Error> {
        validate_key(key)?;
        let upload = match self.upload(key, id).await? {
            None => return Err(INTERNAL),
            Some(upload) if upload.state != UploadState::Open => return Err(NO_SUCH_UPLOAD),
            Some(upload) => upload,
        };
        let mut numbers = HashSet::new();
        if !parts.iter().all(|p| numbers.insert(p.part_number)) {
            return Err(INTERNAL);
        }
        let meta = self.store.meta.clone();
        let owned = id.to_string();
        let stored: HashMap<u32, Part> = blocking(move || meta.parts(&owned))
            .await?
            .into_iter()
            .map(|part| (part.number, part))
            .collect();
        let mut chosen = Vec::with_capacity(parts.len());
        for given in &parts {
            match stored.get(&given.part_number) {
                Some(part) if part.etag == given.etag => chosen.push(part.clone()),
                _ => return Err(INVALID_PART),
            }
        }
        let sizes: Vec<(u32, u64)> = chosen.iter().map(|p| (p.number, p.size)).collect();
        validate_part_sizes(&sizes)?;
        chosen.sort_by_key(|part| part.number);

        let version = random_id();
        let blobs = self.store.blobs.clone();
        let sources: Vec<String> = chosen.iter().map(|part| part.blob.clone()).collect();
        let joined = futures::stream::iter(sources)
            .then(move |blob| {
                let blobs = blobs.clone();
                async move { blobs.read(&blob, None).await.map_err(|e| e.to_string()) }
            })
            .try_flatten();
        let written = self
            .store
            .blobs
            .write(&version, Box::pin(joined), u64::MAX, Digests::default())
            .await?;
        let md5s: Vec<Vec<u8>> = chosen.iter().map(|part| part.md5.clone()).collect();
        let row = Row {
            info: ObjectInfo {
                key: key.to_string(),
                version: version.clone(),
                size: written.size,
                etag: multipart_etag(&md5s),
                uploaded: now_ms(),
                http_metadata: upload.http_metadata,
                custom_metadata: upload.custom_metadata,
                checksums: Checksums::default(),
            },
            blob: version.clone(),
        };
        let meta = self.store.meta.clone();
        let (owned, bucket) = (id.to_string(), self.name.clone());
        let (closed, row) = blocking(move || {
            let closed =
                meta.close_upload(&owned, UploadState::Completed, Some((&bucket, &row)))?;
            Ok((closed, row))
        })
        .await?;
        match closed {
            Some(unused) => {
                self.store.blobs.remove(unused).await;
                Ok(row.info)
            }
            None => {
                self.store.blobs.remove([version]).await;
                Err(NO_SUCH_UPLOAD)
            }
        }
    }

    /// Abandons upload `id` and its parts; one already closed is left as
    /// it is.
    pub async fn abort_multipart_upload(&self, key: &str, id: &str) -> Result<(), R2Error> {
        validate_key(key)?;
        if self.upload(key, id).await?.is_none() {
            return Err(INTERNAL);
        }
        let meta = self.store.meta.clone();
        let owned = id.to_string();
        let closed =
            blocking(move || meta.close_upload(&owned, UploadState::Aborted, None)).await?;
        self.store.blobs.remove(closed.unwrap_or_default()).await;
        Ok(())
    }
}
