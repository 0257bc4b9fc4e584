//! The work the Markdown guests do, shared by the wasm-bindgen Worker
//! (guests/wasm-bindgen/markdown) and the wasi:http guest
//! (guests/rust/markdown) so that both measure the same computation: a
//! JSON body `{"markdown": "..."}` in, `{"html", "headings", "words"}` out.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use serde::{Deserialize, Serialize};

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

/// Renders the Markdown of a JSON request body into the JSON response
/// body; an error says what is wrong with the request.
pub fn render(body: &str) -> Result<String, String> {
    let input: Input = serde_json::from_str(body).map_err(|e| format!("bad request body: {e}"))?;
    let events: Vec<Event> = Parser::new_ext(&input.markdown, Options::all()).collect();
    let mut headings = Vec::new();
    let mut words = 0;
    let mut heading: Option<String> = None;
    for event in &events {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1 | HeadingLevel::H2,
                ..
            }) => heading = Some(String::new()),
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
    serde_json::to_string(&Output {
        html: html_out,
        headings,
        words,
    })
    .map_err(|e| e.to_string())
}

/// The error body for a bad request.
pub fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}
