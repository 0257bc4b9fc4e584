//! Spin's key-value (`fermyon:spin/key-value@2.0.0` and
//! `spin:key-value/key-value@3.0.0`): a Spin store is the KV namespace
//! bound under its label. Values are KV's bytes, under KV's key rules,
//! whose messages come back as `error::other`.

use isola_storage::kv::{KvError, Namespace};
use wasmtime::component::{Accessor, FutureReader, HasSelf, Resource, StreamReader};

use super::Refused;
use super::generated::fermyon::spin::key_value as v2;
use super::generated3::spin::key_value::key_value as v3;
use crate::kv::guest;
use crate::wit::GuestBindings;

/// An open store.
pub struct Store(Namespace);

impl GuestBindings {
    /// The store `label`, if the app binds it and this component may open it.
    fn open_store(&mut self, label: &str) -> Result<Resource<Store>, StoreError> {
        let granted = self.spin.key_value_stores.contains(label);
        let namespace = self
            .spin_bound::<Namespace>(&super::key_value_binding(label), granted)
            .map_err(StoreError::Refused)?;
        // The table refuses a handle only when it is full.
        self.handles
            .push(Store(namespace))
            .map_err(|_| StoreError::TableFull)
    }

    fn store(&self, store: &Resource<Store>) -> Result<Namespace, String> {
        Ok(self
            .handles
            .get(store)
            .map_err(|e| e.to_string())?
            .0
            .clone())
    }
}

/// Why a store cannot be opened, in either version's terms.
enum StoreError {
    Refused(Refused),
    TableFull,
}

/// Every key of `namespace`, read page by page.
fn all_keys(namespace: &Namespace, now: u64) -> Result<Vec<String>, KvError> {
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
}

/// Each version's error for a [`StoreError`]; their variants are alike.
macro_rules! store_error {
    ($version:ident) => {
        impl From<StoreError> for $version::Error {
            fn from(error: StoreError) -> Self {
                match error {
                    StoreError::Refused(Refused::Unknown) => Self::NoSuchStore,
                    StoreError::Refused(Refused::Denied) => Self::AccessDenied,
                    StoreError::TableFull => Self::StoreTableFull,
                }
            }
        }
    };
}

store_error!(v2);
store_error!(v3);

impl v2::Host for GuestBindings {}

impl v2::HostStore for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Store>, v2::Error> {
        Ok(self.open_store(&label)?)
    }

    async fn get(
        &mut self,
        store: Resource<Store>,
        key: String,
    ) -> Result<Option<Vec<u8>>, v2::Error> {
        let namespace = self.store(&store).map_err(v2::Error::Other)?;
        guest::get(v2::Error::Other, namespace, key).await
    }

    async fn set(
        &mut self,
        store: Resource<Store>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), v2::Error> {
        let namespace = self.store(&store).map_err(v2::Error::Other)?;
        guest::set(v2::Error::Other, namespace, key, value).await
    }

    async fn delete(&mut self, store: Resource<Store>, key: String) -> Result<(), v2::Error> {
        let namespace = self.store(&store).map_err(v2::Error::Other)?;
        guest::delete(v2::Error::Other, namespace, key).await
    }

    async fn exists(&mut self, store: Resource<Store>, key: String) -> Result<bool, v2::Error> {
        let namespace = self.store(&store).map_err(v2::Error::Other)?;
        guest::exists(v2::Error::Other, namespace, key).await
    }

    async fn get_keys(&mut self, store: Resource<Store>) -> Result<Vec<String>, v2::Error> {
        let namespace = self.store(&store).map_err(v2::Error::Other)?;
        guest::run(v2::Error::Other, move |now| all_keys(&namespace, now)).await
    }

    async fn drop(&mut self, store: Resource<Store>) -> wasmtime::Result<()> {
        self.handles.delete(store)?;
        Ok(())
    }
}

/// The namespace behind `store`, from the instance's bindings.
fn namespace_of<T>(
    accessor: &Accessor<T, HasSelf<GuestBindings>>,
    store: &Resource<Store>,
) -> Result<Namespace, v3::Error> {
    accessor
        .with(|mut access| access.get().store(store))
        .map_err(v3::Error::Other)
}

impl v3::Host for GuestBindings {}

impl v3::HostStore for GuestBindings {
    async fn drop(&mut self, store: Resource<Store>) -> wasmtime::Result<()> {
        self.handles.delete(store)?;
        Ok(())
    }
}

impl<T> v3::HostStoreWithStore<T> for HasSelf<GuestBindings> {
    async fn open(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> Result<Resource<Store>, v3::Error> {
        Ok(accessor.with(|mut access| access.get().open_store(&label))?)
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        store: Resource<Store>,
        key: String,
    ) -> Result<Option<Vec<u8>>, v3::Error> {
        guest::get(v3::Error::Other, namespace_of(accessor, &store)?, key).await
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        store: Resource<Store>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), v3::Error> {
        guest::set(
            v3::Error::Other,
            namespace_of(accessor, &store)?,
            key,
            value,
        )
        .await
    }

    async fn delete(
        accessor: &Accessor<T, Self>,
        store: Resource<Store>,
        key: String,
    ) -> Result<(), v3::Error> {
        guest::delete(v3::Error::Other, namespace_of(accessor, &store)?, key).await
    }

    async fn exists(
        accessor: &Accessor<T, Self>,
        store: Resource<Store>,
        key: String,
    ) -> Result<bool, v3::Error> {
        guest::exists(v3::Error::Other, namespace_of(accessor, &store)?, key).await
    }

    /// Every key, streamed once read; a failure to read them ends the
    /// stream empty and resolves the future with the error.
    async fn get_keys(
        accessor: &Accessor<T, Self>,
        store: Resource<Store>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), v3::Error>>)> {
        let keys = async {
            let namespace = namespace_of(accessor, &store)?;
            guest::run(v3::Error::Other, move |now| all_keys(&namespace, now)).await
        };
        let (keys, result) = match keys.await {
            Ok(keys) => (keys, Ok(())),
            Err(error) => (Vec::new(), Err(error)),
        };
        accessor.with(|mut access| {
            let keys = StreamReader::new(&mut access, keys)?;
            let result =
                FutureReader::new(&mut access, async { Ok::<_, wasmtime::Error>(result) })?;
            Ok((keys, result))
        })
    }
}
