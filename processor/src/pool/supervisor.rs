//! Supervision of one worker: start the wrapper, wait for it to be ready, serve events
//! until it dies or overruns, settle what it held, and start it again with backoff.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::{emit_log, End, Ended, FrameReader, Live, Pending};
use super::dispatch::{Job, Outcome};
use super::process::{describe_exit, WrapperProcess};
use super::{DispatchError, PoolConfig, PoolError, WorkerPool};
use crate::codec::{Hello, InitError, Message, PROTOCOL_VERSION};
use crate::transport::{Endpoint, WriteHalf};

/// Restart delays grow from this ...
const BACKOFF_START: Duration = Duration::from_millis(100);
/// ... to at most this ...
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// ... and fall back to an immediate restart once a wrapper has stayed up this long.
const HEALTHY_RUN: Duration = Duration::from_secs(10);
/// How long a connection may take to send its hello before it is dropped as a stranger.
const HELLO_WAIT: Duration = Duration::from_secs(5);
/// How long, after a wrapper exited during start-up, its last frames are read for: they
/// are already in the socket buffer, so this is only a bound.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);
/// How long a wrapper that closed its connection gets to exit before it is killed.
const EXIT_WAIT: Duration = Duration::from_secs(2);

pub(crate) struct Supervisor {
    worker: usize,
    endpoint: Endpoint,
    config: Arc<PoolConfig>,
    pool: WorkerPool,
    /// Start-up report: the first ready, or why the worker cannot start.
    ready: Option<mpsc::Sender<Result<(), PoolError>>>,
    token: String,
}

/// A wrapper that has said ready.
struct Started {
    process: WrapperProcess,
    frames: FrameReader,
    writer: WriteHalf,
    hello: Hello,
}

/// How a handshake ended.
enum Handshake {
    Ready(FrameReader, WriteHalf, Hello),
    InitError(InitError),
    /// The wrapper closed the connection; its exit status tells why.
    Closed,
    Problem(String),
}

/// Why an incarnation did not reach ready.
enum StartFailure {
    /// Worth reporting, and at start-up fatal.
    Failed(PoolError),
    /// The pool is stopping.
    Stopping,
}

impl Supervisor {
    pub(crate) fn new(
        worker: usize,
        endpoint: Endpoint,
        config: Arc<PoolConfig>,
        pool: WorkerPool,
        ready: mpsc::Sender<Result<(), PoolError>>,
    ) -> Self {
        Supervisor {
            worker,
            endpoint,
            config,
            pool,
            ready: Some(ready),
            token: random_token(),
        }
    }

    pub(crate) async fn run(mut self) {
        let stopping = self.pool.stopping().clone();
        let mut delay = Duration::ZERO;
        loop {
            if stopping.is_cancelled() {
                return;
            }
            let began = Instant::now();
            match self.start().await {
                Ok(started) => {
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Ok(())).await;
                    }
                    self.serve(started).await;
                }
                Err(StartFailure::Stopping) => return,
                Err(StartFailure::Failed(error)) => {
                    let load_error = matches!(error, PoolError::HandlerLoad { .. });
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Err(error)).await;
                        return;
                    }
                    if load_error {
                        // Restarting cannot mend code that does not load: stop the processor.
                        tracing::error!(worker = self.worker, "{error}");
                        self.pool.fail(error);
                        return;
                    }
                    tracing::error!(worker = self.worker, "{error}; restarting");
                }
            }
            delay = if began.elapsed() >= HEALTHY_RUN {
                Duration::ZERO
            } else if delay.is_zero() {
                BACKOFF_START
            } else {
                (delay * 2).min(BACKOFF_MAX)
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stopping.cancelled() => return,
            }
        }
    }

    /// Spawns the wrapper and waits until it is ready, for at most the readiness timeout.
    async fn start(&self) -> Result<Started, StartFailure> {
        let function = &self.config.function;
        let env = self.wrapper_env().map_err(|err| {
            self.start_failed(format!("cannot prepare the transport: {err}"), Vec::new())
        })?;
        let mut process =
            WrapperProcess::spawn(&self.config.launch, &function.dir, &env, self.worker)
                .map_err(|err| self.start_failed(err.to_string(), Vec::new()))?;
        let deadline = Instant::now() + function.readiness_timeout;
        let handshake = self.handshake();
        tokio::pin!(handshake);
        let outcome = tokio::select! {
            outcome = &mut handshake => outcome,
            status = process.wait() => {
                // What the wrapper wrote before it exited (an init_error, say) is still
                // readable: let the handshake take it before blaming the exit.
                match tokio::time::timeout(DRAIN_AFTER_EXIT, &mut handshake).await {
                    Ok(outcome @ (Handshake::InitError(_) | Handshake::Problem(_))) => outcome,
                    _ => {
                        let how = status.map(describe_exit).unwrap_or_else(|err| err.to_string());
                        Handshake::Problem(format!("wrapper {how} before it was ready"))
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline) => Handshake::Problem(format!(
                "not ready within spec.readinessTimeoutSeconds ({} s)",
                function.readiness_timeout.as_secs()
            )),
            _ = self.pool.stopping().cancelled() => {
                process.kill_and_reap().await;
                return Err(StartFailure::Stopping);
            }
        };
        match outcome {
            Handshake::Ready(frames, writer, hello) => Ok(Started {
                process,
                frames,
                writer,
                hello,
            }),
            Handshake::InitError(init) => {
                let _ = tokio::time::timeout(EXIT_WAIT, process.wait()).await;
                process.kill_and_reap().await;
                Err(StartFailure::Failed(PoolError::HandlerLoad {
                    worker: self.worker,
                    message: init.message,
                    detail: init.detail,
                }))
            }
            Handshake::Closed => {
                let how = match tokio::time::timeout(EXIT_WAIT, process.wait()).await {
                    Ok(Ok(status)) => describe_exit(status),
                    _ => process.kill_and_reap().await,
                };
                let problem = format!("wrapper {how} before it was ready");
                Err(self.start_failed(problem, process.stderr_tail()))
            }
            Handshake::Problem(problem) => {
                process.kill_and_reap().await;
                Err(self.start_failed(problem, process.stderr_tail()))
            }
        }
    }

    /// Accepts the wrapper's connection and reads its hello, logs and ready. A connection
    /// whose first frame is not this worker's hello (another local process, on the tcp
    /// transport) is dropped, and the wait for the real wrapper goes on.
    async fn handshake(&self) -> Handshake {
        let (mut frames, writer, hello) = loop {
            let (reader, writer) = match self.endpoint.accept().await {
                Ok(halves) => halves,
                Err(err) => return Handshake::Problem(format!("accept failed: {err}")),
            };
            let mut frames = FrameReader::new(reader, self.config.function.codec);
            match tokio::time::timeout(HELLO_WAIT, frames.next()).await {
                Ok(Ok(Some(Message::Hello(hello)))) if hello.token == self.token => {
                    if let Err(problem) = self.check_hello(&hello) {
                        return Handshake::Problem(problem);
                    }
                    break (frames, writer, hello);
                }
                _ => tracing::warn!(
                    worker = self.worker,
                    "refused a connection to the worker endpoint that did not start with this worker's hello"
                ),
            }
        };
        loop {
            match frames.next().await {
                Ok(Some(Message::Log(log))) => emit_log(self.worker, &log),
                Ok(Some(Message::Ready)) => return Handshake::Ready(frames, writer, hello),
                Ok(Some(Message::InitError(init))) => return Handshake::InitError(init),
                Ok(Some(other)) => {
                    let kind = other.kind().name();
                    return Handshake::Problem(format!("sent {kind} before ready"));
                }
                Ok(None) => return Handshake::Closed,
                Err(err) => {
                    return Handshake::Problem(format!("broke the protocol during start-up: {err}"))
                }
            }
        }
    }

    /// Checks a hello that carried this worker's token.
    fn check_hello(&self, hello: &Hello) -> Result<(), String> {
        if hello.protocol != PROTOCOL_VERSION {
            return Err(format!(
                "wrapper speaks protocol {}, this processor speaks {PROTOCOL_VERSION}",
                hello.protocol
            ));
        }
        if hello.concurrency == 0 {
            return Err("hello declared concurrency 0".into());
        }
        Ok(())
    }

    fn start_failed(&self, reason: String, stderr: Vec<String>) -> StartFailure {
        StartFailure::Failed(PoolError::Start {
            worker: self.worker,
            reason,
            stderr,
        })
    }

    /// The wrapper's environment; readies the endpoint for it (shm: a new segment).
    fn wrapper_env(&self) -> std::io::Result<Vec<(String, String)>> {
        let function = &self.config.function;
        let mut env = function.env.clone();
        env.extend(
            [
                ("FERRITE_PROTOCOL", PROTOCOL_VERSION.to_string()),
                ("FERRITE_TRANSPORT", self.endpoint.kind().name().to_owned()),
                ("FERRITE_ADDRESS", self.endpoint.address()),
                ("FERRITE_CODEC", function.codec.name().to_owned()),
                ("FERRITE_TOKEN", self.token.clone()),
                ("FERRITE_HANDLER", function.handler.clone()),
                ("FERRITE_FUNCTION_DIR", function.dir.display().to_string()),
                ("FERRITE_FUNCTION_NAME", function.name.clone()),
                ("FERRITE_WORKER_ID", self.worker.to_string()),
                ("FERRITE_LOG_LEVEL", self.config.log_level.clone()),
                ("FERRITE_CONCURRENCY", function.concurrency.to_string()),
            ]
            .map(|(name, value)| (name.to_owned(), value)),
        );
        env.extend(self.endpoint.prepare()?);
        Ok(env)
    }

    /// Serves events on a ready wrapper until the connection ends, then settles every
    /// event it held and makes sure the process is gone.
    async fn serve(&self, started: Started) {
        let Started {
            mut process,
            mut frames,
            writer,
            hello,
        } = started;
        let function = &self.config.function;
        let ordered = hello.concurrency == 1;
        let limit = if ordered {
            function.pipeline_depth
        } else {
            hello.concurrency as usize
        };
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let generation = self.pool.worker_up(self.worker, jobs_tx, limit, ordered);
        tracing::info!(
            worker = self.worker,
            pid = process.pid(),
            runtime = %hello.runtime,
            version = %hello.runtime_version,
            concurrency = hello.concurrency,
            "worker ready"
        );
        let live = Live::new(
            self.worker,
            generation,
            ordered,
            function.event_timeout,
            self.pool.clone(),
        );
        let stop_writer = CancellationToken::new();
        let writer_task = tokio::spawn(live.clone().write_events(
            writer,
            function.codec,
            jobs_rx,
            stop_writer.clone(),
        ));
        let end = live.read_responses(&mut frames).await;

        // No new events for this incarnation; events not yet written go elsewhere.
        self.pool.worker_down(self.worker, generation);
        stop_writer.cancel();
        if let Ok(mut jobs) = writer_task.await {
            jobs.close();
            while let Ok(Job { event, reply }) = jobs.try_recv() {
                let _ = reply.send(Outcome::Redispatch(event));
            }
        }
        let ended = Ended {
            end,
            in_flight: live.take_in_flight(),
        };
        self.settle(ended, &mut process).await;
    }

    /// Answers or hands on each event the dead connection held, and reaps the process.
    async fn settle(&self, ended: Ended, process: &mut WrapperProcess) {
        let pid = process.pid();
        let worker = self.worker;
        let Ended { end, mut in_flight } = ended;
        let how = match &end {
            End::Closed => match tokio::time::timeout(EXIT_WAIT, process.wait()).await {
                Ok(Ok(status)) => {
                    process.kill_group();
                    describe_exit(status)
                }
                _ => {
                    process.kill_and_reap().await;
                    "closed its connection".to_owned()
                }
            },
            End::Broken(problem) => {
                let exit = process.kill_and_reap().await;
                format!("broke the protocol ({problem}) and {exit}")
            }
            End::TimedOut | End::Stopping => process.kill_and_reap().await,
        };
        match &end {
            End::Stopping => tracing::info!(worker, pid, "worker stopped ({how})"),
            _ if self.pool.stopping().is_cancelled() && in_flight.is_empty() => {
                tracing::info!(worker, pid, "worker stopped ({how})")
            }
            End::TimedOut => {
                tracing::warn!(worker, pid, "worker killed after an event timeout ({how})")
            }
            _ => tracing::warn!(worker, pid, "worker {how}"),
        }

        // The event the wrapper was running when it ended: for an in-order wrapper the
        // oldest one; for a concurrent one every event may have been running.
        let running: Vec<Pending> = if self.ordered_settle(&in_flight) {
            in_flight.pop_front().into_iter().collect()
        } else {
            in_flight.drain(..).collect()
        };
        let timeout = self.config.function.event_timeout;
        for (index, pending) in running.into_iter().enumerate() {
            let id = pending.event.id;
            let error = match &end {
                End::TimedOut if index == 0 => DispatchError::Timeout {
                    id,
                    worker,
                    timeout,
                },
                End::Stopping => DispatchError::ShuttingDown,
                _ => DispatchError::WorkerDied {
                    id,
                    worker,
                    pid,
                    how: how.clone(),
                },
            };
            let _ = pending.reply.send(Outcome::Failed(error));
        }
        for pending in in_flight {
            let _ = pending.reply.send(Outcome::Redispatch(pending.event));
        }
    }

    /// Whether the in-flight set is from an in-order wrapper: only then are the events
    /// behind the oldest known not to have started.
    fn ordered_settle(&self, in_flight: &std::collections::VecDeque<Pending>) -> bool {
        in_flight
            .iter()
            .skip(1)
            .all(|pending| pending.started.is_none())
    }
}

/// A random hex token the wrapper must echo, so a stranger's connection is refused.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS provides random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
