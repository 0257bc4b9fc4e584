//! `fermyon:spin/key-value`: a Spin store is the KV namespace bound under
//! its label. Values are KV's bytes, under KV's key rules, whose messages
//! come back as `error::other`.

use isola_storage::kv::Namespace;
use wasmtime::component::Resource;

use super::Refused;
use super::generated::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::kv::guest;
use crate::wit::GuestBindings;

/// An open store.
pub struct Store(Namespace);

fn other(error: impl ToString) -> Error {
    Error::Other(error.to_string())
}

impl GuestBindings {
    fn store(&self, store: &Resource<Store>) -> Result<Namespace, Error> {
        Ok(self.handles.get(store).map_err(other)?.0.clone())
    }
}

impl Host for GuestBindings {}

impl HostStore for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Store>, Error> {
        let granted = self.spin.key_value_stores.contains(&label);
        let namespace = self
            .spin_bound::<Namespace>(&super::key_value_binding(&label), granted)
            .map_err(|refused| match refused {
                Refused::Unknown => Error::NoSuchStore,
                Refused::Denied => Error::AccessDenied,
            })?;
        self.handles.push(Store(namespace)).map_err(other)
    }

    async fn get(&mut self, store: Resource<Store>, key: String) -> Result<Option<Vec<u8>>, Error> {
        guest::get(Error::Other, self.store(&store)?, key).await
    }

    async fn set(
        &mut self,
        store: Resource<Store>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        guest::set(Error::Other, self.store(&store)?, key, value).await
    }

    async fn delete(&mut self, store: Resource<Store>, key: String) -> Result<(), Error> {
        guest::delete(Error::Other, self.store(&store)?, key).await
    }

    async fn exists(&mut self, store: Resource<Store>, key: String) -> Result<bool, Error> {
        guest::exists(Error::Other, self.store(&store)?, key).await
    }

    /// Every key, read page by page.
    async fn get_keys(&mut self, store: Resource<Store>) -> Result<Vec<String>, Error> {
        let namespace = self.store(&store)?;
        guest::run(Error::Other, move |now| {
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
