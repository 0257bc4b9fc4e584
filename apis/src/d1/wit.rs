//! D1 for Wasm guests: `isola:bindings/d1` on the same databases, with the
//! same errors, as `D1Database`.

use isola_storage::d1::{self, D1Error};

use crate::wit::isola::bindings::d1 as wit_d1;
use crate::wit::{GuestBindings, blocking};

impl GuestBindings {
    fn database(&self, binding: &str) -> Result<d1::D1Database, wit_d1::Error> {
        self.worker
            .get::<d1::D1Database>(binding)
            .cloned()
            .ok_or_else(|| {
                wit_d1::Error::NoSuchBinding(format!("No D1 database is bound as {binding}"))
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

impl wit_d1::Host for GuestBindings {
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
