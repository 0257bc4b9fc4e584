//! `fermyon:spin/variables`: the component's variables, resolved when the
//! app was loaded. Names follow Spin's rule: lower-case letters, digits and
//! underscores, starting with a letter.

use super::generated::fermyon::spin::variables::{Error, Host};
use crate::wit::GuestBindings;

/// Whether `name` can name a Spin variable.
pub fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Host for GuestBindings {
    async fn get(&mut self, name: String) -> Result<String, Error> {
        if !is_variable_name(&name) {
            return Err(Error::InvalidName(format!(
                "{name:?}: a variable's name is lower-case letters, digits and underscores"
            )));
        }
        self.spin
            .variables
            .get(&name)
            .cloned()
            .ok_or_else(|| Error::Undefined(format!("no variable for {name:?}")))
    }
}
