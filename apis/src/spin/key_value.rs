//! `fermyon:spin/key-value`: a Spin store is the KV namespace bound under
//! its label. Values are KV's bytes, under KV's key rules, whose messages
//! come back as `error::other`.

use isola_storage::kv::{KvError, Namespace, Put};
use wasmtime::component::Resource;

use super::generated::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::wit::{GuestBindings, blocking};

/// An open store.
pub struct Store(Namespace);

fn other(error: impl ToString) -> Error {
    Error::Other(error.to_string())
}

/// Runs KV work on the blocking pool, given the time now.
async fn kv<T: Send + 'static>(
    work: impl FnOnce(u64) -> Result<T, KvError> + Send + 'static,
) -> Result<T, Error> {
    blocking(
        move || work(isola_storage::unix_now()).map_err(other),
        Error::Other,
    )
    .await
}

impl GuestBindings {
    fn store(&self, store: &Resource<Store>) -> Result<Namespace, Error> {
        Ok(self.handles.get(store).map_err(other)?.0.clone())
    }
}

impl Host for GuestBindings {}

impl HostStore for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Store>, Error> {
        let bound = self
            .worker
            .get::<Namespace>(&super::key_value_binding(&label))
            .cloned();
        let namespace = match bound {
            Some(_) if !self.spin.key_value_stores.contains(&label) => {
                return Err(Error::AccessDenied);
            }
            Some(namespace) => namespace,
            None => return Err(Error::NoSuchStore),
        };
        self.handles.push(Store(namespace)).map_err(other)
    }

    async fn get(&mut self, store: Resource<Store>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let namespace = self.store(&store)?;
        kv(move |now| Ok(namespace.read(&key, now)?.map(|entry| entry.value))).await
    }

    async fn set(
        &mut self,
        store: Resource<Store>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        let namespace = self.store(&store)?;
        let put = Put {
            value,
            ..Put::default()
        };
        kv(move |now| namespace.write(&key, put, now)).await
    }

    async fn delete(&mut self, store: Resource<Store>, key: String) -> Result<(), Error> {
        let namespace = self.store(&store)?;
        kv(move |_| namespace.remove(&key)).await
    }

    async fn exists(&mut self, store: Resource<Store>, key: String) -> Result<bool, Error> {
        let namespace = self.store(&store)?;
        kv(move |now| Ok(namespace.read(&key, now)?.is_some())).await
    }

    /// Every key, read page by page.
    async fn get_keys(&mut self, store: Resource<Store>) -> Result<Vec<String>, Error> {
        let namespace = self.store(&store)?;
        kv(move |now| {
            let mut keys = Vec::new();
            let mut cursor = None;
            loop {
                let page = namespace.list_page("", None, cursor.as_deref(), now)?;
                keys.extend(page.keys.into_iter().map(|key| key.name));
                match page.cursor {
                    Some(next) => cursor = Some(next),
                    None => return Ok(keys),
                }
            }
        })
        .await
    }

    async fn drop(&mut self, store: Resource<Store>) -> wasmtime::Result<()> {
        self.handles.delete(store)?;
        Ok(())
    }
}
