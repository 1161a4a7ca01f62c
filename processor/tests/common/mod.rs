//! What the end-to-end test binaries share: a real `ferrite run`, read until it printed its
//! URL, with its log at hand.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `ferrite run` on port 0, started by [`Running::spawn`]; killed when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
    /// `host:port` of its HTTP trigger.
    pub(crate) address: String,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Starts `command` (a `ferrite run … --port 0`) and returns once it printed its URL.
    pub(crate) fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Running {
            child,
            address,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle` and returns everything seen so far.
    pub(crate) fn wait_for_log(&mut self, needle: &str) -> String {
        let until = Instant::now() + Duration::from_secs(20);
        while !self.seen.iter().any(|line| line.contains(needle)) {
            let left = until.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no log line with {needle:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
        self.seen.join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
