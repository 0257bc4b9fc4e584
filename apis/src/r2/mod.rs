//! R2 as a binding (`[[r2_buckets]]` → `env.BUCKET`, an `R2Bucket`).
//!
//! - `r2.js`: `R2Bucket`, `R2Object`, `R2ObjectBody` and
//!   `R2MultipartUpload`, with workerd's argument checks and errors
//!   (`<method>: <message> (<code>)`);
//! - [`ops`]: `op_r2_*`, which stream bodies between the Worker and the
//!   store;
//! - the store: [`isola_storage::r2`].
//!
//! Black-box tests: `tests.rs` beside this file.

mod ops;

use std::path::Path;
use std::sync::Arc;

use isola_storage::r2::{Bucket, R2Store, S3Location};
use serde::Deserialize;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::stores::{SharedStorage, Store, Stores};

/// The `r2_buckets` kind.
pub struct R2Buckets;

/// An R2 bucket binding from a Worker's config (`[[r2_buckets]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R2Binding {
    pub binding: String,
    /// `bucket_name` (or the binding's name when there is none): the
    /// bucket local state is kept under.
    pub bucket: String,
}

/// An `[[r2_buckets]]` entry as wrangler writes it.
#[derive(Deserialize)]
struct RawR2Bucket {
    binding: String,
    bucket_name: Option<String>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; local state has one bucket"
    )]
    preview_bucket_name: Option<String>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; a jurisdiction places data on Cloudflare only"
    )]
    jurisdiction: Option<String>,
}

impl BindingKind for R2Buckets {
    fn key(&self) -> &'static str {
        "r2_buckets"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        _dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let raw: Vec<RawR2Bucket> = entries(self.key(), value)?;
        Ok(raw
            .into_iter()
            .map(|b| {
                Arc::new(R2Binding {
                    bucket: b.bucket_name.unwrap_or_else(|| b.binding.clone()),
                    binding: b.binding,
                }) as Arc<dyn Binding>
            })
            .collect())
    }

    fn extension(&self) -> deno_core::Extension {
        ops::isola_r2::init()
    }
}

impl Binding for R2Binding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("r2_bucket", ())
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.bucket.clone(),
            kind: "R2 Bucket",
        }
    }

    fn prepare(&self, stores: &Stores) -> Result<Option<Prepared>, String> {
        let bucket: Bucket = stores
            .get::<R2Store>()?
            .bucket(&self.bucket)
            .map_err(|e| e.to_string())?;
        Ok(Some(Arc::new(bucket)))
    }
}

impl Store for R2Store {
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String> {
        match (&shared.r2, &shared.kv, dir) {
            (Some(bucket), Some(database), _) => {
                S3Location::parse(bucket).and_then(|bucket| R2Store::shared(&bucket, database))
            }
            (Some(_), None, _) => {
                return Err("R2 in an S3 bucket keeps what it knows of objects in KV's \
                            PostgreSQL database: name it too"
                    .into());
            }
            (None, _, Some(dir)) => R2Store::open(dir),
            (None, _, None) => R2Store::memory(),
        }
        .map_err(|e| e.to_string())
    }
}
