//! WebSockets through the real binary: the echo example
//! (`guests/js/websocket-echo`) driven by a real WebSocket client, and a
//! Worker connecting out (`tests/cases/websocket-client`).

use crate::support::{Isola, case, guest};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, connect};

fn echo() -> Isola {
    Isola::serve(&[guest("websocket-echo").to_str().unwrap()])
}

fn ws_url(isola: &Isola, path: &str) -> String {
    isola.url(path).replacen("http://", "ws://", 1)
}

#[test]
fn the_echo_worker_answers_text_and_binary_and_closes_when_asked() {
    let isola = echo();
    let (mut socket, response) = connect(ws_url(&isola, "/")).unwrap();
    assert_eq!(response.status(), 101);

    socket.send(Message::text("hello")).unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("1: HELLO"));
    socket.send(Message::text("again")).unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("2: AGAIN"));
    socket.send(Message::binary(vec![1, 2, 3])).unwrap();
    assert_eq!(socket.read().unwrap(), Message::binary(vec![3, 2, 1]));

    socket.send(Message::text("close")).unwrap();
    match socket.read().unwrap() {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(frame.reason, "bye");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Reading on completes the closing handshake.
    while socket.read().is_ok() {}
    assert!(isola.wait_for_log("closed with 1000 bye after 2 messages"));
}

#[test]
fn a_client_that_closes_is_heard_and_the_worker_goes_on_serving() {
    let isola = echo();
    let (mut socket, _) = connect(ws_url(&isola, "/")).unwrap();
    socket.send(Message::text("one")).unwrap();
    assert_eq!(socket.read().unwrap(), Message::text("1: ONE"));
    socket.close(None).unwrap();
    while socket.read().is_ok() {}
    assert!(isola.wait_for_log("closed with 1005  after 1 messages"));

    // A new connection gets a socket of its own; plain HTTP still works.
    let (mut second, _) = connect(ws_url(&isola, "/")).unwrap();
    second.send(Message::text("two")).unwrap();
    assert_eq!(second.read().unwrap(), Message::text("1: TWO"));
    assert_eq!(isola.get("/").status, 426);
}

#[test]
fn a_worker_connects_out_with_fetch_and_with_new_websocket() {
    let server = echo();
    let client = Isola::serve(&[case("websocket-client").join("worker.js").to_str().unwrap()]);
    let url = server.url("/");
    let via_fetch = client.get(&format!("/fetch?url={url}")).json();
    assert_eq!(via_fetch["status"], 101);
    assert_eq!(via_fetch["reply"], "1: PING");
    let via_constructor = client.get(&format!("/constructor?url={url}")).json();
    assert_eq!(via_constructor["reply"], "1: PING");
    // Closing: CLOSING until the server's close frame arrives.
    assert_eq!(via_constructor["readyState"], 2);
}
