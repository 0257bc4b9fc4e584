//! The host side of `HTMLRewriter`: lol_html, driven from JS.
//!
//! lol_html calls its content handlers synchronously, in the middle of
//! parsing a chunk, while a Worker's handlers are JS functions that may be
//! async. workerd suspends the parser on a fiber until the JS promise
//! settles; here each `transform()` gets a thread of its own that plays the
//! fiber's part. The thread feeds lol_html; when a handler matches, it sends
//! the token to JS as an event ([`Event`]) and blocks until JS answers with
//! the mutations the handler made ([`Mutation`]), which it applies before
//! lol_html goes on. JS keeps its own copy of what a handler may read
//! (attributes, tag name, text), so a handler's calls never wait on the
//! thread; the mutations travel once, when the handler is done.
//!
//! Rewritten output is gathered between events and sent in one piece, and
//! both channels are bounded, so a slow reader slows the parser and the
//! parser slows the reading of the original body: nothing is buffered whole.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::mpsc as std_mpsc;

use deno_core::{AsyncRefCell, JsBuffer, OpState, RcRef, Resource, ResourceId, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use lol_html::html_content::{
    Comment, ContentType, Doctype, DocumentEnd, Element, EndTag, TextChunk,
};
use lol_html::{
    AsciiCompatibleEncoding, DocumentContentHandlers, ElementContentHandlers, HandlerResult,
    HtmlRewriter, Selector, Settings,
};
use tokio::sync::mpsc;

deno_core::extension!(
    isola_html_rewriter,
    deps = [isola_global_scope],
    ops = [
        op_html_rewriter_check,
        op_html_rewriter_new,
        op_html_rewriter_write,
        op_html_rewriter_end,
        op_html_rewriter_next,
        op_html_rewriter_resume,
    ],
    esm = [dir "src/html_rewriter", "html_rewriter.js"],
);

/// Events waiting for JS, per rewriter.
const EVENTS: usize = 8;
/// Chunks of the original body waiting for the parser, per rewriter.
const INPUT: usize = 4;
/// Output worth sending before a handler's event rather than with the
/// rest of the input chunk's.
const OUTPUT_BATCH: usize = 16 * 1024;

/// The handlers a `transform()` registered, as JS sends them.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    /// `[selector, element, comments, text]`: which handlers `.on()` gave.
    elements: Vec<(String, bool, bool, bool)>,
    /// `[doctype, comments, text, end]`: which handlers `.onDocument()` gave.
    documents: Vec<(bool, bool, bool, bool)>,
    /// The `charset` of the response's `Content-Type`, if any.
    charset: Option<String>,
}

/// What JS hears from the parser. Handler numbers index the registration
/// lists of [`Config`]; JS tells the kinds apart by the first element.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Event {
    /// `[0, bytes]`: rewritten output.
    Output(u8, ToJsBuffer),
    /// `[1, handler, tag name, attributes, namespace URI, self-closing,
    /// can have content]`.
    Element(u8, usize, String, Vec<(String, String)>, String, bool, bool),
    /// `[2, end tag callback, name]`.
    EndTag(u8, u32, String),
    /// `[3, handler, document?, text, last in text node]`.
    Text(u8, usize, bool, String, bool),
    /// `[4, handler, document?, text]`.
    Comment(u8, usize, bool, String),
    /// `[5, handler, name, public id, system id]`.
    Doctype(u8, usize, Option<String>, Option<String>, Option<String>),
    /// `[6, handler]`: the document ended.
    End(u8, usize),
    /// `[7]`: all output sent (an array, as the other events are).
    Done([u8; 1]),
    /// `[8, message]`: the rewriter failed.
    Failed(u8, String),
}

/// A change a JS handler made to the token it was given.
#[derive(serde::Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Mutation {
    Before { content: String, html: bool },
    After { content: String, html: bool },
    Prepend { content: String, html: bool },
    Append { content: String, html: bool },
    SetInnerContent { content: String, html: bool },
    Replace { content: String, html: bool },
    Remove,
    RemoveAndKeepContent,
    SetAttribute { name: String, value: String },
    RemoveAttribute { name: String },
    SetName { name: String },
    SetText { text: String },
    OnEndTag { callback: u32 },
}

/// What JS answers to an event: the handler's mutations, or its failure.
struct Resume {
    mutations: Vec<Mutation>,
    failed: Option<String>,
}

/// One `transform()` in flight, seen from JS.
struct RewriterResource {
    input: RefCell<Option<mpsc::Sender<Vec<u8>>>>,
    events: AsyncRefCell<mpsc::Receiver<Event>>,
    resume: std_mpsc::Sender<Resume>,
}

impl Resource for RewriterResource {
    fn name(&self) -> Cow<'_, str> {
        "htmlRewriter".into()
    }
}

fn content_type(html: bool) -> ContentType {
    if html {
        ContentType::Html
    } else {
        ContentType::Text
    }
}

/// Throws the TypeError workerd throws for a selector lol_html cannot use.
#[op2(fast)]
fn op_html_rewriter_check(#[string] selector: &str) -> Result<(), JsErrorBox> {
    Selector::from_str(selector)
        .map(drop)
        .map_err(|error| JsErrorBox::type_error(format!("Parser error: {error} ({selector:?})")))
}

/// Starts a rewriter thread for these handlers; JS then writes the original
/// body into it and reads events out of it.
#[op2]
#[smi]
fn op_html_rewriter_new(
    state: &mut OpState,
    #[serde] config: Config,
) -> Result<ResourceId, JsErrorBox> {
    let selectors = config
        .elements
        .iter()
        .map(|(selector, ..)| Selector::from_str(selector))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| JsErrorBox::type_error(format!("Parser error: {error}")))?;
    let encoding = match &config.charset {
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .and_then(AsciiCompatibleEncoding::new)
            .ok_or_else(|| {
                JsErrorBox::type_error(format!("HTMLRewriter: unsupported charset {label:?}"))
            })?,
        None => AsciiCompatibleEncoding::utf_8(),
    };
    let (input, input_rx) = mpsc::channel(INPUT);
    let (events_tx, events) = mpsc::channel(EVENTS);
    let (resume, resume_rx) = std_mpsc::channel();
    std::thread::Builder::new()
        .name("html-rewriter".into())
        .spawn(move || {
            let link = Rc::new(Link {
                events: events_tx,
                resume: resume_rx,
                output: RefCell::new(Vec::new()),
            });
            let outcome = rewrite(&config, selectors, encoding, &link, input_rx);
            let last = match outcome {
                Ok(()) => link.flush().map(|()| Event::Done([7])),
                Err(message) => Ok(Event::Failed(8, message)),
            };
            if let Ok(event) = last {
                let _ = link.events.blocking_send(event);
            }
        })
        .map_err(|error| JsErrorBox::generic(format!("HTMLRewriter: {error}")))?;
    Ok(state.resource_table.add(RewriterResource {
        input: RefCell::new(Some(input)),
        events: AsyncRefCell::new(events),
        resume,
    }))
}

fn resource(state: &OpState, rid: ResourceId) -> Result<Rc<RewriterResource>, JsErrorBox> {
    state
        .resource_table
        .get::<RewriterResource>(rid)
        .map_err(JsErrorBox::from_err)
}

/// Hands a chunk of the original body to the parser; waits while it is
/// behind.
#[op2]
async fn op_html_rewriter_write(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
    #[buffer] chunk: JsBuffer,
) -> Result<(), JsErrorBox> {
    let rewriter = resource(&state.borrow(), rid)?;
    let input = rewriter.input.borrow().clone();
    match input {
        Some(input) => input
            .send(chunk.to_vec())
            .await
            .map_err(|_| JsErrorBox::type_error("HTMLRewriter: the rewriter has stopped")),
        None => Err(JsErrorBox::type_error(
            "HTMLRewriter: the body was already ended",
        )),
    }
}

/// The original body has ended.
#[op2(fast)]
fn op_html_rewriter_end(state: &mut OpState, #[smi] rid: ResourceId) -> Result<(), JsErrorBox> {
    resource(state, rid)?.input.borrow_mut().take();
    Ok(())
}

/// The next event: output, a token for a handler, the end or a failure.
#[op2]
#[serde]
async fn op_html_rewriter_next(
    state: Rc<RefCell<OpState>>,
    #[smi] rid: ResourceId,
) -> Result<Event, JsErrorBox> {
    let rewriter = resource(&state.borrow(), rid)?;
    let mut events = RcRef::map(&rewriter, |r| &r.events).borrow_mut().await;
    Ok(events
        .recv()
        .await
        .unwrap_or_else(|| Event::Failed(8, "HTMLRewriter: the rewriter has stopped".into())))
}

/// A handler is done: `mutations` (JSON, a list of [`Mutation`]) are applied
/// to its token, or `failed` stops the rewriter.
#[op2(fast)]
fn op_html_rewriter_resume(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[string] mutations: &str,
    #[string] failed: &str,
) -> Result<(), JsErrorBox> {
    let mutations = serde_json::from_str(mutations)
        .map_err(|error| JsErrorBox::type_error(format!("HTMLRewriter: {error}")))?;
    let failed = (!failed.is_empty()).then(|| failed.to_string());
    let _ = resource(state, rid)?
        .resume
        .send(Resume { mutations, failed });
    Ok(())
}

/// The rewriter thread's end of the link to JS.
struct Link {
    events: mpsc::Sender<Event>,
    resume: std_mpsc::Receiver<Resume>,
    /// Output gathered since the last event.
    output: RefCell<Vec<u8>>,
}

impl Link {
    /// Sends the output gathered so far.
    fn flush(&self) -> Result<(), String> {
        let output = std::mem::take(&mut *self.output.borrow_mut());
        if output.is_empty() {
            return Ok(());
        }
        self.send(Event::Output(0, output.into()))
    }

    fn send(&self, event: Event) -> Result<(), String> {
        self.events
            .blocking_send(event)
            .map_err(|_| "the rewritten body was dropped".to_string())
    }

    /// Sends a token to its JS handler and waits for the handler's
    /// mutations. Output gathered so far goes first once it is worth an
    /// event of its own; less waits for the end of the input chunk.
    fn ask(&self, event: Event) -> Result<Vec<Mutation>, Box<dyn std::error::Error + Send + Sync>> {
        if self.output.borrow().len() >= OUTPUT_BATCH {
            self.flush()?;
        }
        self.send(event)?;
        let resume = self
            .resume
            .recv()
            .map_err(|_| "the rewritten body was dropped")?;
        match resume.failed {
            Some(message) => Err(message.into()),
            None => Ok(resume.mutations),
        }
    }
}

/// Runs lol_html over the input, asking JS at each handler.
fn rewrite(
    config: &Config,
    selectors: Vec<Selector>,
    encoding: AsciiCompatibleEncoding,
    link: &Rc<Link>,
    mut input: mpsc::Receiver<Vec<u8>>,
) -> Result<(), String> {
    let mut settings = Settings::new().with_encoding(encoding);
    for (index, (selector, (_, element, comments, text))) in
        selectors.into_iter().zip(&config.elements).enumerate()
    {
        let mut handlers = ElementContentHandlers::default();
        if *element {
            let link = link.clone();
            handlers = handlers.element(move |el: &mut Element<'_, '_>| {
                let attributes = el
                    .attributes()
                    .iter()
                    .map(|a| (a.name(), a.value()))
                    .collect();
                let event = Event::Element(
                    1,
                    index,
                    el.tag_name(),
                    attributes,
                    el.namespace_uri().to_string(),
                    el.is_self_closing(),
                    el.can_have_content(),
                );
                let mutations = link.ask(event)?;
                apply_to_element(el, mutations, &link)
            });
        }
        if *comments {
            handlers = handlers.comments(comment_handler(link, index, false));
        }
        if *text {
            handlers = handlers.text(text_handler(link, index, false));
        }
        settings = settings.append_element_content_handler((Cow::Owned(selector), handlers));
    }
    for (index, (doctype, comments, text, end)) in config.documents.iter().enumerate() {
        let mut handlers = DocumentContentHandlers::default();
        if *doctype {
            let link = link.clone();
            handlers = handlers.doctype(move |d: &mut Doctype<'_>| {
                let event = Event::Doctype(5, index, d.name(), d.public_id(), d.system_id());
                let mutations = link.ask(event)?;
                apply(d, mutations)
            });
        }
        if *comments {
            handlers = handlers.comments(comment_handler(link, index, true));
        }
        if *text {
            handlers = handlers.text(text_handler(link, index, true));
        }
        if *end {
            let link = link.clone();
            handlers = handlers.end(move |e: &mut DocumentEnd<'_>| {
                let mutations = link.ask(Event::End(6, index))?;
                apply(e, mutations)
            });
        }
        settings = settings.append_document_content_handler(handlers);
    }
    let sink = {
        let link = link.clone();
        move |chunk: &[u8]| link.output.borrow_mut().extend_from_slice(chunk)
    };
    let mut rewriter = HtmlRewriter::new(settings, sink);
    while let Some(chunk) = input.blocking_recv() {
        rewriter.write(&chunk).map_err(|e| e.to_string())?;
        link.flush()?;
    }
    rewriter.end().map_err(|e| e.to_string())
}

/// The handler for comments in an element (`document`: in the document)
/// that registration `index` asked for.
fn comment_handler(
    link: &Rc<Link>,
    index: usize,
    document: bool,
) -> impl FnMut(&mut Comment<'_>) -> HandlerResult + 'static {
    let link = link.clone();
    move |c| {
        let mutations = link.ask(Event::Comment(4, index, document, c.text()))?;
        apply(c, mutations)
    }
}

/// The handler for text chunks, as [`comment_handler`] for comments.
fn text_handler(
    link: &Rc<Link>,
    index: usize,
    document: bool,
) -> impl FnMut(&mut TextChunk<'_>) -> HandlerResult + 'static {
    let link = link.clone();
    move |t| {
        let event = Event::Text(3, index, document, t.as_str().into(), t.last_in_text_node());
        let mutations = link.ask(event)?;
        apply(t, mutations)
    }
}

/// Applies an element handler's mutations; an `onEndTag` registers a
/// handler that asks JS again when the end tag comes.
fn apply_to_element(
    el: &mut Element<'_, '_>,
    mutations: Vec<Mutation>,
    link: &Rc<Link>,
) -> HandlerResult {
    for mutation in mutations {
        match mutation {
            Mutation::SetAttribute { name, value } => el.set_attribute(&name, &value)?,
            Mutation::RemoveAttribute { name } => el.remove_attribute(&name),
            Mutation::SetName { name } => el.set_tag_name(&name)?,
            Mutation::Prepend { content, html } => el.prepend(&content, content_type(html)),
            Mutation::Append { content, html } => el.append(&content, content_type(html)),
            Mutation::SetInnerContent { content, html } => {
                el.set_inner_content(&content, content_type(html));
            }
            Mutation::RemoveAndKeepContent => el.remove_and_keep_content(),
            Mutation::OnEndTag { callback } => {
                let link = link.clone();
                el.on_end_tag(Box::new(move |end: &mut EndTag<'_>| {
                    let mutations = link.ask(Event::EndTag(2, callback, end.name()))?;
                    apply(end, mutations)
                }))?;
            }
            other => el.apply(other)?,
        }
    }
    Ok(())
}

/// A token that takes the mutations common to all kinds.
trait Token {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult;
}

/// Applies a handler's mutations to a token that is not an element.
fn apply(token: &mut impl Token, mutations: Vec<Mutation>) -> HandlerResult {
    mutations
        .into_iter()
        .try_for_each(|mutation| token.apply(mutation))
}

/// The mutation a token of this kind does not take (JS never sends one; a
/// mismatch is a bug, reported rather than ignored).
fn unsupported(kind: &str) -> HandlerResult {
    Err(format!("HTMLRewriter: a {kind} does not take this change").into())
}

/// `before`, `after`, `replace` and `remove`, which most tokens share.
macro_rules! surrounding {
    ($token:ident, $mutation:ident, $kind:literal, { $($extra:tt)* }) => {
        match $mutation {
            Mutation::Before { content, html } => $token.before(&content, content_type(html)),
            Mutation::After { content, html } => $token.after(&content, content_type(html)),
            Mutation::Replace { content, html } => $token.replace(&content, content_type(html)),
            Mutation::Remove => $token.remove(),
            $($extra)*
            _ => return unsupported($kind),
        }
    };
}

impl Token for Element<'_, '_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        surrounding!(self, mutation, "element", {});
        Ok(())
    }
}

impl Token for TextChunk<'_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        surrounding!(self, mutation, "text chunk", {});
        Ok(())
    }
}

impl Token for Comment<'_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        surrounding!(self, mutation, "comment", {
            Mutation::SetText { text } => self.set_text(&text)?,
        });
        Ok(())
    }
}

impl Token for EndTag<'_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        surrounding!(self, mutation, "end tag", {
            Mutation::SetName { name } => self.set_name_str(name),
        });
        Ok(())
    }
}

impl Token for Doctype<'_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        match mutation {
            Mutation::Remove => self.remove(),
            _ => return unsupported("doctype"),
        }
        Ok(())
    }
}

impl Token for DocumentEnd<'_> {
    fn apply(&mut self, mutation: Mutation) -> HandlerResult {
        match mutation {
            Mutation::Append { content, html } => self.append(&content, content_type(html)),
            _ => return unsupported("document end"),
        }
        Ok(())
    }
}
