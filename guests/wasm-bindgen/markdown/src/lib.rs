//! Markdown to HTML as a Worker: `POST /render` with `{"markdown": "..."}`
//! answers `{"html", "headings", "words"}` (the work is in
//! guests/rust/markdown-render). The request and response are the Workers
//! runtime's own objects, reached through `web-sys`, as a workers-rs
//! Worker reaches them.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response, ResponseInit};

/// The Worker's fetch handler, called by `worker.js` for every request.
#[wasm_bindgen]
pub async fn fetch(request: Request) -> Result<Response, JsValue> {
    let url = web_sys::Url::new(&request.url())?;
    match (request.method().as_str(), url.pathname().as_str()) {
        ("POST", "/render") => {
            let body = JsFuture::from(request.text()?).await?;
            let body = body.as_string().unwrap_or_default();
            match markdown_render::render(&body) {
                Ok(json) => respond(&json, 200),
                Err(message) => respond(&markdown_render::error_body(&message), 400),
            }
        }
        ("GET", "/panic") => panic!("the Worker panicked on purpose"),
        _ => {
            let init = ResponseInit::new();
            init.set_status(404);
            Response::new_with_opt_str_and_init(Some("POST {\"markdown\"} to /render"), &init)
        }
    }
}

fn respond(json: &str, status: u16) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    let response = Response::new_with_opt_str_and_init(Some(json), &init)?;
    response.headers().set("content-type", "application/json")?;
    Ok(response)
}
