//! Spin's SQLite (`fermyon:spin/sqlite@2.0.0` and
//! `spin:sqlite/sqlite@3.1.0`): a Spin database is the D1 database bound
//! under its label, so its statements, types and errors are D1's SQLite.
//! A statement runs to its end on the blocking pool before its rows are
//! given back, in a list (2.0.0, and 3.x's `execute`) or a stream
//! (`execute-async`); D1's limits on a result's size apply to both.

use isola_storage::d1::{self, D1Database};
use wasmtime::component::{Accessor, FutureReader, HasSelf, Resource, StreamReader};

use super::Refused;
use super::generated::fermyon::spin::sqlite as v2;
use super::generated3::spin::sqlite::sqlite as v3;
use crate::wit::{GuestBindings, blocking};

/// An open connection: its database, and what its last `INSERT`,
/// `UPDATE` or `DELETE` left (`last-insert-rowid`, `changes`), as SQLite
/// keeps them per connection. The D1 database's own SQLite connection is
/// shared by every Worker and app, so each Spin connection keeps its own.
pub struct Connection {
    database: D1Database,
    last_write: LastWrite,
}

#[derive(Clone, Copy, Default)]
struct LastWrite {
    rowid: Option<i64>,
    changes: u64,
}

/// Why a statement could not run, in either version's terms.
enum SqlError {
    Refused(Refused),
    InvalidConnection,
    Io(String),
}

/// What a statement returned: its columns and rows, as D1 gives them.
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<d1::Value>>,
}

impl GuestBindings {
    fn open_database(&mut self, label: &str) -> Result<Resource<Connection>, SqlError> {
        let granted = self.spin.sqlite_databases.contains(label);
        let database = self
            .spin_bound::<D1Database>(&super::sqlite_binding(label), granted)
            .map_err(SqlError::Refused)?;
        let connection = Connection {
            database,
            last_write: LastWrite::default(),
        };
        self.handles
            .push(connection)
            .map_err(|e| SqlError::Io(e.to_string()))
    }

    fn connection(&self, connection: &Resource<Connection>) -> Result<&Connection, SqlError> {
        self.handles
            .get(connection)
            .map_err(|_| SqlError::InvalidConnection)
    }

    fn connection_database(
        &self,
        connection: &Resource<Connection>,
    ) -> Result<D1Database, SqlError> {
        Ok(self.connection(connection)?.database.clone())
    }

    fn last_write(&self, connection: &Resource<Connection>) -> LastWrite {
        self.connection(connection)
            .map(|connection| connection.last_write)
            .unwrap_or_default()
    }

    /// Keeps what a statement on `connection` wrote, if it wrote.
    fn record(&mut self, connection: &Resource<Connection>, wrote: Option<LastWrite>) {
        if let (Some(wrote), Ok(connection)) = (wrote, self.handles.get_mut(connection)) {
            let last = &mut connection.last_write;
            last.changes = wrote.changes;
            last.rowid = wrote.rowid.or(last.rowid);
        }
    }
}

/// Runs `statement` with `parameters` on the blocking pool, and records
/// what it wrote on the connection.
async fn execute(
    database: D1Database,
    statement: String,
    parameters: Vec<d1::Value>,
) -> Result<(Rows, Option<LastWrite>), SqlError> {
    let statement = d1::Statement::new(statement, parameters);
    let result = blocking(
        move || {
            database
                .run(&statement)
                .map_err(|e| SqlError::Io(e.to_string()))
        },
        SqlError::Io,
    )
    .await?;
    // Only an INSERT, UPDATE or DELETE sets what `changes` reports, and
    // only an insert the rowid, as SQLite does on a connection.
    let wrote = result.meta.dml_changes.map(|changes| LastWrite {
        rowid: result.meta.inserted_row_id,
        changes,
    });
    Ok((
        Rows {
            columns: result.columns,
            rows: result.rows,
        },
        wrote,
    ))
}

/// The conversions between one version's `value` and D1's, and of its
/// errors from [`SqlError`]; the two versions' types are the same shape.
macro_rules! version_types {
    ($version:ident) => {
        impl From<$version::Value> for d1::Value {
            fn from(value: $version::Value) -> Self {
                match value {
                    $version::Value::Integer(n) => Self::Integer(n),
                    $version::Value::Real(x) => Self::Real(x),
                    $version::Value::Text(s) => Self::Text(s),
                    $version::Value::Blob(b) => Self::Blob(b),
                    $version::Value::Null => Self::Null,
                }
            }
        }

        impl From<d1::Value> for $version::Value {
            fn from(value: d1::Value) -> Self {
                match value {
                    d1::Value::Integer(n) => Self::Integer(n),
                    d1::Value::Real(x) => Self::Real(x),
                    d1::Value::Text(s) => Self::Text(s),
                    d1::Value::Blob(b) => Self::Blob(b),
                    d1::Value::Null => Self::Null,
                }
            }
        }

        impl From<SqlError> for $version::Error {
            fn from(error: SqlError) -> Self {
                match error {
                    SqlError::Refused(Refused::Unknown) => Self::NoSuchDatabase,
                    SqlError::Refused(Refused::Denied) => Self::AccessDenied,
                    SqlError::InvalidConnection => Self::InvalidConnection,
                    SqlError::Io(message) => Self::Io(message),
                }
            }
        }

        impl $version::RowResult {
            fn of(row: Vec<d1::Value>) -> Self {
                Self {
                    values: row.into_iter().map(Into::into).collect(),
                }
            }
        }

        impl From<Rows> for $version::QueryResult {
            fn from(rows: Rows) -> Self {
                Self {
                    columns: rows.columns,
                    rows: rows.rows.into_iter().map($version::RowResult::of).collect(),
                }
            }
        }
    };
}

version_types!(v2);
version_types!(v3);

/// Runs a statement on `connection` of `bindings`: its rows.
async fn run_on(
    bindings: &mut GuestBindings,
    connection: &Resource<Connection>,
    statement: String,
    parameters: Vec<d1::Value>,
) -> Result<Rows, SqlError> {
    let (rows, wrote) = execute(
        bindings.connection_database(connection)?,
        statement,
        parameters,
    )
    .await?;
    bindings.record(connection, wrote);
    Ok(rows)
}

impl v2::Host for GuestBindings {}

impl v2::HostConnection for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Connection>, v2::Error> {
        Ok(self.open_database(&label)?)
    }

    async fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> Result<v2::QueryResult, v2::Error> {
        let parameters = parameters.into_iter().map(Into::into).collect();
        Ok(run_on(self, &connection, statement, parameters)
            .await?
            .into())
    }

    async fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.handles.delete(connection)?;
        Ok(())
    }
}

impl v3::Host for GuestBindings {}

impl v3::HostConnection for GuestBindings {
    async fn open(&mut self, label: String) -> Result<Resource<Connection>, v3::Error> {
        Ok(self.open_database(&label)?)
    }

    async fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> Result<v3::QueryResult, v3::Error> {
        let parameters = parameters.into_iter().map(Into::into).collect();
        Ok(run_on(self, &connection, statement, parameters)
            .await?
            .into())
    }

    async fn last_insert_rowid(&mut self, connection: Resource<Connection>) -> i64 {
        self.last_write(&connection).rowid.unwrap_or(0)
    }

    async fn changes(&mut self, connection: Resource<Connection>) -> u64 {
        self.last_write(&connection).changes
    }

    async fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.handles.delete(connection)?;
        Ok(())
    }
}

impl<T> v3::HostConnectionWithStore<T> for HasSelf<GuestBindings> {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> Result<Resource<Connection>, v3::Error> {
        Ok(accessor.with(|mut access| access.get().open_database(&label))?)
    }

    /// The statement's columns and its rows as a stream; the statement
    /// has run by then, so the future resolves `ok`.
    async fn execute_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> wasmtime::Result<
        Result<
            (
                Vec<String>,
                StreamReader<v3::RowResult>,
                FutureReader<Result<(), v3::Error>>,
            ),
            v3::Error,
        >,
    > {
        let parameters = parameters.into_iter().map(Into::into).collect();
        let executed = async {
            let database =
                accessor.with(|mut access| access.get().connection_database(&connection))?;
            execute(database, statement, parameters).await
        };
        let (rows, wrote) = match executed.await {
            Ok(executed) => executed,
            Err(error) => return Ok(Err(error.into())),
        };
        accessor.with(|mut access| {
            access.get().record(&connection, wrote);
            let stream: Vec<v3::RowResult> = rows.rows.into_iter().map(v3::RowResult::of).collect();
            let stream = StreamReader::new(&mut access, stream)?;
            let done = FutureReader::new(&mut access, async {
                Ok::<_, wasmtime::Error>(Ok::<(), v3::Error>(()))
            })?;
            Ok(Ok((rows.columns, stream, done)))
        })
    }

    async fn last_insert_rowid_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<Connection>,
    ) -> i64 {
        accessor.with(|mut access| access.get().last_write(&connection).rowid.unwrap_or(0))
    }

    async fn changes_async(accessor: &Accessor<T, Self>, connection: Resource<Connection>) -> u64 {
        accessor.with(|mut access| access.get().last_write(&connection).changes)
    }
}
