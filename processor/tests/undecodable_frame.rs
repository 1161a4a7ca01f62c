//! A wrapper that answers an event with a frame its codec cannot decode, for every codec:
//! the real `ferrite` binary answers that event 502 with an error naming the worker and
//! what failed, logs the same, restarts the worker, and the next event succeeds on a new
//! wrapper process.
//!
//! No test harness: `ferrite run` starts this same binary as its "Python interpreter"
//! (`FERRITE_PYTHON`), which it knows by `FERRITE_TOKEN` in its environment. The wrapper
//! side is written here in Rust on the processor's own codecs, so it can send exactly
//! the broken frame each case needs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use ferrite::codec::CodecKind;

mod common;
use common::Running;

fn main() {
    if std::env::var_os("FERRITE_TOKEN").is_some() {
        wrapper::run();
        return;
    }
    for codec in CodecKind::ALL {
        let error = an_undecodable_answer_restarts_the_worker_and_says_why(codec);
        println!(
            "undecodable_frame {}: ok (502 {})",
            codec.name(),
            error.trim_end()
        );
    }
    println!(
        "undecodable_frame: {} passed, 0 failed",
        CodecKind::ALL.len()
    );
}

/// Returns the 502's body.
fn an_undecodable_answer_restarts_the_worker_and_says_why(codec: CodecKind) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.py"), "").unwrap();
    std::fs::write(
        dir.path().join("function.yaml"),
        "metadata:\n  name: undecodable\nspec:\n  runtime: python\n  handler: main:handler\n",
    )
    .unwrap();
    let mut processor = start_processor(dir.path(), codec);

    let (status, error) = http(&processor.address, "/corrupt");
    let error = String::from_utf8_lossy(&error).into_owned();
    assert_eq!(status, 502, "{}: {error}", codec.name());
    let says = match codec {
        CodecKind::Json | CodecKind::Msgpack => "malformed response message",
        CodecKind::Flatbuffers => "malformed flatbuffers message: the verifier refused it",
    };
    for needle in ["worker 0 (pid ", "broke the protocol (", says] {
        assert!(
            error.contains(needle),
            "{}: {error:?} lacks {needle:?}",
            codec.name()
        );
    }
    let log = processor.wait_for_log("broke the protocol");
    let line = log
        .lines()
        .find(|line| line.contains("broke the protocol"))
        .unwrap();
    assert!(
        line.contains("worker=0") && line.contains(says),
        "{}: {line}",
        codec.name()
    );
    let broken_pid = error
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_owned();

    // The worker is restarted: a new wrapper process answers.
    let (status, body) = http(&processor.address, "/pid");
    let pid = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, 200, "{}: {pid}", codec.name());
    assert_ne!(
        pid,
        broken_pid,
        "{}: the same wrapper answered",
        codec.name()
    );
    error
}

/// `ferrite run` on port 0 with this binary as its wrapper, once it printed its URL.
fn start_processor(dir: &std::path::Path, codec: CodecKind) -> Running {
    Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .arg("run")
            .arg(dir)
            .args(["--port", "0", "--workers", "1", "--codec", codec.name()])
            .env("FERRITE_PYTHON", std::env::current_exe().unwrap())
            .env_remove("FERRITE_LOG"),
    )
}

/// One GET on its own connection; returns status and body.
fn http(address: &str, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// The wrapper: hello, ready, then answers `/corrupt` with a frame that does not decode
/// and anything else with its pid.
mod wrapper {
    use std::collections::BTreeMap;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    use bytes::{Bytes, BytesMut};
    use ferrite::codec::{CodecKind, Hello, Message, WireCodec, PROTOCOL_VERSION};
    use ferrite::event::Response;

    pub(super) fn run() {
        let var = |name: &str| std::env::var(name).unwrap();
        let codec = CodecKind::ALL
            .into_iter()
            .find(|codec| codec.name() == var("FERRITE_CODEC"))
            .unwrap();
        assert_eq!(var("FERRITE_TRANSPORT"), "unix");
        let mut socket = UnixStream::connect(var("FERRITE_ADDRESS")).unwrap();
        let mut wire = WireCodec::new(codec);
        let mut out = BytesMut::new();
        let hello = Message::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            token: var("FERRITE_TOKEN"),
            runtime: "rust-test".into(),
            runtime_version: String::new(),
            pid: std::process::id(),
            concurrency: 1,
        });
        for message in [hello, Message::Ready] {
            wire.encode(&message, &mut out).unwrap();
        }
        socket.write_all(&out).unwrap();

        let mut incoming = BytesMut::new();
        let mut chunk = vec![0; 64 << 10];
        loop {
            let message = match wire.decode(&mut incoming).unwrap() {
                Some(message) => message,
                None => {
                    let n = socket.read(&mut chunk).unwrap();
                    if n == 0 {
                        return;
                    }
                    incoming.extend_from_slice(&chunk[..n]);
                    continue;
                }
            };
            let event = match message {
                Message::Event(event) => event,
                Message::Shutdown => return,
                _ => continue,
            };
            let response = Message::Response(Response {
                id: event.id,
                status: 200,
                headers: BTreeMap::new(),
                content_type: "text/plain".into(),
                body: Bytes::from(std::process::id().to_string()),
                error: None,
            });
            out.clear();
            wire.encode(&response, &mut out).unwrap();
            if event.path == "/corrupt" {
                corrupt(codec, &mut out);
            }
            socket.write_all(&out).unwrap();
        }
    }

    /// Breaks the one response frame in `frame` so its codec cannot decode it.
    fn corrupt(codec: CodecKind, frame: &mut BytesMut) {
        match codec {
            // The line cut off inside its object.
            CodecKind::Json => {
                frame.truncate(frame.len() / 2);
                frame.extend_from_slice(b"\n");
            }
            // 0xc1 is never used in MessagePack: the payload after the kind byte.
            CodecKind::Msgpack => {
                frame.truncate(5);
                frame.extend_from_slice(&[0xc1]);
                frame[..4].copy_from_slice(&2u32.to_be_bytes());
            }
            // The buffer's root offset (after the length prefix) points past its end.
            CodecKind::Flatbuffers => {
                let len = (frame.len() - 4) as u32;
                frame[4..8].copy_from_slice(&(len + 64).to_le_bytes());
            }
        }
    }
}
