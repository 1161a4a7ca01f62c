//! The worker pool: N supervised wrapper processes and the allocation of events to them.
//!
//! [`WorkerPool::dispatch`] takes a free slot on the least busy live worker (waiting at most
//! the availability timeout, then 503), hands the event to that worker's connection and
//! awaits the outcome. A synchronous wrapper (concurrency 1) is sent up to
//! `spec.wire.pipelineDepth` events ahead: it runs them in order, so the round trip is hidden, and
//! when it dies the events behind the running one are known not to have started and are
//! dispatched again. See `schemas/PROTOCOL.md` §5–6.

mod command;
mod connection;
mod process;
mod supervisor;

pub(crate) use connection::now_millis;
use std::path::PathBuf;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::event::{Event, Response};
use crate::runtime::Launch;
use crate::spec::Function;
use crate::transport::Endpoint;

/// How many times one event is handed to another worker after the one holding it died
/// before it started.
const MAX_REDISPATCH: u32 = 3;

/// What a pool needs to start.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The function.
    pub function: Arc<Function>,
    /// How to start its wrapper.
    pub launch: Launch,
    /// Lowest log level wrappers send (`FERRITE_LOG_LEVEL`).
    pub log_level: String,
}

/// Why an event got no response from a handler.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DispatchError {
    /// Every worker stayed busy (or down) for the availability timeout.
    #[error("no worker became available within {} ms", .0.as_millis())]
    NoWorkerAvailable(Duration),
    /// The handler overran the event timeout.
    #[error("event {id} ran past the event timeout of {} ms on worker {worker}; the worker is being restarted", timeout.as_millis())]
    Timeout {
        /// Event id.
        id: u64,
        /// Worker index.
        worker: usize,
        /// The timeout.
        timeout: Duration,
    },
    /// The wrapper process died or broke the protocol while it held the event.
    #[error("worker {worker} (pid {pid}) {how} while handling event {id}")]
    WorkerDied {
        /// Event id.
        id: u64,
        /// Worker index.
        worker: usize,
        /// Wrapper pid.
        pid: u32,
        /// What happened, e.g. "exited with status 3".
        how: String,
    },
    /// The event was handed on after too many worker deaths.
    #[error("event {id} was not delivered: {attempts} workers died before it could start")]
    Undeliverable {
        /// Event id.
        id: u64,
        /// How many times it was handed on.
        attempts: u32,
    },
    /// The event could not be put on the wire (too large for a frame).
    #[error("the event cannot be sent to a worker: {0}")]
    Unencodable(String),
    /// The processor is stopping.
    #[error("the processor is shutting down")]
    ShuttingDown,
}

/// A worker pool that failed to start, or stopped because a wrapper cannot run the handler.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// The wrapper reported that the handler cannot load.
    #[error("worker {worker} could not load the handler: {message}{}", detail_suffix(.detail))]
    HandlerLoad {
        /// Worker index.
        worker: usize,
        /// The wrapper's one-line reason.
        message: String,
        /// More (traceback).
        detail: Option<String>,
    },
    /// The wrapper did not come up.
    #[error("worker {worker} did not start: {reason}{}", stderr_suffix(.stderr))]
    Start {
        /// Worker index.
        worker: usize,
        /// What happened.
        reason: String,
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
    /// Setting up the pool's sockets failed.
    #[error("cannot set up worker sockets: {0}")]
    Io(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(detail) if !detail.trim().is_empty() => format!("\n{}", detail.trim_end()),
        _ => String::new(),
    }
}

fn stderr_suffix(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("\nlast lines of its stderr:\n  {}", lines.join("\n  "))
    }
}

/// The outcome of one hand-over of an event to a worker.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done(Response),
    Failed(DispatchError),
    /// The worker died before the event started: send it elsewhere.
    Redispatch(Event),
}

/// An event on its way to a worker, with the way back.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) event: Event,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// A cheap, cloneable handle to the pool.
#[derive(Clone)]
pub struct WorkerPool {
    shared: Arc<Shared>,
}

struct Shared {
    slots: Mutex<Vec<Slot>>,
    /// Woken when a slot frees or a worker comes up.
    available: Notify,
    availability_timeout: Duration,
    next_event_id: AtomicU64,
    next_worker: AtomicU64,
    /// Cancelled to stop the supervisors.
    stopping: CancellationToken,
    /// Set when a wrapper cannot load the handler after start-up; the server stops.
    fatal: Mutex<Option<PoolError>>,
    fatal_signal: CancellationToken,
    supervisors: TaskTracker,
    /// The private directory of the unix sockets; removed at shutdown.
    socket_dir: Mutex<Option<tempfile::TempDir>>,
    /// Wrappers hold this long after `shutdown` before their process group is killed.
    shutdown_grace: Duration,
}

/// One worker's allocation state. The std mutex around these is never held across an
/// await, so it is cheaper than an async one.
#[derive(Default)]
struct Slot {
    live: Option<LiveSlot>,
    /// Events handed to the worker and not yet resolved.
    outstanding: usize,
    /// Bumped on every up/down, so late releases from a dead incarnation are ignored.
    generation: u64,
}

struct LiveSlot {
    jobs: mpsc::UnboundedSender<Job>,
    limit: usize,
}

/// A worker slot taken for one event.
struct Allocation {
    worker: usize,
    jobs: mpsc::UnboundedSender<Job>,
}

impl WorkerPool {
    /// Starts every worker and returns once all are ready, or with the first failure.
    pub async fn start(config: PoolConfig) -> Result<WorkerPool, PoolError> {
        let function = config.function.clone();
        let workers = function.http.workers as usize;
        if !function.runtime.runs_wrappers() {
            return Self::start_commands(config);
        }
        let socket_dir = tempfile::Builder::new()
            .prefix("ferrite-")
            .tempdir()
            .map_err(|err| PoolError::Io(err.to_string()))?;
        tracing::info!("worker sockets in {}", socket_dir.path().display());
        let mut endpoints = Vec::with_capacity(workers);
        for worker in 0..workers {
            let endpoint = Endpoint::bind(function.transport, socket_dir.path(), worker)
                .await
                .map_err(|err| PoolError::Io(err.to_string()))?;
            endpoints.push(endpoint);
        }
        let pool = WorkerPool::new(&function, Some(socket_dir));
        let (ready_tx, mut ready_rx) = mpsc::channel(workers);
        let config = Arc::new(config);
        for (worker, endpoint) in endpoints.into_iter().enumerate() {
            let supervisor = supervisor::Supervisor::new(
                worker,
                endpoint,
                config.clone(),
                pool.clone(),
                ready_tx.clone(),
            );
            pool.shared.supervisors.spawn(supervisor.run());
        }
        drop(ready_tx);
        let mut ready = 0;
        while ready < workers {
            match ready_rx.recv().await {
                Some(Ok(())) => ready += 1,
                Some(Err(err)) => {
                    pool.shutdown().await;
                    return Err(err);
                }
                None => {
                    pool.shutdown().await;
                    return Err(PoolError::Io(
                        "worker supervisors ended during start-up".into(),
                    ));
                }
            }
        }
        Ok(pool)
    }

    fn new(function: &Function, socket_dir: Option<tempfile::TempDir>) -> WorkerPool {
        let workers = function.http.workers as usize;
        WorkerPool {
            shared: Arc::new(Shared {
                slots: Mutex::new((0..workers).map(|_| Slot::default()).collect()),
                available: Notify::new(),
                availability_timeout: function.http.worker_availability_timeout,
                next_event_id: AtomicU64::new(1),
                next_worker: AtomicU64::new(0),
                stopping: CancellationToken::new(),
                fatal: Mutex::new(None),
                fatal_signal: CancellationToken::new(),
                supervisors: TaskTracker::new(),
                socket_dir: Mutex::new(socket_dir),
                shutdown_grace: Duration::from_secs(5),
            }),
        }
    }

    /// The shell runtime's pool: a slot per worker that runs one command at a time, ready
    /// at once since nothing needs to start.
    fn start_commands(mut config: PoolConfig) -> Result<WorkerPool, PoolError> {
        let function = config.function.clone();
        config.launch = crate::runtime::shell_command(&function)
            .map_err(|err| PoolError::Io(err.to_string()))?;
        let pool = WorkerPool::new(&function, None);
        let config = Arc::new(config);
        for worker in 0..function.http.workers as usize {
            let (jobs, jobs_rx) = mpsc::unbounded_channel();
            let generation = pool.worker_up(worker, jobs, 1);
            let slot =
                command::CommandWorker::new(worker, generation, config.clone(), pool.clone());
            pool.shared.supervisors.spawn(slot.run(jobs_rx));
        }
        Ok(pool)
    }

    /// A fresh event id.
    pub fn next_event_id(&self) -> u64 {
        self.shared.next_event_id.fetch_add(1, Ordering::Relaxed)
    }

    /// How many workers are up and taking events.
    pub fn live_workers(&self) -> usize {
        let slots = self.shared.slots.lock().expect("slots lock");
        slots.iter().filter(|slot| slot.live.is_some()).count()
    }

    /// Hands `event` to a worker and waits for its response.
    pub async fn dispatch(&self, mut event: Event) -> Result<Response, DispatchError> {
        let wait_until = Instant::now() + self.shared.availability_timeout;
        let mut attempts = 0;
        loop {
            let allocation = self.allocate(wait_until).await?;
            let (reply, outcome) = oneshot::channel();
            if let Err(mpsc::error::SendError(job)) = allocation.jobs.send(Job { event, reply }) {
                // The worker went down between allocation and hand-over; its slot count was
                // reset with it.
                event = job.event;
                continue;
            }
            match outcome.await {
                Ok(Outcome::Done(response)) => return Ok(response),
                Ok(Outcome::Failed(err)) => return Err(err),
                Ok(Outcome::Redispatch(returned)) => {
                    attempts += 1;
                    if attempts > MAX_REDISPATCH {
                        return Err(DispatchError::Undeliverable {
                            id: returned.id,
                            attempts,
                        });
                    }
                    tracing::debug!(
                        event = returned.id,
                        from = allocation.worker,
                        "handing event to another worker"
                    );
                    event = returned;
                }
                Err(_) => return Err(DispatchError::ShuttingDown),
            }
        }
    }

    async fn allocate(&self, wait_until: Instant) -> Result<Allocation, DispatchError> {
        // Most events find a free slot at once: look before paying for a wait registration.
        if !self.shared.stopping.is_cancelled() {
            if let Some(allocation) = self.try_allocate() {
                return Ok(allocation);
            }
        }
        loop {
            let notified = self.shared.available.notified();
            tokio::pin!(notified);
            // Registered before looking, so a release between the look and the wait wakes us.
            notified.as_mut().enable();
            if self.shared.stopping.is_cancelled() {
                return Err(DispatchError::ShuttingDown);
            }
            if let Some(allocation) = self.try_allocate() {
                return Ok(allocation);
            }
            if tokio::time::timeout_at(wait_until, notified).await.is_err() {
                return Err(DispatchError::NoWorkerAvailable(
                    self.shared.availability_timeout,
                ));
            }
        }
    }

    /// Takes a slot on the live worker with the fewest outstanding events, starting the
    /// search at a rotating index so idle workers share the load.
    fn try_allocate(&self) -> Option<Allocation> {
        let mut slots = self.shared.slots.lock().expect("slots lock");
        let count = slots.len();
        let start = self.shared.next_worker.fetch_add(1, Ordering::Relaxed) as usize;
        let mut best: Option<usize> = None;
        for offset in 0..count {
            let index = (start + offset) % count;
            let slot = &slots[index];
            let Some(live) = &slot.live else { continue };
            if slot.outstanding >= live.limit {
                continue;
            }
            if best.is_none_or(|b| slot.outstanding < slots[b].outstanding) {
                best = Some(index);
                if slot.outstanding == 0 {
                    break;
                }
            }
        }
        let index = best?;
        let slot = &mut slots[index];
        slot.outstanding += 1;
        let jobs = slot
            .live
            .as_ref()
            .expect("chosen slot is live")
            .jobs
            .clone();
        let more_free = slots.iter().any(|slot| {
            slot.live
                .as_ref()
                .is_some_and(|live| slot.outstanding < live.limit)
        });
        drop(slots);
        if more_free {
            // Pass the wake-up on: another waiter can be served too.
            self.shared.available.notify_one();
        }
        Some(Allocation {
            worker: index,
            jobs,
        })
    }

    /// Marks worker `worker` live with room for `limit` outstanding events; returns the
    /// generation its releases must carry.
    pub(crate) fn worker_up(
        &self,
        worker: usize,
        jobs: mpsc::UnboundedSender<Job>,
        limit: usize,
    ) -> u64 {
        let mut slots = self.shared.slots.lock().expect("slots lock");
        let slot = &mut slots[worker];
        slot.generation += 1;
        slot.outstanding = 0;
        slot.live = Some(LiveSlot { jobs, limit });
        let generation = slot.generation;
        drop(slots);
        self.shared.available.notify_waiters();
        generation
    }

    /// Takes worker `worker` out of allocation.
    pub(crate) fn worker_down(&self, worker: usize, generation: u64) {
        let mut slots = self.shared.slots.lock().expect("slots lock");
        let slot = &mut slots[worker];
        if slot.generation == generation {
            slot.generation += 1;
            slot.outstanding = 0;
            slot.live = None;
        }
    }

    /// Frees one slot of worker `worker`, taken in `generation`.
    pub(crate) fn release(&self, worker: usize, generation: u64) {
        let mut slots = self.shared.slots.lock().expect("slots lock");
        let slot = &mut slots[worker];
        if slot.generation == generation && slot.outstanding > 0 {
            slot.outstanding -= 1;
            drop(slots);
            self.shared.available.notify_one();
        }
    }

    /// Records a failure that must stop the processor.
    pub(crate) fn fail(&self, error: PoolError) {
        let mut fatal = self.shared.fatal.lock().expect("fatal lock");
        if fatal.is_none() {
            *fatal = Some(error);
        }
        drop(fatal);
        self.shared.fatal_signal.cancel();
    }

    /// Resolves when a wrapper has failed in a way restarting cannot mend.
    pub async fn failed(&self) -> PoolError {
        self.shared.fatal_signal.cancelled().await;
        let fatal = self.shared.fatal.lock().expect("fatal lock");
        fatal
            .clone()
            .unwrap_or_else(|| PoolError::Io("worker pool failed".into()))
    }

    pub(crate) fn stopping(&self) -> &CancellationToken {
        &self.shared.stopping
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        self.shared.shutdown_grace
    }

    /// Stops every wrapper (asking first, then killing after a grace period) and removes
    /// the socket directory. Events still waiting for a worker get `ShuttingDown`.
    pub async fn shutdown(&self) {
        self.shared.stopping.cancel();
        self.shared.available.notify_waiters();
        self.shared.supervisors.close();
        self.shared.supervisors.wait().await;
        let dir = self.shared.socket_dir.lock().expect("dir lock").take();
        if let Some(dir) = dir {
            let path: PathBuf = dir.path().to_path_buf();
            if let Err(err) = dir.close() {
                tracing::warn!(path = %path.display(), %err, "cannot remove socket directory");
            }
        }
    }
}
