//! One wrapper process: spawned in its own process group with its output captured, and
//! killed as a group so nothing it started outlives it.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::runtime::Launch;

/// How many stderr lines are kept to explain a failed start.
const STDERR_TAIL_LINES: usize = 20;
/// Longer output lines are logged in pieces of this size, so a handler printing without
/// newlines cannot make the processor buffer without bound.
const MAX_LINE_BYTES: u64 = 64 * 1024;

/// A running wrapper process.
pub(crate) struct WrapperProcess {
    child: Child,
    pid: u32,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl WrapperProcess {
    /// Starts the wrapper with `env` added to the launch's own environment.
    pub(crate) fn spawn(
        launch: &Launch,
        dir: &std::path::Path,
        env: &[(String, String)],
        worker: usize,
    ) -> std::io::Result<WrapperProcess> {
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .current_dir(dir)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot start {}: {err}", launch.program.display()),
            )
        })?;
        let pid = child.id().unwrap_or_default();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_lines(stdout, worker, pid, "stdout", None));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_lines(
                stderr,
                worker,
                pid,
                "stderr",
                Some(stderr_tail.clone()),
            ));
        }
        Ok(WrapperProcess {
            child,
            pid,
            stderr_tail,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the process to exit.
    pub(crate) async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Kills the process and everything in its group (children the handler started).
    pub(crate) fn kill_group(&mut self) {
        if self.pid != 0 {
            // ESRCH means the group is already gone, which is what we want.
            let _ = killpg(Pid::from_raw(self.pid as i32), Signal::SIGKILL);
        }
        let _ = self.child.start_kill();
    }

    /// Kills the group and reaps the process, returning how it ended.
    pub(crate) async fn kill_and_reap(&mut self) -> String {
        self.kill_group();
        match self.child.wait().await {
            Ok(status) => describe_exit(status),
            Err(err) => format!("could not be reaped ({err})"),
        }
    }

    /// The last lines the process wrote to stderr.
    pub(crate) fn stderr_tail(&self) -> Vec<String> {
        let tail = self.stderr_tail.lock().expect("tail lock");
        tail.iter().cloned().collect()
    }
}

/// "exited with status 3", "was killed by signal 9 (SIGKILL)".
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exited with status {code}")
    } else if let Some(signal) = status.signal() {
        match Signal::try_from(signal) {
            Ok(name) => format!("was killed by signal {signal} ({name})"),
            Err(_) => format!("was killed by signal {signal}"),
        }
    } else {
        format!("ended ({status})")
    }
}

/// Logs each line the wrapper writes, with its worker id, keeping a tail if asked.
async fn forward_lines(
    stream: impl AsyncRead + Unpin,
    worker: usize,
    pid: u32,
    name: &'static str,
    tail: Option<Arc<Mutex<VecDeque<String>>>>,
) {
    let mut reader = BufReader::new(stream);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut raw)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\n', '\r']);
        tracing::info!(target: "ferrite::handler", worker, pid, stream = name, "{line}");
        if let Some(tail) = &tail {
            let mut tail = tail.lock().expect("tail lock");
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_owned());
        }
    }
}
