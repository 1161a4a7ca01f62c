//! The worker pool: N supervised wrapper processes and the allocation of events to them.
//!
//! [`WorkerPool::dispatch`] takes a free slot on the least busy live worker and hands the
//! event to that worker's connection, or, when every slot is taken, queues it for the next
//! slot to free (at most the availability timeout, then 503); then it awaits the outcome.
//! A freed slot takes the oldest queued event on the spot, so an event that waits costs
//! one queue entry, not a waiting task with a timer of its own.
//!
//! A synchronous wrapper (concurrency 1) is sent events ahead, as many as it gets through
//! in [`PIPELINE_WAIT_BUDGET`] at its recent pace, up to `spec.wire.pipelineDepth`: it
//! runs them in order, so the round trip is hidden, and when it dies the events behind the
//! running one are known not to have started and are dispatched again. One whose running
//! event has overstayed (see [`Slot::stalled`]) is sent nothing more until it answers, so
//! new events go to the other workers or wait in the pool's queue rather than behind it.
//! See `schemas/PROTOCOL.md` §5–6.

mod command;
mod connection;
mod process;
mod supervisor;

pub(crate) use connection::now_millis;
use std::path::PathBuf;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::VecDeque;

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

/// About how long an event may wait behind the others queued on an in-order worker. Its
/// queue is cut to what the worker gets through in this time (at its recent pace, and
/// never below two, so the round trip stays hidden), up to `spec.wire.pipelineDepth`: a
/// fast handler keeps a deep pipeline, which is what keeps its wrapper busy, while a slow
/// one has few events stuck behind it that another worker could have taken.
const PIPELINE_WAIT_BUDGET: Duration = Duration::from_millis(2);

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
    /// The std mutex is never held across an await, so it is cheaper than an async one.
    state: Mutex<State>,
    /// Wakes the task that expires queued events when the queue gains its first one.
    queued: Notify,
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

/// Who holds which slot, and the events waiting for one.
struct State {
    slots: Vec<Slot>,
    /// Events that found every slot taken, oldest first, each with the time it gives up.
    waiting: VecDeque<(Job, Instant)>,
}

/// One worker's allocation state.
#[derive(Default)]
struct Slot {
    live: Option<LiveSlot>,
    /// Events handed to the worker and not yet resolved.
    outstanding: usize,
    /// Bumped on every up/down, so late releases from a dead incarnation are ignored.
    generation: u64,
    /// Moving average of the time between an event's start and its answer, in ns (0 until
    /// the first answer), for an in-order worker's queue length.
    pace_ns: u64,
    /// When an in-order worker's running event started, as the pool can tell: when it was
    /// handed to the idle worker, or when the one before it was answered.
    head_since: Option<Instant>,
}

struct LiveSlot {
    jobs: mpsc::UnboundedSender<Job>,
    /// The most events it may hold: its declared concurrency, or the pipeline depth.
    limit: usize,
    /// Runs events one at a time, so its queue follows its pace.
    ordered: bool,
}

impl Slot {
    /// How many events the worker may hold at `now`; 0 when it is down.
    fn room(&self, now: &Now) -> usize {
        let Some(live) = &self.live else { return 0 };
        if !live.ordered {
            return live.limit;
        }
        if self.stalled(now) {
            return 1;
        }
        if self.pace_ns == 0 {
            return live.limit;
        }
        let budget = PIPELINE_WAIT_BUDGET.as_nanos() as u64;
        let paced = 1 + (budget / self.pace_ns) as usize;
        paced.max(2).min(live.limit)
    }

    /// Whether the in-order worker's running event has run longer than
    /// [`PIPELINE_WAIT_BUDGET`] and four times the worker's pace: an event queued behind
    /// it now would wait longer than the budget, perhaps much longer (a handler stuck on
    /// a slow call), while another worker could take it.
    fn stalled(&self, now: &Now) -> bool {
        let Some(since) = self.head_since else {
            return false;
        };
        let limit = PIPELINE_WAIT_BUDGET.max(Duration::from_nanos(self.pace_ns.saturating_mul(4)));
        now.get().saturating_duration_since(since) > limit
    }
}

/// The time, read from the clock once and only if asked: most allocations never need it.
pub(crate) struct Now(std::cell::OnceCell<Instant>);

impl Now {
    pub(crate) fn new() -> Now {
        Now(std::cell::OnceCell::new())
    }

    /// A time the caller has read already.
    pub(crate) fn at(instant: Instant) -> Now {
        Now(instant.into())
    }

    fn get(&self) -> Instant {
        *self.0.get_or_init(Instant::now)
    }
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
        let pool = WorkerPool::new(
            workers,
            function.http.worker_availability_timeout,
            Some(socket_dir),
        );
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

    /// A pool of `workers` slots, all down, whose events wait at most
    /// `availability_timeout` for one.
    fn new(
        workers: usize,
        availability_timeout: Duration,
        socket_dir: Option<tempfile::TempDir>,
    ) -> WorkerPool {
        let pool = WorkerPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    slots: (0..workers).map(|_| Slot::default()).collect(),
                    waiting: VecDeque::new(),
                }),
                queued: Notify::new(),
                availability_timeout,
                next_event_id: AtomicU64::new(1),
                next_worker: AtomicU64::new(0),
                stopping: CancellationToken::new(),
                fatal: Mutex::new(None),
                fatal_signal: CancellationToken::new(),
                supervisors: TaskTracker::new(),
                socket_dir: Mutex::new(socket_dir),
                shutdown_grace: Duration::from_secs(5),
            }),
        };
        pool.shared.supervisors.spawn(pool.clone().expire_waiting());
        pool
    }

    /// The shell runtime's pool: a slot per worker that runs one command at a time, ready
    /// at once since nothing needs to start.
    fn start_commands(mut config: PoolConfig) -> Result<WorkerPool, PoolError> {
        let function = config.function.clone();
        config.launch = crate::runtime::shell_command(&function)
            .map_err(|err| PoolError::Io(err.to_string()))?;
        let pool = WorkerPool::new(
            function.http.workers as usize,
            function.http.worker_availability_timeout,
            None,
        );
        let config = Arc::new(config);
        for worker in 0..function.http.workers as usize {
            let (jobs, jobs_rx) = mpsc::unbounded_channel();
            let generation = pool.worker_up(worker, jobs, 1, false);
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
        let state = self.shared.state.lock().expect("pool lock");
        state
            .slots
            .iter()
            .filter(|slot| slot.live.is_some())
            .count()
    }

    /// Hands `event` to a worker and waits for its response.
    pub async fn dispatch(&self, mut event: Event) -> Result<Response, DispatchError> {
        let give_up = Instant::now() + self.shared.availability_timeout;
        let mut attempts = 0;
        loop {
            let (reply, outcome) = oneshot::channel();
            self.submit(Job { event, reply }, give_up)?;
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
                    tracing::debug!(event = returned.id, "handing event to another worker");
                    event = returned;
                }
                Err(_) => return Err(DispatchError::ShuttingDown),
            }
        }
    }

    /// Gives `job` to the least busy live worker with a free slot, or queues it until a
    /// slot frees or `give_up` passes.
    fn submit(&self, job: Job, give_up: Instant) -> Result<(), DispatchError> {
        let mut state = self.shared.state.lock().expect("pool lock");
        if self.shared.stopping.is_cancelled() {
            return Err(DispatchError::ShuttingDown);
        }
        let start = self.shared.next_worker.fetch_add(1, Ordering::Relaxed) as usize;
        let now = Now::new();
        let mut job = job;
        while let Some(worker) = state.least_busy(start, &now) {
            match state.hand_over(worker, job, &now) {
                None => return Ok(()),
                Some(returned) => job = returned,
            }
        }
        state.waiting.push_back((job, give_up));
        let first = state.waiting.len() == 1;
        drop(state);
        if first {
            self.shared.queued.notify_one();
        }
        Ok(())
    }

    /// Answers the queued events whose availability timeout has passed, until the pool
    /// stops; then answers every queued event `ShuttingDown`.
    async fn expire_waiting(self) {
        let stopping = self.shared.stopping.clone();
        loop {
            let next = {
                let now = Instant::now();
                let mut state = self.shared.state.lock().expect("pool lock");
                while let Some((_, give_up)) = state.waiting.front() {
                    if *give_up > now {
                        break;
                    }
                    let (job, _) = state.waiting.pop_front().expect("front exists");
                    let error = DispatchError::NoWorkerAvailable(self.shared.availability_timeout);
                    let _ = job.reply.send(Outcome::Failed(error));
                }
                state.waiting.front().map(|(_, give_up)| *give_up)
            };
            tokio::select! {
                _ = stopping.cancelled() => break,
                _ = self.shared.queued.notified() => {}
                _ = sleep_until_some(next) => {}
            }
        }
        let waiting = std::mem::take(&mut self.shared.state.lock().expect("pool lock").waiting);
        for (job, _) in waiting {
            let _ = job.reply.send(Outcome::Failed(DispatchError::ShuttingDown));
        }
    }

    /// Marks worker `worker` live with room for `limit` outstanding events (`ordered`: it
    /// runs them one at a time), gives it the events that were waiting, and returns the
    /// generation its releases must carry.
    pub(crate) fn worker_up(
        &self,
        worker: usize,
        jobs: mpsc::UnboundedSender<Job>,
        limit: usize,
        ordered: bool,
    ) -> u64 {
        let mut state = self.shared.state.lock().expect("pool lock");
        let slot = &mut state.slots[worker];
        slot.generation += 1;
        slot.outstanding = 0;
        slot.pace_ns = 0;
        slot.head_since = None;
        slot.live = Some(LiveSlot {
            jobs,
            limit,
            ordered,
        });
        let generation = slot.generation;
        state.fill(worker, &Now::new());
        generation
    }

    /// Takes worker `worker` out of allocation.
    pub(crate) fn worker_down(&self, worker: usize, generation: u64) {
        let mut state = self.shared.state.lock().expect("pool lock");
        let slot = &mut state.slots[worker];
        if slot.generation == generation {
            slot.generation += 1;
            slot.outstanding = 0;
            slot.head_since = None;
            slot.live = None;
        }
    }

    /// Frees one slot of worker `worker`, taken in `generation`, whose event ran for
    /// `ran` (when known) and was answered at `now`: the oldest waiting events take the
    /// room there is.
    pub(crate) fn release(&self, worker: usize, generation: u64, ran: Option<Duration>, now: &Now) {
        let mut state = self.shared.state.lock().expect("pool lock");
        let slot = &mut state.slots[worker];
        if slot.generation != generation || slot.outstanding == 0 {
            return;
        }
        slot.outstanding -= 1;
        let ordered = slot.live.as_ref().is_some_and(|live| live.ordered);
        // In order, the next event starts as this one is answered.
        slot.head_since = (ordered && slot.outstanding > 0).then(|| now.get());
        if let Some(ran) = ran {
            // An average over about the last eight events, from the first one on.
            let sample = u64::try_from(ran.as_nanos()).unwrap_or(u64::MAX).max(1);
            slot.pace_ns = match slot.pace_ns {
                0 => sample,
                pace => pace - pace / 8 + sample / 8,
            };
        }
        state.fill(worker, now);
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

impl State {
    /// The live worker with a free slot and the fewest outstanding events, looking from
    /// `start` on so that idle workers share the load.
    fn least_busy(&self, start: usize, now: &Now) -> Option<usize> {
        let count = self.slots.len();
        let mut best: Option<usize> = None;
        for offset in 0..count {
            let index = (start + offset) % count;
            let slot = &self.slots[index];
            if slot.outstanding >= slot.room(now) {
                continue;
            }
            if best.is_none_or(|b| slot.outstanding < self.slots[b].outstanding) {
                best = Some(index);
                if slot.outstanding == 0 {
                    break;
                }
            }
        }
        best
    }

    /// Gives worker `worker` the oldest waiting events it has room for.
    fn fill(&mut self, worker: usize, now: &Now) {
        while self.slots[worker].outstanding < self.slots[worker].room(now) {
            let Some((job, give_up)) = self.waiting.pop_front() else {
                break;
            };
            if let Some(job) = self.hand_over(worker, job, now) {
                self.waiting.push_front((job, give_up));
                break;
            }
        }
    }

    /// Sends `job` to worker `worker`'s connection and counts it there. A connection that
    /// has already ended takes no more events: its slot is closed and the job given back.
    #[must_use]
    fn hand_over(&mut self, worker: usize, job: Job, now: &Now) -> Option<Job> {
        let slot = &mut self.slots[worker];
        let live = slot.live.as_ref().expect("a live slot is chosen");
        let ordered = live.ordered;
        match live.jobs.send(job) {
            Ok(()) => {
                if slot.outstanding == 0 && ordered {
                    slot.head_since = Some(now.get());
                }
                slot.outstanding += 1;
                None
            }
            Err(mpsc::error::SendError(job)) => {
                slot.live = None;
                Some(job)
            }
        }
    }
}

pub(crate) async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TriggerInfo;

    fn event(id: u64) -> Event {
        Event {
            id,
            trigger: TriggerInfo {
                kind: "http".into(),
                name: "test".into(),
            },
            method: "GET".into(),
            path: "/".into(),
            url: "/".into(),
            query: Default::default(),
            headers: Default::default(),
            content_type: String::new(),
            body: Default::default(),
            timestamp: 0,
            deadline: 0,
        }
    }

    fn answer(id: u64) -> Outcome {
        Outcome::Done(Response {
            id,
            status: 200,
            headers: Default::default(),
            content_type: String::new(),
            body: Default::default(),
            error: None,
        })
    }

    /// A pool of one live worker with room for one event; the worker's job queue.
    fn one_slot_pool(timeout: Duration) -> (WorkerPool, mpsc::UnboundedReceiver<Job>, u64) {
        let pool = WorkerPool::new(1, timeout, None);
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let generation = pool.worker_up(0, jobs, 1, false);
        (pool, jobs_rx, generation)
    }

    /// The next job a worker gets, with a watchdog.
    async fn next_job(jobs: &mut mpsc::UnboundedReceiver<Job>) -> Job {
        tokio::time::timeout(Duration::from_secs(10), jobs.recv())
            .await
            .expect("a job within 10 s")
            .expect("the job queue is open")
    }

    #[tokio::test]
    async fn a_freed_slot_takes_the_oldest_waiting_event() {
        let (pool, mut jobs, generation) = one_slot_pool(Duration::from_secs(30));
        let mut dispatches = Vec::new();
        for id in 1..=3 {
            let pool = pool.clone();
            dispatches.push(tokio::spawn(async move { pool.dispatch(event(id)).await }));
            // Let it submit, so the events arrive in id order.
            tokio::task::yield_now().await;
        }
        let mut order = Vec::new();
        for _ in 0..3 {
            let job = next_job(&mut jobs).await;
            tokio::task::yield_now().await;
            assert!(
                jobs.try_recv().is_err(),
                "a second event went out before the slot freed"
            );
            order.push(job.event.id);
            job.reply.send(answer(job.event.id)).unwrap();
            pool.release(0, generation, Some(Duration::from_micros(10)), &Now::new());
        }
        assert_eq!(order, [1, 2, 3]);
        for dispatch in dispatches {
            assert_eq!(dispatch.await.unwrap().unwrap().status, 200);
        }
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn an_event_waiting_past_the_availability_timeout_gets_no_worker_available() {
        let (pool, mut jobs, _) = one_slot_pool(Duration::from_millis(50));
        let holder = tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(1)).await }
        });
        let held = next_job(&mut jobs).await;
        let waited = tokio::time::timeout(Duration::from_secs(10), pool.dispatch(event(2)))
            .await
            .expect("the waiting event was answered");
        assert!(
            matches!(waited, Err(DispatchError::NoWorkerAvailable(_))),
            "{waited:?}"
        );
        held.reply.send(answer(1)).unwrap();
        assert_eq!(holder.await.unwrap().unwrap().id, 1);
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn stopping_answers_waiting_events_and_refuses_new_ones() {
        let (pool, mut jobs, _) = one_slot_pool(Duration::from_secs(30));
        let _held = tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(1)).await }
        });
        let _job = next_job(&mut jobs).await;
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(2)).await }
        });
        tokio::task::yield_now().await;
        pool.shutdown().await;
        assert!(matches!(
            waiting.await.unwrap(),
            Err(DispatchError::ShuttingDown)
        ));
        assert!(matches!(
            pool.dispatch(event(3)).await,
            Err(DispatchError::ShuttingDown)
        ));
    }

    #[tokio::test]
    async fn a_worker_coming_up_takes_the_events_waiting_for_one() {
        let pool = WorkerPool::new(1, Duration::from_secs(30), None);
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(7)).await }
        });
        tokio::task::yield_now().await;
        let (jobs_tx, mut jobs) = mpsc::unbounded_channel();
        pool.worker_up(0, jobs_tx, 4, true);
        let job = next_job(&mut jobs).await;
        assert_eq!(job.event.id, 7);
        job.reply.send(answer(7)).unwrap();
        assert_eq!(waiting.await.unwrap().unwrap().id, 7);
        pool.shutdown().await;
    }

    #[test]
    fn an_in_order_worker_holds_what_it_gets_through_in_the_budget() {
        let (jobs, _rx) = mpsc::unbounded_channel();
        let slot = |limit, ordered, pace: Duration| Slot {
            live: Some(LiveSlot {
                jobs: jobs.clone(),
                limit,
                ordered,
            }),
            outstanding: 0,
            generation: 1,
            pace_ns: pace.as_nanos() as u64,
            head_since: None,
        };
        let micros = Duration::from_micros;
        let now = Now::new();
        // No answer yet: the whole depth.
        assert_eq!(slot(64, true, Duration::ZERO).room(&now), 64);
        // Fast: as deep as allowed.
        assert_eq!(slot(64, true, micros(20)).room(&now), 64);
        // 2 ms of 100 µs events, plus the one running.
        assert_eq!(slot(64, true, micros(100)).room(&now), 21);
        // Slow: one running and one queued, so the round trip stays hidden.
        assert_eq!(slot(64, true, Duration::from_secs(1)).room(&now), 2);
        // Never past the spec's depth, nor a concurrent worker past what it declared.
        assert_eq!(slot(1, true, Duration::from_secs(1)).room(&now), 1);
        assert_eq!(slot(8, false, Duration::from_secs(1)).room(&now), 8);
        assert_eq!(Slot::default().room(&now), 0);
    }

    #[test]
    fn an_in_order_worker_whose_event_overstays_is_passed_over() {
        let (jobs, _rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let at = Now::at;
        // A worker answering every 20 µs, with `outstanding` events, the running one
        // started `running` ago.
        let slot = |outstanding, running: Duration| Slot {
            live: Some(LiveSlot {
                jobs: jobs.clone(),
                limit: 64,
                ordered: true,
            }),
            outstanding,
            generation: 1,
            pace_ns: 20_000,
            head_since: Some(now - running),
        };
        let pick = |first: Slot, second: Slot| {
            State {
                slots: vec![first, second],
                waiting: VecDeque::new(),
            }
            .least_busy(0, &at(now))
        };
        let fresh = Duration::from_micros(50);
        let overstayed = Duration::from_millis(10);
        // The less busy worker gets the event while its running one is young...
        assert_eq!(pick(slot(1, fresh), slot(3, fresh)), Some(0));
        // ...and not once that one has run past the budget: the busier worker gets it.
        assert_eq!(pick(slot(1, overstayed), slot(3, fresh)), Some(1));
        // With both held up, the event waits in the pool's queue.
        assert_eq!(pick(slot(1, overstayed), slot(3, overstayed)), None);
        // A slow handler is not held up at its own pace: four times it is the limit.
        let slow = |running| Slot {
            pace_ns: 100_000_000,
            ..slot(1, running)
        };
        assert_eq!(slow(Duration::from_millis(300)).room(&at(now)), 2);
        assert_eq!(slow(Duration::from_millis(500)).room(&at(now)), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_from_a_held_up_worker_lets_it_take_events_again() {
        let pool = WorkerPool::new(1, Duration::from_secs(30), None);
        let (jobs_tx, mut jobs) = mpsc::unbounded_channel();
        let generation = pool.worker_up(0, jobs_tx, 8, true);
        // A fast handler so far: 20 µs an event.
        let warm = tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(0)).await }
        });
        let job = next_job(&mut jobs).await;
        job.reply.send(answer(0)).unwrap();
        pool.release(0, generation, Some(Duration::from_micros(20)), &Now::new());
        assert_eq!(warm.await.unwrap().unwrap().id, 0);
        let mut dispatches = Vec::new();
        for id in 1..=2 {
            let pool = pool.clone();
            dispatches.push(tokio::spawn(async move { pool.dispatch(event(id)).await }));
            tokio::task::yield_now().await;
        }
        // Both are sent at once: the second queued behind the first.
        let first = next_job(&mut jobs).await;
        let second = next_job(&mut jobs).await;
        // The first overstays; a third event now waits for the pool instead.
        tokio::time::sleep(Duration::from_millis(10)).await;
        dispatches.push(tokio::spawn({
            let pool = pool.clone();
            async move { pool.dispatch(event(3)).await }
        }));
        tokio::task::yield_now().await;
        assert!(
            jobs.try_recv().is_err(),
            "an event was queued behind one that overstayed"
        );
        // Its answer starts the next one, so the worker is not held up any more.
        first.reply.send(answer(1)).unwrap();
        pool.release(0, generation, Some(Duration::from_millis(10)), &Now::new());
        let third = next_job(&mut jobs).await;
        assert_eq!(third.event.id, 3);
        for job in [second, third] {
            job.reply.send(answer(job.event.id)).unwrap();
            pool.release(0, generation, Some(Duration::from_micros(10)), &Now::new());
        }
        for dispatch in dispatches {
            assert_eq!(dispatch.await.unwrap().unwrap().status, 200);
        }
        pool.shutdown().await;
    }
}
