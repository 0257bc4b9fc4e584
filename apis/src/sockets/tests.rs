//! `connect()` through the real binary, against a TCP server of the test's
//! own on loopback (`tests/cases/sockets`): data both ways with a
//! half-close, the host's refusal of local addresses unless allowed, and
//! TLS failing cleanly against a server that does not speak it.

use std::io::Write;
use std::net::TcpListener;

use crate::support::{Isola, case, shouting_server};

/// A server that answers every connection with a line of plain text (not
/// TLS) and hangs up. Its port.
fn plain_text_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    port
}

fn worker() -> String {
    case("sockets").join("worker.js").to_str().unwrap().to_string()
}

#[test]
fn connect_talks_to_a_tcp_server_the_host_allows() {
    let port = shouting_server();
    // `Isola::serve` allows loopback, where the test's server listens.
    let isola = Isola::serve(&[&worker()]);
    let reply = isola.post(&format!("/?port={port}"), b"hello over tcp");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["answer"], "HELLO OVER TCP");
    assert_eq!(json["remoteAddress"], format!("127.0.0.1:{port}"));
}

#[test]
fn connect_is_refused_local_addresses_and_fails_tls_cleanly() {
    let port = shouting_server();
    let refused = Isola::serve_strict(&[&worker()]).post(&format!("/?port={port}"), b"x");
    assert_eq!(refused.status, 502);
    let error = refused.json()["error"].as_str().unwrap().to_string();
    assert!(error.contains("127.0.0.1"), "{error}");
    assert!(error.contains("connect()"), "{error}");
    assert!(error.contains("Requires net access"), "{error}");

    let isola = Isola::serve(&[&worker()]);
    let plain = plain_text_server();
    let tls = isola.post(&format!("/?port={plain}&tls=on"), b"x");
    assert_eq!(tls.status, 502);
    let error = tls.json()["error"].as_str().unwrap().to_string();
    assert!(error.contains("TLS handshake"), "{error}");
}
