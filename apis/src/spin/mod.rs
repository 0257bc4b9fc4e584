//! Spin's interfaces for Spin components: key-value on the Worker's KV
//! namespaces, SQLite on its D1 databases, and the component's variables.
//! Two versions of each: `fermyon:spin/*@2.0.0`, what spin-sdk 2 to 5
//! import, and the async `spin:*@3` that spin-sdk 6 and 7 import, whose
//! keys and rows come back as streams. Both versions hold the same
//! resources and share each operation; they differ only in their types.
//!
//! A Spin component names a store by label (`Store::open("default")`); the
//! host binds each label its app uses as a KV namespace and a D1 database
//! of that id, so a JS Worker that binds the same id shares the data. A
//! component reaches only the labels its manifest grants it
//! ([`SpinGrants`]); another component's label is `access-denied`, as in
//! Spin. The WIT is `apis/wit/deps/spin*/`.

mod key_value;
mod sqlite;
mod variables;

use std::collections::{BTreeMap, BTreeSet};

use wasmtime::component::{HasSelf, Linker};

use crate::wit::GuestBindings;

pub use variables::is_variable_name;

mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin/spin-imports",
        imports: { default: async },
        with: {
            "fermyon:spin/key-value.store": super::key_value::Store,
            "fermyon:spin/sqlite.connection": super::sqlite::Connection,
        },
    });
}

mod generated3 {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "isola:bindings/spin-3-imports",
        // Making a stream for the guest can fail only as a trap.
        imports: {
            "spin:key-value/key-value.[method]store.get-keys": async | store | trappable,
            "spin:sqlite/sqlite.[method]connection.execute-async": async | store | trappable,
            default: async,
        },
        with: {
            "spin:key-value/key-value.store": super::key_value::Store,
            "spin:sqlite/sqlite.connection": super::sqlite::Connection,
        },
    });
}

/// What one Spin component may reach, from its manifest entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpinGrants {
    /// `key_value_stores`: the labels it may open.
    pub key_value_stores: BTreeSet<String>,
    /// `sqlite_databases`: the labels it may open.
    pub sqlite_databases: BTreeSet<String>,
    /// Its `[component.NAME.variables]`, resolved against the app's.
    pub variables: BTreeMap<String, String>,
}

/// The Spin interfaces this host offers, as they are named in imports.
pub const OFFERED: &[&str] = &[
    "fermyon:spin/key-value@2.0.0",
    "fermyon:spin/sqlite@2.0.0",
    "fermyon:spin/variables@2.0.0",
    "spin:key-value/key-value@3.0.0",
    "spin:sqlite/sqlite@3.0.0",
    "spin:sqlite/sqlite@3.1.0",
    "spin:variables/variables@3.0.0",
];

/// The binding a Spin app's key-value label is bound under (apart from its
/// SQLite database of the same label).
pub fn key_value_binding(label: &str) -> String {
    format!("spin key-value {label}")
}

/// The binding a Spin app's SQLite label is bound under.
pub fn sqlite_binding(label: &str) -> String {
    format!("spin sqlite {label}")
}

/// Whether an import named `name` is one of Spin's own interfaces.
pub fn is_spin_interface(name: &str) -> bool {
    name.starts_with("fermyon:spin/") || name.starts_with("spin:")
}

/// Why a Spin component cannot open a label.
pub(crate) enum Refused {
    /// The app binds no such label.
    Unknown,
    /// The app does, but this component's manifest entry does not list it.
    Denied,
}

impl GuestBindings {
    /// What the app binds as `binding`, if this component is `granted` it.
    pub(crate) fn spin_bound<T: Clone + 'static>(
        &self,
        binding: &str,
        granted: bool,
    ) -> Result<T, Refused> {
        let bound = self.worker.get::<T>(binding).ok_or(Refused::Unknown)?;
        if granted {
            Ok(bound.clone())
        } else {
            Err(Refused::Denied)
        }
    }
}

/// Adds the interfaces to `linker`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut GuestBindings,
) -> wasmtime::Result<()> {
    generated::SpinImports::add_to_linker::<T, HasSelf<GuestBindings>>(linker, get)?;
    generated3::Spin3Imports::add_to_linker::<T, HasSelf<GuestBindings>>(linker, get)
}
