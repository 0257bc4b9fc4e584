//! HTTP on the host's side: the server, response bodies, error pages.

mod body;
mod error_page;
mod server;

pub use body::{ChannelBody, ResponseBody};
pub use error_page::{Failure, RequestSummary, dev_error_response, error_response};
pub use server::{Server, bind};
