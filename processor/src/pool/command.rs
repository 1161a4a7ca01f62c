//! Workers of the shell runtime: no wrapper process lives between events; each event runs
//! the function's command.
//!
//! The convention (README, "Shell functions"): the body is the command's stdin and its
//! stdout the response body (200, `text/plain` unless told otherwise); the event's metadata
//! arrives in `FERRITE_*` variables; the command may write `Name: value` lines, and a
//! `Status: NNN` line, to the file named by `FERRITE_RESPONSE_HEADERS`; a non-zero exit is
//! a 500 whose body carries the exit status and the tail of stderr; past the event timeout
//! the command's whole process group is killed and the event answered 504.

use std::collections::{BTreeMap, VecDeque};
use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use super::allocation::Now;
use super::dispatch::{Job, Outcome};
use super::process::describe_exit;
use super::{DispatchError, PoolConfig, WorkerPool};
use crate::event::{Event, Response};

/// Lines of stderr kept for a failed command's 500.
const STDERR_TAIL_LINES: usize = 20;
/// The header whose words become extra arguments, when the spec allows it.
const ARGUMENTS_HEADER: &str = "x-ferrite-arguments";

/// One slot that runs one command at a time.
pub(crate) struct CommandWorker {
    worker: usize,
    generation: u64,
    config: Arc<PoolConfig>,
    pool: WorkerPool,
}

impl CommandWorker {
    pub(crate) fn new(
        worker: usize,
        generation: u64,
        config: Arc<PoolConfig>,
        pool: WorkerPool,
    ) -> Self {
        CommandWorker {
            worker,
            generation,
            config,
            pool,
        }
    }

    /// Runs the events handed to this slot until the pool stops.
    pub(crate) async fn run(self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let stopping = self.pool.stopping().clone();
        loop {
            let job = tokio::select! {
                job = jobs.recv() => job,
                _ = stopping.cancelled() => break,
            };
            let Some(Job { event, reply }) = job else {
                break;
            };
            let outcome = self.run_event(event).await;
            let _ = reply.send(outcome);
            self.pool
                .release(self.worker, self.generation, None, &Now::new());
        }
        self.pool.worker_down(self.worker, self.generation);
    }

    async fn run_event(&self, event: Event) -> Outcome {
        let id = event.id;
        let function = &self.config.function;
        let launch = &self.config.launch;
        let headers_file = match tempfile::NamedTempFile::new() {
            Ok(file) => file,
            Err(err) => {
                return failure(id, format!("cannot make the response headers file: {err}"))
            }
        };
        let mut command = Command::new(&launch.program);
        command.args(&launch.args);
        if function.shell.allow_request_arguments {
            if let Some(extra) = event.headers.get(ARGUMENTS_HEADER) {
                // Words, not a shell line: nothing in them is ever interpreted.
                command.args(extra.split_whitespace());
            }
        }
        command
            .current_dir(&function.dir)
            .envs(function.env.iter().map(|(k, v)| (k, v)))
            .envs(event_env(&event, self.worker, &function.name))
            .env("FERRITE_RESPONSE_HEADERS", headers_file.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => {
                let program = launch.program.display();
                return failure(id, format!("cannot start {program}: {err}"));
            }
        };
        let pid = child.id().unwrap_or_default();
        if let Some(mut stdin) = child.stdin.take() {
            let body = event.body.clone();
            // A command that does not read its stdin closes it early: that is its right.
            tokio::spawn(async move {
                let _ = stdin.write_all(&body).await;
            });
        }
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let worker = self.worker;
        let finished = tokio::time::timeout(function.event_timeout, async {
            let (body, tail) = tokio::join!(read_all(stdout), log_lines(stderr, worker, pid));
            (body, tail, child.wait().await)
        })
        .await;
        let Ok((body, tail, status)) = finished else {
            kill_group(pid);
            let _ = child.wait().await;
            return Outcome::Failed(DispatchError::Timeout {
                id,
                worker,
                timeout: function.event_timeout,
            });
        };
        let status = match status {
            Ok(status) => status,
            Err(err) => return failure(id, format!("cannot wait for the command: {err}")),
        };
        if !status.success() {
            let how = describe_exit(status);
            let mut text = format!("command {how}");
            if !tail.is_empty() {
                text.push_str(":\n");
                text.push_str(&tail.join("\n"));
            }
            return failure(id, text);
        }
        let mut response = Response {
            id,
            status: 200,
            headers: function.shell.response_headers.clone(),
            content_type: String::new(),
            body,
            error: None,
        };
        let written = std::fs::read_to_string(headers_file.path()).unwrap_or_default();
        apply_response_headers(&written, &mut response);
        if response.content_type.is_empty()
            && !response
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            response.content_type = "text/plain; charset=utf-8".into();
        }
        Outcome::Done(response)
    }
}

/// A 500 that names what went wrong, as a handler exception would.
fn failure(id: u64, text: String) -> Outcome {
    Outcome::Done(Response {
        id,
        status: 500,
        headers: BTreeMap::new(),
        content_type: "text/plain; charset=utf-8".into(),
        body: Bytes::from(text.clone()),
        error: Some(text),
    })
}

fn kill_group(pid: u32) {
    if pid != 0 {
        // ESRCH: the group is gone already.
        let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
}

async fn read_all(stream: Option<impl tokio::io::AsyncRead + Unpin>) -> Bytes {
    let mut body = Vec::new();
    if let Some(mut stream) = stream {
        let _ = stream.read_to_end(&mut body).await;
    }
    Bytes::from(body)
}

/// Logs each stderr line with the worker id and returns the last few.
async fn log_lines(
    stream: Option<impl tokio::io::AsyncRead + Unpin>,
    worker: usize,
    pid: u32,
) -> Vec<String> {
    let mut tail = VecDeque::new();
    let Some(stream) = stream else {
        return Vec::new();
    };
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "ferrite::handler", worker, pid, stream = "stderr", "{line}");
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    tail.into()
}

/// The variables that carry one event to a command.
fn event_env(event: &Event, worker: usize, function: &str) -> Vec<(String, String)> {
    let query = event.url.split_once('?').map_or("", |(_, query)| query);
    let mut env = vec![
        ("FERRITE_EVENT_ID".to_owned(), event.id.to_string()),
        ("FERRITE_METHOD".to_owned(), event.method.clone()),
        ("FERRITE_PATH".to_owned(), event.path.clone()),
        ("FERRITE_URL".to_owned(), event.url.clone()),
        ("FERRITE_QUERY".to_owned(), query.to_owned()),
        (
            "FERRITE_CONTENT_TYPE".to_owned(),
            event.content_type.clone(),
        ),
        (
            "FERRITE_TRIGGER_KIND".to_owned(),
            event.trigger.kind.clone(),
        ),
        (
            "FERRITE_TRIGGER_NAME".to_owned(),
            event.trigger.name.clone(),
        ),
        ("FERRITE_WORKER_ID".to_owned(), worker.to_string()),
        ("FERRITE_FUNCTION_NAME".to_owned(), function.to_owned()),
    ];
    for (name, value) in &event.headers {
        env.push((format!("FERRITE_HEADER_{}", env_name(name)), value.clone()));
    }
    for (name, value) in &event.query {
        env.push((format!("FERRITE_QUERY_{}", env_name(name)), value.clone()));
    }
    env.retain(|(_, value)| !value.contains('\0'));
    env
}

/// `x-custom-header` → `X_CUSTOM_HEADER`: upper case, anything but letters and digits `_`.
fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Applies the `Name: value` lines a command wrote; `Status` and `Content-Type` are special.
fn apply_response_headers(text: &str, response: &mut Response) {
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            tracing::warn!(event = response.id, %line, "response headers file: not a `Name: value` line; ignored");
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            match value
                .split_whitespace()
                .next()
                .and_then(|code| code.parse().ok())
            {
                Some(status) => response.status = status,
                None => {
                    tracing::warn!(event = response.id, %value, "response headers file: bad Status; ignored")
                }
            }
        } else if name.eq_ignore_ascii_case("content-type") {
            response.content_type = value.to_owned();
        } else {
            response.headers.insert(name.to_owned(), value.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_become_variable_names() {
        assert_eq!(env_name("x-custom-header"), "X_CUSTOM_HEADER");
        assert_eq!(env_name("content.type/1"), "CONTENT_TYPE_1");
    }

    #[test]
    fn response_headers_file_sets_status_type_and_headers() {
        let mut response = Response {
            id: 1,
            status: 200,
            headers: BTreeMap::new(),
            content_type: String::new(),
            body: Bytes::new(),
            error: None,
        };
        apply_response_headers(
            "Status: 201 Created\ncontent-type: text/x-made\nX-A: b: c\n\nnonsense\nStatus: many\n",
            &mut response,
        );
        assert_eq!(response.status, 201);
        assert_eq!(response.content_type, "text/x-made");
        assert_eq!(response.headers["X-A"], "b: c");
        assert_eq!(response.headers.len(), 1);
    }
}
