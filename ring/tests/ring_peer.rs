//! The `ring-peer` binary against this crate's own wrapper end, as each language's stress
//! test attaches to it: a full exchange succeeds, and a bad frame makes it exit 1 naming
//! the fault.
#![cfg(not(loom))]

mod exchange;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU64;

use ferrite_ring::peer::{self, Plan};

const CAPACITY: usize = 1024;

/// Starts the peer in `dir` and returns it with the paths of its `ready` line.
fn start(dir: &Path, frames: u64) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ring-peer"))
        .arg("--dir")
        .arg(dir)
        .args(["--capacity", &CAPACITY.to_string()])
        .args(["--frames", &frames.to_string(), "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let ["ready", segment, socket] = words[..] else {
        panic!("ring-peer's first line is {line:?}");
    };
    (child, segment.to_owned(), socket.to_owned())
}

fn output(child: Child) -> (bool, String, String) {
    let out = child.wait_with_output().unwrap();
    let text = |bytes| String::from_utf8(bytes).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn a_wrapper_side_exchanges_checked_frames_with_the_peer() {
    let dir = exchange::segment_dir();
    let frames = exchange::frame_count();
    let (child, segment, socket) = start(dir.path(), frames);
    let end = ferrite_ring::open(Path::new(&segment)).unwrap();
    let bell = UnixStream::connect(&socket).unwrap();
    let plan = Plan {
        seed: 11,
        frames,
        capacity: CAPACITY,
        size: peer::up_to_twice_the_ring,
        pause_every: 32,
    };
    let stats = peer::run_side(end, bell, &plan, &AtomicU64::new(0)).unwrap();
    assert_eq!((stats.frames_sent, stats.frames_received), (frames, frames));
    let (ok, stdout, stderr) = output(child);
    assert!(ok, "ring-peer failed: {stderr}");
    assert_eq!(stdout, format!("ok {frames} {frames}\n"));
    // It removed the names once the wrapper was attached.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_peer_names_a_lost_frame_and_exits_1() {
    let dir = exchange::segment_dir();
    let (child, segment, socket) = start(dir.path(), 10);
    let mut end = ferrite_ring::open(Path::new(&segment)).unwrap();
    let mut bell = UnixStream::connect(&socket).unwrap();
    // Frame 1 of an empty payload where frame 0 belongs.
    let mut frame = [0u8; peer::FRAME_HEADER];
    frame[4..12].copy_from_slice(&1u64.to_le_bytes());
    frame[12..16].copy_from_slice(&peer::fnv1a32(&[]).to_le_bytes());
    assert_eq!(end.producer.write(&frame), frame.len());
    bell.write_all(&[1]).unwrap();
    // The peer exits, closing its end: read until then, ignoring its frames.
    let _ = bell.read_to_end(&mut Vec::new());
    let (ok, stdout, stderr) = output(child);
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("frame 0 lost or reordered: frame 1 came in its place"),
        "{stderr}"
    );
}
