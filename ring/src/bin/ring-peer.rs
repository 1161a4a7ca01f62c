//! `ring-peer`: the processor's side of a stress exchange of test frames, for a wrapper's
//! shm transport in any language to attach to as the wrapper side.
//!
//! ```text
//! ring-peer --dir DIR --capacity BYTES --frames N --seed S [--pause-every K]
//! ```
//!
//! Creates a segment (`DIR/ring-peer.ring`, rings of BYTES) and a doorbell socket
//! (`DIR/ring-peer.sock`), prints `ready SEGMENT_PATH SOCKET_PATH`, accepts one connection
//! and removes both names (as the processor does), then writes N test frames into
//! `to_wrapper` while it reads and checks N from `to_processor`. Prints `ok SENT RECEIVED`
//! and exits 0, or prints the first fault to stderr and exits 1 (2 for bad arguments).
//! The frame format is in `ferrite_ring::peer` and `schemas/PROTOCOL.md` ("shm").

// Segments need real atomics: under `--cfg loom` there is nothing to run here.
#[cfg(loom)]
fn main() {}

#[cfg(not(loom))]
fn main() -> std::process::ExitCode {
    use clap::Parser;

    match ring_peer::run(&ring_peer::Args::parse()) {
        Ok(stats) => {
            println!("ok {} {}", stats.frames_sent, stats.frames_received);
            std::process::ExitCode::SUCCESS
        }
        Err(fault) => {
            eprintln!("ring-peer: {fault}");
            std::process::ExitCode::from(1)
        }
    }
}

#[cfg(not(loom))]
mod ring_peer {
    use std::error::Error;
    use std::io::Write;
    use std::os::unix::net::UnixListener;
    use std::path::PathBuf;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;

    use ferrite_ring::peer::{self, Plan, Stats};

    /// The processor's side of a stress exchange of checked test frames over a new segment.
    #[derive(clap::Parser)]
    #[command(name = "ring-peer")]
    pub(crate) struct Args {
        /// Directory to create the segment and the doorbell socket in.
        #[arg(long)]
        dir: PathBuf,
        /// Capacity of each ring in bytes (a power of two from 64 to 1 GiB).
        #[arg(long)]
        capacity: usize,
        /// Frames to send, and to receive.
        #[arg(long)]
        frames: u64,
        /// Seed of the payloads, sizes and pauses.
        #[arg(long)]
        seed: u64,
        /// Pause up to 150 µs after one turn of the loop in K on average; 0 never pauses.
        #[arg(long, value_name = "K", default_value_t = 32)]
        pause_every: u32,
    }

    pub(crate) fn run(args: &Args) -> Result<Stats, Box<dyn Error>> {
        let segment = args.dir.join("ring-peer.ring");
        let socket = args.dir.join("ring-peer.sock");
        let end = ferrite_ring::create(&segment, args.capacity)?;
        let listener = UnixListener::bind(&socket)
            .map_err(|e| format!("binding {}: {e}", socket.display()))?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready {} {}", segment.display(), socket.display())?;
        stdout.flush()?;
        drop(stdout);

        let plan = Plan {
            seed: args.seed,
            frames: args.frames,
            capacity: args.capacity,
            size: peer::up_to_twice_the_ring,
            pause_every: args.pause_every,
        };
        let progress = Arc::new(AtomicU64::new(0));
        // A thread, so that the watchdog below also bounds the wait for a connection.
        let side = {
            let progress = Arc::clone(&progress);
            std::thread::spawn(move || -> Result<Stats, Box<dyn Error + Send + Sync>> {
                let (bell, _) = listener.accept()?;
                // The wrapper mapped the segment before connecting; the names can go.
                std::fs::remove_file(&segment)?;
                std::fs::remove_file(&socket)?;
                Ok(peer::run_side(end, bell, &plan, &progress)?)
            })
        };
        peer::watch(&[&progress], || side.is_finished())?;
        match side.join() {
            Ok(result) => result.map_err(|e| e as Box<dyn Error>),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
