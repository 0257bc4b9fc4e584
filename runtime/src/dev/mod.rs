//! What `isola dev` adds to serving a Worker: the start banner that lists
//! its bindings, and live reload when its files change.

mod banner;
mod watch;

pub use banner::banner;
pub use watch::{Watch, watch};
