//! KV for Wasm guests: `isola:bindings/kv` on the same namespaces, checks
//! and messages as `KVNamespace`.

use isola_storage::KvError;
use isola_storage::kv::{self as store, Namespace};

use crate::wit::isola::bindings::kv as wit_kv;
use crate::wit::{GuestBindings, blocking};

impl GuestBindings {
    fn namespace(&self, binding: &str) -> Result<Namespace, wit_kv::Error> {
        self.worker
            .get::<Namespace>(binding)
            .cloned()
            .ok_or_else(|| {
                wit_kv::Error::NoSuchBinding(format!("No KV namespace is bound as {binding}"))
            })
    }
}

fn kv_error(error: KvError) -> wit_kv::Error {
    match error {
        KvError::Store(e) => wit_kv::Error::Store(e.to_string()),
        invalid => wit_kv::Error::Invalid(invalid.to_string()),
    }
}

async fn kv<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KvError> + Send + 'static,
) -> Result<T, wit_kv::Error> {
    blocking(move || work().map_err(kv_error), wit_kv::Error::Store).await
}

impl wit_kv::Host for GuestBindings {
    async fn get(
        &mut self,
        binding: String,
        key: String,
    ) -> Result<Option<wit_kv::Entry>, wit_kv::Error> {
        let ns = self.namespace(&binding)?;
        let entry = kv(move || ns.read(&key, isola_storage::unix_now())).await?;
        Ok(entry.map(|e| wit_kv::Entry {
            value: e.value,
            metadata: e.metadata,
            expiration: e.expiration,
        }))
    }

    async fn put(
        &mut self,
        binding: String,
        key: String,
        value: Vec<u8>,
        options: wit_kv::PutOptions,
    ) -> Result<(), wit_kv::Error> {
        let ns = self.namespace(&binding)?;
        let put = store::Put {
            value,
            metadata: options.metadata,
            expiration: options.expiration,
            expiration_ttl: options.expiration_ttl,
        };
        kv(move || ns.write(&key, put, isola_storage::unix_now())).await
    }

    async fn delete(&mut self, binding: String, key: String) -> Result<(), wit_kv::Error> {
        let ns = self.namespace(&binding)?;
        kv(move || ns.remove(&key)).await
    }

    async fn list(
        &mut self,
        binding: String,
        options: wit_kv::ListOptions,
    ) -> Result<wit_kv::KeyPage, wit_kv::Error> {
        let ns = self.namespace(&binding)?;
        let page = kv(move || {
            ns.list_page(
                options.prefix.as_deref().unwrap_or(""),
                options.limit.map(i64::from),
                options.cursor.as_deref(),
                isola_storage::unix_now(),
            )
        })
        .await?;
        Ok(wit_kv::KeyPage {
            keys: page
                .keys
                .into_iter()
                .map(|k| wit_kv::Key {
                    name: k.name,
                    expiration: k.expiration,
                    metadata: k.metadata,
                })
                .collect(),
            cursor: page.cursor,
        })
    }
}
