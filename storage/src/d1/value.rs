//! Values crossing between JS and SQLite, typed as D1 types them: numbers,
//! strings, null, and BLOBs (arrays of byte values in JS).

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// A SQLite value. It goes to JS as D1 and workerd give it: an INTEGER
/// beyond 2^53 becomes the nearest number (not a BigInt), losing precision
/// as it does there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// A JS number as D1 binds it: integers as INTEGER, others as REAL.
    pub fn number(n: f64) -> Self {
        if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 {
            Self::Integer(n as i64)
        } else {
            Self::Real(n)
        }
    }
}

/// The largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Integer(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER as u64 => {
                serializer.serialize_i64(*i)
            }
            Self::Integer(i) => serializer.serialize_f64(*i as f64),
            Self::Real(r) => serializer.serialize_f64(*r),
            Self::Text(t) => serializer.serialize_str(t),
            Self::Blob(b) => b.serialize(serializer),
        }
    }
}

impl From<ValueRef<'_>> for Value {
    fn from(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Self::Null,
            ValueRef::Integer(i) => Self::Integer(i),
            ValueRef::Real(r) => Self::Real(r),
            ValueRef::Text(t) => Self::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Self::Blob(b.to_vec()),
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Integer(i) => ValueRef::Integer(*i),
            Self::Real(r) => ValueRef::Real(*r),
            Self::Text(t) => ValueRef::Text(t.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }))
    }
}
