//! Connection-level limits (SPEC §2): later request heads on a kept-alive connection
//! have the same deadline as the first, and an oversized body announced with
//! `Expect: 100-continue` is refused before the client is told to send it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::*;

fn connect(app: &TestApp) -> TcpStream {
    let port = app.address.rsplit(':').next().unwrap();
    let stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    stream
}

/// Reads one response whose body has a `content-length`; returns its status line.
fn read_response(reader: &mut BufReader<TcpStream>) -> String {
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    status
}

#[tokio::test]
async fn a_later_head_on_a_kept_alive_connection_that_trickles_gets_408() {
    let app = spawn_app().await;
    let stream = connect(&app);
    let outcome = tokio::task::spawn_blocking(move || {
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        writer
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let first = read_response(&mut reader);
        // The second head arrives a line a second: each read is quick, the whole is not.
        // 25 lines would finish it after 25 s, well past the 10 s a head may take.
        let trickle = std::thread::spawn(move || {
            let _ = writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
            for i in 0..25 {
                std::thread::sleep(Duration::from_secs(1)); // the client's pace, not a wait
                if write!(writer, "X-Line-{i}: slow\r\n").is_err() {
                    return;
                }
            }
            let _ = writer.write_all(b"\r\n");
        });
        let mut second = String::new();
        let _ = reader.read_to_string(&mut second);
        drop(trickle);
        (first, second)
    })
    .await
    .unwrap();
    assert!(outcome.0.starts_with("HTTP/1.1 200"), "{outcome:?}");
    assert!(
        outcome.1.starts_with("HTTP/1.1 408"),
        "the second head took too long: {:?}",
        outcome.1
    );
}

#[tokio::test]
async fn an_oversized_body_announced_with_expect_100_continue_gets_413_at_once() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let mut stream = connect(&app);
    let first_line = tokio::task::spawn_blocking(move || {
        write!(
            stream,
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert!(
        first_line.starts_with("HTTP/1.1 413"),
        "no 100 Continue for a body that will be refused: {first_line:?}"
    );
    // A body within the limit is still invited.
    let mut stream = connect(&app);
    let body = format!("csrf_token={token}&login=x&password=y");
    let first_line = tokio::task::spawn_blocking(move || {
        write!(
            stream,
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert!(first_line.starts_with("HTTP/1.1 100"), "{first_line:?}");
}
