//! `fermyon:spin/sqlite`: a Spin database is the D1 database bound under
//! its label, so its statements, types and errors are D1's SQLite.

use isola_storage::d1::{self, D1Database};
use wasmtime::component::Resource;

use super::Refused;
use super::generated::fermyon::spin::sqlite::{
    Error, Host, HostConnection, QueryResult, RowResult, Value,
};
use crate::wit::{GuestBindings, blocking};

/// An open connection.
pub struct Connection(D1Database);

fn io(error: impl ToString) -> Error {
    Error::Io(error.to_string())
}

fn to_d1(value: Value) -> d1::Value {
    match value {
        Value::Integer(n) => d1::Value::Integer(n),
        Value::Real(x) => d1::Value::Real(x),
        Value::Text(s) => d1::Value::Text(s),
        Value::Blob(b) => d1::Value::Blob(b),
        Value::Null => d1::Value::Null,
    }
}

fn from_d1(value: d1::Value) -> Value {
    match value {
        d1::Value::Integer(n) => Value::Integer(n),
        d1::Value::Real(x) => Value::Real(x),
        d1::Value::Text(s) => Value::Text(s),
        d1::Value::Blob(b) => Value::Blob(b),
        d1::Value::Null => Value::Null,
    }
}

impl Host for GuestBindings {}

impl HostConnection for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Connection>, Error> {
        let granted = self.spin.sqlite_databases.contains(&label);
        let database = self
            .spin_bound::<D1Database>(&super::sqlite_binding(&label), granted)
            .map_err(|refused| match refused {
                Refused::Unknown => Error::NoSuchDatabase,
                Refused::Denied => Error::AccessDenied,
            })?;
        self.handles.push(Connection(database)).map_err(io)
    }

    async fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> Result<QueryResult, Error> {
        let database = self
            .handles
            .get(&connection)
            .map_err(|_| Error::InvalidConnection)?
            .0
            .clone();
        let statement = d1::Statement::new(statement, parameters.into_iter().map(to_d1).collect());
        let result = blocking(move || database.run(&statement).map_err(io), Error::Io).await?;
        Ok(QueryResult {
            columns: result.columns,
            rows: result
                .rows
                .into_iter()
                .map(|row| RowResult {
                    values: row.into_iter().map(from_d1).collect(),
                })
                .collect(),
        })
    }

    async fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.handles.delete(connection)?;
        Ok(())
    }
}
