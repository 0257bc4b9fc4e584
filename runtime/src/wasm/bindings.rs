//! KV and D1 for guests: the host side of `bindings/wit/isola.wit`. A guest
//! names a binding as a JS Worker's `env` does; the call reaches the same
//! store a JS Worker's `KVNamespace` or `D1Database` would, with the same
//! checks and messages, and runs on tokio's blocking pool so that a flush to
//! disk never stalls the threads serving requests.

use isola_kv::d1::{self, D1Error};
use isola_kv::{KvError, kv as store};

use super::GuestState;

wasmtime::component::bindgen!({
    path: "../bindings/wit",
    world: "bindings",
    imports: { default: async },
});

pub use self::Bindings as Imports;
use self::isola::bindings::{d1 as wit_d1, kv as wit_kv};

/// Runs `work` on the blocking pool; a panic there is the store's failure.
async fn blocking<T: Send + 'static, E: Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
    failed: impl FnOnce(String) -> E,
) -> Result<T, E> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(failed(e.to_string())))
}

impl GuestState {
    fn namespace(&self, binding: &str) -> Result<store::Namespace, wit_kv::Error> {
        self.bindings.kv(binding).cloned().ok_or_else(|| {
            wit_kv::Error::NoSuchBinding(format!("No KV namespace is bound as {binding}"))
        })
    }

    fn database(&self, binding: &str) -> Result<d1::D1Database, wit_d1::Error> {
        self.bindings.d1(binding).cloned().ok_or_else(|| {
            wit_d1::Error::NoSuchBinding(format!("No D1 database is bound as {binding}"))
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

impl wit_kv::Host for GuestState {
    async fn get(
        &mut self,
        binding: String,
        key: String,
    ) -> Result<Option<wit_kv::Entry>, wit_kv::Error> {
        let ns = self.namespace(&binding)?;
        let entry = kv(move || ns.read(&key, isola_kv::unix_now())).await?;
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
        kv(move || ns.write(&key, put, isola_kv::unix_now())).await
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
                isola_kv::unix_now(),
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

fn statement(statement: wit_d1::Statement) -> d1::Statement {
    let params = statement
        .params
        .into_iter()
        .map(|value| match value {
            wit_d1::Value::Null => d1::Value::Null,
            wit_d1::Value::Integer(n) => d1::Value::Integer(n),
            wit_d1::Value::Real(x) => d1::Value::Real(x),
            wit_d1::Value::Text(s) => d1::Value::Text(s),
            wit_d1::Value::Blob(b) => d1::Value::Blob(b),
        })
        .collect();
    d1::Statement::new(statement.sql, params)
}

fn rows(result: d1::QueryResult) -> wit_d1::Rows {
    let value = |value| match value {
        d1::Value::Null => wit_d1::Value::Null,
        d1::Value::Integer(n) => wit_d1::Value::Integer(n),
        d1::Value::Real(x) => wit_d1::Value::Real(x),
        d1::Value::Text(s) => wit_d1::Value::Text(s),
        d1::Value::Blob(b) => wit_d1::Value::Blob(b),
    };
    wit_d1::Rows {
        columns: result.columns,
        rows: result
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(value).collect())
            .collect(),
        changes: result.meta.changes,
        last_row_id: result.meta.last_row_id,
        rows_read: result.meta.rows_read,
        rows_written: result.meta.rows_written,
    }
}

async fn query<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, D1Error> + Send + 'static,
) -> Result<T, wit_d1::Error> {
    let work = move || work().map_err(|e| wit_d1::Error::Query(e.to_string()));
    blocking(work, |e| wit_d1::Error::Query(format!("D1_ERROR: {e}"))).await
}

impl wit_d1::Host for GuestState {
    async fn query(
        &mut self,
        binding: String,
        sql: wit_d1::Statement,
    ) -> Result<wit_d1::Rows, wit_d1::Error> {
        let db = self.database(&binding)?;
        let statement = statement(sql);
        query(move || db.run(&statement)).await.map(rows)
    }

    async fn batch(
        &mut self,
        binding: String,
        statements: Vec<wit_d1::Statement>,
    ) -> Result<Vec<wit_d1::Rows>, wit_d1::Error> {
        let db = self.database(&binding)?;
        let statements: Vec<_> = statements.into_iter().map(statement).collect();
        let results = query(move || db.batch(&statements)).await?;
        Ok(results.into_iter().map(rows).collect())
    }

    async fn exec(&mut self, binding: String, sql: String) -> Result<u32, wit_d1::Error> {
        let db = self.database(&binding)?;
        let ran = query(move || db.exec(&sql)).await?;
        Ok(u32::try_from(ran.count).unwrap_or(u32::MAX))
    }
}
