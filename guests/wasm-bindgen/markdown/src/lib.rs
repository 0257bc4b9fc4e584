//! Markdown to HTML as a Worker: `POST /render` with `{"markdown": "..."}`
//! answers `{"html", "headings", "words"}`. The request and response are
//! the Workers runtime's own objects, reached through `web-sys`, as a
//! workers-rs Worker reaches them.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response, ResponseInit};

#[derive(Deserialize)]
struct Input {
    markdown: String,
}

#[derive(Serialize)]
struct Output {
    html: String,
    /// Text of the top-level (`#`) and second-level (`##`) headings.
    headings: Vec<String>,
    words: usize,
}

/// The Worker's fetch handler, called by `worker.js` for every request.
#[wasm_bindgen]
pub async fn fetch(request: Request) -> Result<Response, JsValue> {
    let url = web_sys::Url::new(&request.url())?;
    match (request.method().as_str(), url.pathname().as_str()) {
        ("POST", "/render") => {
            let body = JsFuture::from(request.text()?).await?;
            let body = body.as_string().unwrap_or_default();
            match render(&body) {
                Ok(output) => json(&output, 200),
                Err(message) => json(&serde_json::json!({ "error": message }), 400),
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

/// Renders the Markdown of a JSON request body.
fn render(body: &str) -> Result<Output, String> {
    let input: Input = serde_json::from_str(body).map_err(|e| format!("bad request body: {e}"))?;
    let events: Vec<Event> = Parser::new_ext(&input.markdown, Options::all()).collect();
    let mut headings = Vec::new();
    let mut words = 0;
    let mut heading: Option<String> = None;
    for event in &events {
        match event {
            Event::Start(Tag::Heading { level, .. })
                if matches!(level, HeadingLevel::H1 | HeadingLevel::H2) =>
            {
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(text) | Event::Code(text) => {
                words += text.split_whitespace().count();
                if let Some(heading) = &mut heading {
                    heading.push_str(text);
                }
            }
            _ => {}
        }
    }
    let mut html_out = String::with_capacity(input.markdown.len() * 3 / 2);
    html::push_html(&mut html_out, events.into_iter());
    Ok(Output {
        html: html_out,
        headings,
        words,
    })
}

fn json(value: &impl Serialize, status: u16) -> Result<Response, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    let init = ResponseInit::new();
    init.set_status(status);
    let response = Response::new_with_opt_str_and_init(Some(&text), &init)?;
    response.headers().set("content-type", "application/json")?;
    Ok(response)
}
