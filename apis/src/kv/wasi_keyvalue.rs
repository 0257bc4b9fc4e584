//! `wasi:keyvalue` (store, atomics, batch; the 2024-10-17 draft) for Wasm
//! guests, on the Worker's KV namespaces: `open("COUNTS")` is the namespace
//! a JS Worker sees as `env.COUNTS`, so a component built for any host with
//! this interface shares its data with the Workers beside it.
//!
//! `wasmtime-wasi-keyvalue` implements the earlier draft over a map in
//! memory only, so the host side is generated here from the WIT in
//! `apis/wit/deps/wasi-keyvalue/`. Values are bytes as KV keeps them;
//! `increment` reads and writes decimal text, as a Worker would write a
//! counter, and compare-and-swap compares the stored entry byte for byte.
//! Keys keep KV's rules, whose messages come back as `error::other`.

use isola_storage::kv::{KvError, Namespace, Put, Version};
use wasmtime::component::{Linker, Resource};

use super::guest;
use crate::wit::{GuestBindings, blocking};

mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wasi:keyvalue/imports",
        imports: { default: async },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
            "wasi:keyvalue/atomics.cas": super::Cas,
        },
    });
}

use generated::wasi::keyvalue::{atomics, batch, store};
use store::Error;

/// An open bucket: one KV namespace.
pub struct Bucket(Namespace);

/// A key as a guest read it, for a compare-and-swap.
pub struct Cas {
    namespace: Namespace,
    key: String,
    read: Version,
}

/// Adds the three interfaces to `linker`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut GuestBindings,
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    generated::Imports::add_to_linker::<T, HasSelf<GuestBindings>>(linker, get)
}

fn other(error: impl ToString) -> Error {
    Error::Other(error.to_string())
}

/// Runs KV work on the blocking pool, given the time now.
async fn kv<T: Send + 'static>(
    work: impl FnOnce(u64) -> Result<T, KvError> + Send + 'static,
) -> Result<T, Error> {
    guest::run(Error::Other, work).await
}

impl GuestBindings {
    fn namespace_of(&self, bucket: &Resource<Bucket>) -> Result<Namespace, Error> {
        Ok(self.handles.get(bucket).map_err(other)?.0.clone())
    }
}

impl store::Host for GuestBindings {
    async fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, Error> {
        let namespace = self
            .worker
            .get::<Namespace>(&identifier)
            .cloned()
            .ok_or(Error::NoSuchStore)?;
        self.handles.push(Bucket(namespace)).map_err(other)
    }
}

impl store::HostBucket for GuestBindings {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Result<Option<Vec<u8>>, Error> {
        guest::get(Error::Other, self.namespace_of(&bucket)?, key).await
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        guest::set(Error::Other, self.namespace_of(&bucket)?, key, value).await
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), Error> {
        guest::delete(Error::Other, self.namespace_of(&bucket)?, key).await
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, Error> {
        guest::exists(Error::Other, self.namespace_of(&bucket)?, key).await
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> Result<store::KeyResponse, Error> {
        let namespace = self.namespace_of(&bucket)?;
        let page = kv(move |now| namespace.list_page("", None, cursor.as_deref(), now)).await?;
        Ok(store::KeyResponse {
            keys: page.keys.into_iter().map(|key| key.name).collect(),
            cursor: page.cursor,
        })
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.handles.delete(bucket)?;
        Ok(())
    }
}

impl GuestBindings {
    /// A handle to `key` as it is now.
    async fn read_for_swap(
        &mut self,
        namespace: Namespace,
        key: String,
    ) -> Result<Resource<Cas>, Error> {
        let (namespace, key, read) = kv(move |now| {
            let read = namespace.version(&key, now)?;
            Ok((namespace, key, read))
        })
        .await?;
        let cas = Cas {
            namespace,
            key,
            read,
        };
        self.handles.push(cas).map_err(other)
    }
}

impl atomics::Host for GuestBindings {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> Result<i64, Error> {
        let namespace = self.namespace_of(&bucket)?;
        let now = isola_storage::unix_now();
        let sum = move || namespace.increment(&key, delta, now).map_err(other);
        blocking(sum, Error::Other).await
    }

    async fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> Result<(), atomics::CasError> {
        let Cas {
            namespace,
            key,
            read,
        } = self
            .handles
            .delete(cas)
            .map_err(|e| atomics::CasError::StoreError(other(e)))?;
        let put = Put {
            value,
            ..Put::default()
        };
        let (namespace, key, swapped) = kv(move |now| {
            let swapped = namespace.swap(&key, &read, put, now)?;
            Ok((namespace, key, swapped))
        })
        .await
        .map_err(atomics::CasError::StoreError)?;
        if swapped {
            return Ok(());
        }
        // The key changed since it was read: a fresh handle to retry with.
        let fresh = self
            .read_for_swap(namespace, key)
            .await
            .map_err(atomics::CasError::StoreError)?;
        Err(atomics::CasError::CasFailed(fresh))
    }
}

impl atomics::HostCas for GuestBindings {
    async fn new(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Resource<Cas>, Error> {
        let namespace = self.namespace_of(&bucket)?;
        self.read_for_swap(namespace, key).await
    }

    async fn current(&mut self, cas: Resource<Cas>) -> Result<Option<Vec<u8>>, Error> {
        let cas = self.handles.get(&cas).map_err(other)?;
        Ok(cas.read.entry().map(|entry| entry.value.clone()))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.handles.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for GuestBindings {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        let namespace = self.namespace_of(&bucket)?;
        kv(move |now| {
            keys.into_iter()
                .map(|key| {
                    let value = namespace.read(&key, now)?.map(|entry| entry.value);
                    Ok((key, value))
                })
                .collect()
        })
        .await
    }

    /// Every pair is checked first; then all are written at once.
    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), Error> {
        let namespace = self.namespace_of(&bucket)?;
        kv(move |now| {
            let entries = key_values
                .into_iter()
                .map(|(key, value)| {
                    let put = Put {
                        value,
                        ..Put::default()
                    };
                    let entry = put.check(&key, now)?;
                    Ok((key, entry))
                })
                .collect::<Result<Vec<_>, KvError>>()?;
            Ok(namespace.put_many(&entries)?)
        })
        .await
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<(), Error> {
        let namespace = self.namespace_of(&bucket)?;
        kv(move |_| keys.iter().try_for_each(|key| namespace.remove(key))).await
    }
}
