//! A Spin component that publishes to Redis: an interface this host does
//! not offer, so the app is refused at start with the import named.

use anyhow::Result;
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::redis::Connection;

#[http_component]
fn handle(request: Request) -> Result<impl IntoResponse> {
    let connection = Connection::open("redis://127.0.0.1:6379")?;
    connection.publish("updates", &request.body().to_vec())?;
    Ok(Response::new(200, "published"))
}
