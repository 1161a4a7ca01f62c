//! The worker pool over the `shm` transport with a wrapper written here in Rust, on
//! `ferrite-ring` directly, so the processor's side is tested on its own: hello and ready, a
//! 64 MiB event and response through a 64 KiB ring, many events in a row, and a wrapper
//! that dies with an event in hand (that event fails as over a unix socket, the worker
//! restarts on a fresh segment, the events after it succeed, none runs twice).
//!
//! No test harness: the pool starts this same binary as its wrapper, which it knows by
//! `FERRITE_SHM_PATH` in its environment.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrite::codec::{CodecKind, Hello, Message, WireCodec, PROTOCOL_VERSION};
use ferrite::event::{Event, Response, TriggerInfo};
use ferrite::pool::{DispatchError, PoolConfig, WorkerPool};
use ferrite::runtime::Launch;
use ferrite::spec::{self, Overrides};
use ferrite::transport::{ShmSettings, TransportKind};

fn main() {
    if std::env::var_os("FERRITE_SHM_PATH").is_some() {
        wrapper::run();
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for codec in CodecKind::ALL {
        runtime.block_on(events_cross_the_rings_and_a_dead_wrapper_is_a_closed_socket(codec));
        println!("shm_pool {}: ok", codec.name());
    }
    println!("shm_pool: {} passed, 0 failed", CodecKind::ALL.len());
}

async fn events_cross_the_rings_and_a_dead_wrapper_is_a_closed_socket(codec: CodecKind) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.py"), "").unwrap();
    std::fs::write(
        dir.path().join("function.yaml"),
        "metadata:\n  name: shm\nspec:\n  runtime: python\n  handler: main:handler\n",
    )
    .unwrap();
    let mut function = spec::load(dir.path(), &Overrides::default())
        .unwrap()
        .function;
    // This binary stands in for the wrapper, to test the processor's side alone.
    function.transport = TransportKind::Shm;
    function.codec = codec;
    function.shm = ShmSettings {
        spin: Duration::from_micros(50),
        ring_bytes: 64 << 10,
    };
    let pool = WorkerPool::start(PoolConfig {
        function: Arc::new(function),
        launch: Launch {
            program: std::env::current_exe().unwrap(),
            args: Vec::new(),
            env: Vec::new(),
        },
        log_level: "info".into(),
    })
    .await
    .unwrap();
    let send = |path: &str, body: Vec<u8>| {
        let event = event(pool.next_event_id(), path, body);
        let pool = pool.clone();
        async move { tokio::time::timeout(Duration::from_secs(60), pool.dispatch(event)).await }
    };

    let big: Vec<u8> = (0..64u32 << 20).map(|i| (i % 249) as u8).collect();
    let response = send("/echo", big.clone()).await.unwrap().unwrap();
    assert!(response.body == big, "the 64 MiB echo differs");

    let many: Vec<_> = (0..200u32)
        .map(|i| send("/echo", i.to_le_bytes().to_vec()))
        .collect();
    for (i, answer) in futures_util::future::join_all(many)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            answer.unwrap().unwrap().body,
            (i as u32).to_le_bytes().as_slice()
        );
    }

    let died = send("/exit", Vec::new()).await.unwrap().unwrap_err();
    assert!(matches!(died, DispatchError::WorkerDied { .. }), "{died:?}");
    for i in 0..20u32 {
        let answer = send("/echo", i.to_le_bytes().to_vec()).await.unwrap();
        assert_eq!(answer.unwrap().body, i.to_le_bytes().as_slice());
    }
    idle_costs_neither_side_cpu(dir.path()).await;
    pool.shutdown().await;

    let log = std::fs::read_to_string(dir.path().join("events.log")).unwrap();
    let ids: Vec<&str> = log.lines().collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 1 + 200 + 1 + 20, "{log}");
    assert_eq!(unique.len(), ids.len(), "an event ran twice:\n{log}");
    let own = format!("ferrite-{}-", std::process::id());
    let left = std::fs::read_dir("/dev/shm")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&own))
        .count();
    assert_eq!(left, 0, "the pool left its shared-memory directory behind");
}

/// With no events, neither the processor nor its wrapper spins: each uses under 2% of a
/// core (`FERRITE_SHM_IDLE_SECONDS`, default 3, to watch longer).
async fn idle_costs_neither_side_cpu(function_dir: &Path) {
    let seconds: u64 = std::env::var("FERRITE_SHM_IDLE_SECONDS")
        .map(|s| s.parse().unwrap())
        .unwrap_or(3);
    let wrapper = std::fs::read_to_string(function_dir.join("wrapper.pid")).unwrap();
    let pids = [std::process::id().to_string(), wrapper.trim().to_owned()];
    let before = pids.clone().map(|pid| cpu_ticks(&pid));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = pids.clone().map(|pid| cpu_ticks(&pid));
    for ((side, before), after) in ["processor", "wrapper"].iter().zip(before).zip(after) {
        // Clock ticks are 1/100 s on Linux (USER_HZ).
        let share = (after - before) as f64 / (seconds as f64 * 100.0);
        println!(
            "idle {seconds} s: {side} used {:.2}% of a core",
            100.0 * share
        );
        assert!(
            share < 0.02,
            "the {side} spins while idle: {:.1}%",
            100.0 * share
        );
    }
}

/// utime + stime of process `pid`, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn event(id: u64, path: &str, body: Vec<u8>) -> Event {
    Event {
        id,
        trigger: TriggerInfo {
            kind: "http".into(),
            name: "test".into(),
        },
        method: "POST".into(),
        path: path.into(),
        url: path.into(),
        query: BTreeMap::new(),
        headers: BTreeMap::new(),
        content_type: "application/octet-stream".into(),
        body: Bytes::from(body),
        timestamp: 0,
        deadline: 0,
    }
}

/// A wrapper in the fewest lines: one thread that reads an event, answers it, and blocks
/// on the doorbell when its ring is empty, or full (which is safe: the processor reads
/// responses whether or not it is writing events).
mod wrapper {
    use super::*;

    pub(super) fn run() {
        let var = |name: &str| std::env::var(name).unwrap();
        let end = ferrite_ring::open(Path::new(&var("FERRITE_SHM_PATH"))).unwrap();
        let bell = UnixStream::connect(var("FERRITE_ADDRESS")).unwrap();
        let codec = CodecKind::ALL
            .into_iter()
            .find(|codec| codec.name() == var("FERRITE_CODEC"))
            .unwrap();
        let mut wire = Wire {
            end,
            bell,
            codec: WireCodec::new(codec),
            incoming: BytesMut::new(),
        };
        wire.send(&Message::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            token: var("FERRITE_TOKEN"),
            runtime: "rust-test".into(),
            runtime_version: String::new(),
            pid: std::process::id(),
            concurrency: 1,
        }));
        wire.send(&Message::Ready);
        std::fs::write("wrapper.pid", std::process::id().to_string()).unwrap();
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open("events.log")
            .unwrap();
        loop {
            match wire.recv() {
                Message::Event(event) => {
                    writeln!(log, "{}", event.id).unwrap();
                    if event.path == "/exit" {
                        std::process::exit(3);
                    }
                    wire.send(&Message::Response(Response {
                        id: event.id,
                        status: 200,
                        headers: BTreeMap::new(),
                        content_type: event.content_type,
                        body: event.body,
                        error: None,
                    }));
                }
                Message::Shutdown => return,
                _ => {}
            }
        }
    }

    struct Wire {
        end: ferrite_ring::Endpoint,
        bell: UnixStream,
        codec: WireCodec,
        incoming: BytesMut,
    }

    impl Wire {
        fn recv(&mut self) -> Message {
            let mut chunk = vec![0; 64 << 10];
            loop {
                if let Some(message) = self.codec.decode(&mut self.incoming).unwrap() {
                    return message;
                }
                let n = self.end.consumer.read(&mut chunk);
                if n > 0 {
                    self.incoming.extend_from_slice(&chunk[..n]);
                    if self.end.consumer.needs_ring() {
                        self.ring();
                    }
                    continue;
                }
                let sleep = self.end.consumer.prepare_to_sleep();
                self.sleep_if(sleep);
                self.end.consumer.cancel_sleep();
            }
        }

        fn send(&mut self, message: &Message) {
            let mut bytes = BytesMut::new();
            self.codec.encode(message, &mut bytes).unwrap();
            let mut at = 0;
            while at < bytes.len() {
                let n = self.end.producer.write(&bytes[at..]);
                at += n;
                if n > 0 {
                    if self.end.producer.needs_ring() {
                        self.ring();
                    }
                    continue;
                }
                let sleep = self.end.producer.prepare_to_sleep();
                self.sleep_if(sleep);
                self.end.producer.cancel_sleep();
            }
        }

        fn ring(&mut self) {
            let _ = self.bell.write_all(&[1]);
        }

        /// Blocks until rung if `sleep` (a sleep was announced and still holds); EOF means
        /// the processor has gone, and so does the wrapper.
        fn sleep_if(&mut self, sleep: bool) {
            if !sleep {
                return;
            }
            let mut rings = [0u8; 64];
            if self.bell.read(&mut rings).unwrap_or(0) == 0 {
                std::process::exit(0);
            }
        }
    }
}
