//! `HTMLRewriter` through the real binary: the token API on a fixed page,
//! its errors, and the A/B testing example (`guests/js/ab-test`) rewriting
//! an origin's page as it streams from a loopback server.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use crate::support::{Isola, case, copy_dir, guest, read_until, request, send_raw};

fn rewriter() -> Isola {
    Isola::serve(&[case("html-rewriter").join("worker.js").to_str().unwrap()])
}

#[test]
fn handlers_see_and_change_every_kind_of_token() {
    let isola = rewriter();
    let reply = isola.get("/tokens");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html;charset=UTF-8")
    );
    // The length changed, so the original Content-Length is gone.
    assert_eq!(reply.header("content-length"), None);
    let html = reply.text();
    let expect = [
        "<title>New &lt;title&gt; &amp; more</title>",
        "<body><!-- rewritten --><section id=\"main\" class=\"x y\"><h2>Start</h2><span>keep me</span>&lt;end&gt;</section><hr>",
        "<i>before</i><p>one</p><i>before</i><p>TWO</p>",
        "unwrap<strong>strong</strong></body></html>",
        "<!-- doctype html -//W3C//DTD HTML 4.01//EN http://www.w3.org/TR/html4/strict.dtd \
         | div id=main,class=x,data-drop=1 | has false true | end section | p text ends \
         | p text ends | img removed false | then true | stale: TypeError -->",
    ];
    for part in expect {
        assert!(html.contains(part), "{part:?} not in {html}");
    }
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<em>"), "{html}");
}

#[test]
fn a_bad_selector_throws_a_type_error_naming_it() {
    let isola = rewriter();
    assert_eq!(
        isola.get("/bad-selector").text(),
        "TypeError: Parser error: Unsupported pseudo-class or pseudo-element in selector. (\"div:hover\")"
    );
}

#[test]
fn a_throwing_handler_fails_its_response_only() {
    let isola = rewriter();
    let mut stream = isola.connect();
    send_raw(
        &mut stream,
        b"GET /throws HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    let mut seen = String::new();
    std::io::Read::read_to_string(&mut stream, &mut seen).ok();
    // Headers went out, then the body stopped before the first <p>.
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(!seen.contains("<p>"), "{seen}");
    assert!(
        !seen.ends_with("0\r\n\r\n"),
        "the body must not end cleanly: {seen}"
    );
    assert!(isola.wait_for_log("Uncaught (in response body) handler failed on purpose"));
    // The isolate goes on serving.
    assert!(isola.get("/tokens").text().contains("<p>TWO</p>"));
}

/// An origin that sends its page in two parts, the second only once `gate`
/// says so; it answers one request.
fn gated_origin(gate: mpsc::Receiver<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream: TcpStream = reader.into_inner();
        let chunk = |stream: &mut TcpStream, text: &str| {
            write!(stream, "{:x}\r\n{text}\r\n", text.len()).unwrap();
            stream.flush().unwrap();
        };
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        .unwrap();
        chunk(
            &mut stream,
            "<html><body><h1>Shop</h1><a href=\"/cart\">cart</a> <a href=\"https://elsewhere.example/\">out</a>\n",
        );
        // Held back until the client has seen the first part rewritten.
        gate.recv().unwrap();
        chunk(
            &mut stream,
            "<a href=\"/checkout\">checkout</a></body></html>\n",
        );
        chunk(&mut stream, "");
    });
    url
}

/// A chunked HTTP/1.1 response as read so far, with the chunks' framing
/// taken out of its body.
fn dechunk(raw: &str) -> String {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    format!("{head}\r\n\r\n{}", chunks(body))
}

/// The data of the whole chunks in `body`.
fn chunks(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size, 16).unwrap();
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// The A/B test example in front of `origin`.
fn ab_test(origin: &str) -> (Isola, tempfile::TempDir) {
    let project = copy_dir(&guest("ab-test"));
    let config = project.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("http://127.0.0.1:9000", origin)).unwrap();
    (Isola::serve(&[project.path().to_str().unwrap()]), project)
}

#[test]
fn the_ab_test_rewrites_an_origin_page_as_it_streams() {
    let (open, gate) = mpsc::channel();
    let origin = gated_origin(gate);
    let (isola, _project) = ab_test(&origin);

    let mut stream = isola.connect();
    send_raw(
        &mut stream,
        b"GET /shop HTTP/1.1\r\nhost: x\r\ncookie: ab=b\r\nconnection: close\r\n\r\n",
    );
    // The first part arrives rewritten while the origin still holds the rest.
    let first = dechunk(&read_until(
        &mut stream,
        "elsewhere.example/\">out</a>\n\r\n",
    ));
    assert!(
        first.contains("set-cookie: ab=b; Path=/; SameSite=Lax"),
        "{first}"
    );
    assert!(
        first.contains("<body data-variant=\"b\"><h1>Shop (new look)</h1>"),
        "{first}"
    );
    assert!(first.contains("<a href=\"/b/cart\">cart</a>"), "{first}");
    assert!(
        first.contains("<a href=\"https://elsewhere.example/\">out</a>"),
        "{first}"
    );
    assert!(!first.contains("checkout"), "{first}");
    open.send(()).unwrap();
    let rest = chunks(&read_until(&mut stream, "\r\n0\r\n\r\n"));
    assert!(
        rest.contains(
            "<a href=\"/b/checkout\">checkout</a><aside id=\"ab-banner\">You are seeing variant b</aside></body></html>"
        ),
        "{rest}"
    );
}

#[test]
fn the_ab_test_picks_a_variant_and_keeps_it_in_a_cookie() {
    let (open, gate) = mpsc::channel();
    let origin = gated_origin(gate);
    open.send(()).unwrap();
    let (isola, _project) = ab_test(&origin);
    let reply = request("GET", &isola.url("/"), &[], None);
    let cookie = reply.header("set-cookie").unwrap().to_string();
    let variant = if cookie.starts_with("ab=a;") {
        "a"
    } else {
        "b"
    };
    assert!(cookie.starts_with(&format!("ab={variant};")), "{cookie}");
    assert!(
        reply
            .text()
            .contains(&format!("<a href=\"/{variant}/cart\">")),
        "{}",
        reply.text()
    );
}
