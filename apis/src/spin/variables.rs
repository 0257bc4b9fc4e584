//! Spin's variables (`fermyon:spin/variables@2.0.0` and
//! `spin:variables/variables@3.0.0`): the component's variables, resolved
//! when the app was loaded. Names follow Spin's rule: lower-case letters,
//! digits and underscores, starting with a letter.

use wasmtime::component::{Accessor, HasSelf};

use super::generated::fermyon::spin::variables as v2;
use super::generated3::spin::variables::variables as v3;
use crate::wit::GuestBindings;

/// Whether `name` can name a Spin variable.
pub fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Why a variable has no value, in either version's terms.
enum Missing {
    InvalidName(String),
    Undefined(String),
}

impl GuestBindings {
    fn variable(&self, name: &str) -> Result<String, Missing> {
        if !is_variable_name(name) {
            return Err(Missing::InvalidName(format!(
                "{name:?}: a variable's name is lower-case letters, digits and underscores"
            )));
        }
        self.spin
            .variables
            .get(name)
            .cloned()
            .ok_or_else(|| Missing::Undefined(format!("no variable for {name:?}")))
    }
}

/// Each version's error for a [`Missing`]; their variants are alike.
macro_rules! missing_error {
    ($version:ident) => {
        impl From<Missing> for $version::Error {
            fn from(missing: Missing) -> Self {
                match missing {
                    Missing::InvalidName(message) => Self::InvalidName(message),
                    Missing::Undefined(message) => Self::Undefined(message),
                }
            }
        }
    };
}

missing_error!(v2);
missing_error!(v3);

impl v2::Host for GuestBindings {
    async fn get(&mut self, name: String) -> Result<String, v2::Error> {
        Ok(self.variable(&name)?)
    }
}

impl v3::Host for GuestBindings {}

impl<T> v3::HostWithStore<T> for HasSelf<GuestBindings> {
    async fn get(accessor: &Accessor<T, Self>, name: String) -> Result<String, v3::Error> {
        Ok(accessor.with(|mut access| access.get().variable(&name))?)
    }
}
