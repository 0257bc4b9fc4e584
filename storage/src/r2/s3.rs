//! Where R2 keeps object bytes when hosts share them: an S3-compatible
//! bucket (AWS S3, MinIO, Ceph, R2 itself), named by a URL:
//!
//! ```text
//! s3://BUCKET[/PREFIX]?endpoint=http://host:port&region=us-east-1
//! ```
//!
//! `endpoint` is left out for AWS itself, and `region` defaults to
//! `us-east-1`. Credentials come from the environment as the AWS tools
//! take them (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`), never from the URL, so that they stay out of
//! config files.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};

use super::R2Error;

/// How long one request to the bucket may take before it fails. Bodies
/// move in parts of a few MiB, so this bounds a part, not an object.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An S3 bucket (and prefix in it), as a URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: String,
}

impl S3Location {
    /// Reads `s3://BUCKET[/PREFIX]?endpoint=…&region=…`.
    pub fn parse(text: &str) -> Result<Self, R2Error> {
        let bad = |why: &str| R2Error::storage(format!("{text:?} is not an S3 bucket URL: {why}"));
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "s3" {
            return Err(bad("give s3://bucket?endpoint=…"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "it carries credentials: give them in AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY instead",
            ));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("it names no bucket"))?
            .to_string();
        let prefix = url.path().trim_matches('/').to_string();
        let mut location = Self {
            bucket,
            prefix,
            endpoint: None,
            region: "us-east-1".into(),
        };
        for (name, value) in url.query_pairs() {
            match &*name {
                "endpoint" => location.endpoint = Some(value.trim_end_matches('/').to_string()),
                "region" => location.region = value.into_owned(),
                other => {
                    return Err(bad(&format!(
                        "unknown parameter `{other}` (it takes `endpoint` and `region`; \
                         credentials come from the environment)"
                    )));
                }
            }
        }
        Ok(location)
    }

    /// The URL without anything secret, for messages and `isola stats`.
    pub fn describe(&self) -> String {
        let path = if self.prefix.is_empty() {
            self.bucket.clone()
        } else {
            format!("{}/{}", self.bucket, self.prefix)
        };
        match &self.endpoint {
            Some(endpoint) => format!("s3://{path} at {endpoint}"),
            None => format!("s3://{path}"),
        }
    }

    /// A client for the bucket, credentials from the environment.
    pub(crate) fn connect(&self) -> Result<Arc<dyn ObjectStore>, R2Error> {
        let named = |e: object_store::Error| R2Error::storage(format!("{}: {e}", self.describe()));
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_client_options(ClientOptions::new().with_timeout(REQUEST_TIMEOUT))
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: REQUEST_TIMEOUT,
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &self.endpoint {
            // Without keys the client would ask EC2's metadata service,
            // which only AWS's own machines answer.
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                return Err(R2Error::storage(format!(
                    "{}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    self.describe()
                )));
            }
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(named)?;
        Ok(if self.prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(PrefixStore::new(store, self.prefix.as_str()))
        })
    }
}
