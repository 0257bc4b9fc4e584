//! A bot detector as middleware in front of an origin: it classifies the
//! request's User-Agent, tags a bot's request with `X-Bot-Detected: <kind>`
//! and forwards every request to its own URL, which the host sends to the
//! origin behind the Worker (as Cloudflare sends a Worker's subrequest to
//! its own zone), then streams the origin's response back. Humans pass
//! through untouched; a bot's request differs only by the header.
//!
//! `X-Bot-Detector-Fault: trap` makes the guest panic, to show the host's
//! fail-open policy: the request reaches the origin untagged.

use std::io::copy;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingRequest, OutgoingResponse,
    ResponseOutparam,
};

/// What to look for in a lowercased User-Agent, and the kind it means.
/// Crawlers first, then HTTP libraries and headless browsers.
const BOTS: &[(&str, &str)] = &[
    ("googlebot", "googlebot"),
    ("bingbot", "bingbot"),
    ("duckduckbot", "duckduckbot"),
    ("yandexbot", "yandexbot"),
    ("baiduspider", "baiduspider"),
    ("applebot", "applebot"),
    ("facebookexternalhit", "facebookexternalhit"),
    ("twitterbot", "twitterbot"),
    ("linkedinbot", "linkedinbot"),
    ("slackbot", "slackbot"),
    ("gptbot", "gptbot"),
    ("claudebot", "claudebot"),
    ("ahrefsbot", "ahrefsbot"),
    ("semrushbot", "semrushbot"),
    ("curl/", "curl"),
    ("wget/", "wget"),
    ("python-requests", "python-requests"),
    ("python-urllib", "python-urllib"),
    ("aiohttp", "aiohttp"),
    ("go-http-client", "go-http"),
    ("okhttp", "okhttp"),
    ("java/", "java"),
    ("libwww-perl", "libwww-perl"),
    ("node-fetch", "node-fetch"),
    ("axios/", "axios"),
    ("scrapy", "scrapy"),
    ("headlesschrome", "headless-chrome"),
    ("phantomjs", "phantomjs"),
];

/// The kind of bot `user_agent` belongs to, or None for a browser.
fn classify(user_agent: Option<&str>) -> Option<&'static str> {
    let user_agent = user_agent.map(str::trim).unwrap_or_default();
    if user_agent.is_empty() {
        return Some("no-user-agent");
    }
    let lower = user_agent.to_ascii_lowercase();
    if let Some((_, kind)) = BOTS.iter().find(|(needle, _)| lower.contains(needle)) {
        return Some(kind);
    }
    let generic = ["crawler", "spider", "bot/", "bot;", "bot)", "+http"];
    generic
        .iter()
        .any(|word| lower.contains(word))
        .then_some("bot")
}

/// Headers a guest may not set (the host sets them for the connection).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// `fields` without hop-by-hop headers and without `drop`.
fn end_to_end(fields: &Fields, drop: &str) -> Vec<(String, Vec<u8>)> {
    fields
        .entries()
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name != drop && !HOP_BY_HOP.contains(&name.as_str())
        })
        .collect()
}

struct BotDetector;

wasip2::http::proxy::export!(BotDetector);

impl wasip2::exports::http::incoming_handler::Guest for BotDetector {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let headers = request.headers();
        let first = |name: &str| {
            let values = headers.get(name);
            values
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned())
        };
        if first("x-bot-detector-fault").as_deref() == Some("trap") {
            panic!("the bot detector trapped on purpose");
        }
        let mut forwarded = end_to_end(&headers, "x-bot-detected");
        if let Some(kind) = classify(first("user-agent").as_deref()) {
            forwarded.push(("x-bot-detected".into(), kind.as_bytes().to_vec()));
        }
        drop(headers);
        if let Err(message) = forward(request, forwarded, response_out) {
            // The response is not set yet: say why the origin is out of reach.
            eprintln!("bot-detector: {message}");
        }
    }
}

/// Sends `request` with `headers` to its own URL and streams the answer to
/// `response_out`; on failure answers 502 and returns why.
fn forward(
    request: IncomingRequest,
    headers: Vec<(String, Vec<u8>)>,
    response_out: ResponseOutparam,
) -> Result<(), String> {
    let fail = |response_out, message: String| {
        let text = format!("bot-detector: cannot reach the origin: {message}\n");
        guest_http::respond(response_out, 502, "text/plain;charset=UTF-8", text.as_bytes());
        Err(message)
    };
    let fields = match Fields::from_list(&headers) {
        Ok(fields) => fields,
        Err(e) => return fail(response_out, format!("bad request header: {e:?}")),
    };
    let outgoing = OutgoingRequest::new(fields);
    let set = outgoing
        .set_method(&request.method())
        .and(outgoing.set_scheme(request.scheme().as_ref()))
        .and(outgoing.set_authority(request.authority().as_deref()))
        .and(outgoing.set_path_with_query(request.path_with_query().as_deref()));
    if set.is_err() {
        return fail(response_out, "the request's URL cannot be forwarded".into());
    }
    let out_body = outgoing.body().expect("the body, once");
    let in_body = request.consume().expect("the body, once");
    let pending = match outgoing_handler::handle(outgoing, None) {
        Ok(pending) => pending,
        Err(code) => return fail(response_out, format!("{code:?}")),
    };
    {
        let mut from = in_body.stream().expect("the body's stream, once");
        let mut to = out_body.write().expect("the body's stream, once");
        if let Err(e) = copy(&mut from, &mut to) {
            return fail(response_out, format!("the request body: {e}"));
        }
    }
    IncomingBody::finish(in_body);
    if let Err(code) = OutgoingBody::finish(out_body, None) {
        return fail(response_out, format!("{code:?}"));
    }
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return fail(response_out, format!("{code:?}")),
        _ => return fail(response_out, "no response".into()),
    };

    let headers = Fields::from_list(&end_to_end(&response.headers(), ""))
        .map_err(|e| format!("bad response header: {e:?}"))?;
    let answer = OutgoingResponse::new(headers);
    answer
        .set_status_code(response.status())
        .map_err(|()| "bad status".to_string())?;
    let answer_body = answer.body().expect("the body, once");
    ResponseOutparam::set(response_out, Ok(answer));
    let origin_body = response.consume().expect("the body, once");
    {
        let mut from = origin_body.stream().expect("the body's stream, once");
        let mut to = answer_body.write().expect("the body's stream, once");
        copy(&mut from, &mut to).map_err(|e| format!("the response body: {e}"))?;
    }
    IncomingBody::finish(origin_body);
    OutgoingBody::finish(answer_body, None).map_err(|e| format!("{e:?}"))
}
