//! The [`WorkerPool`] handle: the state its clones share, starting every worker, what the
//! supervisors report to it, and stopping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::allocation::{Now, State};
use super::command::CommandWorker;
use super::dispatch::Job;
use super::supervisor::Supervisor;
use super::{PoolConfig, PoolError};
use crate::transport::{self, Endpoint};

/// A cheap, cloneable handle to the pool.
#[derive(Clone)]
pub struct WorkerPool {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    /// The std mutex is never held across an await, so it is cheaper than an async one.
    pub(super) state: Mutex<State>,
    /// Wakes the task that expires queued events when the queue gains its first one.
    pub(super) queued: Notify,
    pub(super) availability_timeout: Duration,
    next_event_id: AtomicU64,
    pub(super) next_worker: AtomicU64,
    /// Cancelled to stop the supervisors.
    pub(super) stopping: CancellationToken,
    /// Set when a wrapper cannot load the handler after start-up; the server stops.
    fatal: Mutex<Option<PoolError>>,
    fatal_signal: CancellationToken,
    supervisors: TaskTracker,
    /// The private directory of the unix sockets; removed at shutdown.
    socket_dir: Mutex<Option<tempfile::TempDir>>,
    /// Wrappers hold this long after `shutdown` before their process group is killed.
    shutdown_grace: Duration,
}

impl WorkerPool {
    /// Starts every worker and returns once all are ready, or with the first failure.
    pub async fn start(config: PoolConfig) -> Result<WorkerPool, PoolError> {
        let function = config.function.clone();
        let workers = function.http.workers as usize;
        if !function.runtime.runs_wrappers() {
            return Self::start_commands(config);
        }
        let socket_dir = transport::private_dir(function.transport)
            .map_err(|err| PoolError::Io(err.to_string()))?;
        tracing::info!("worker sockets in {}", socket_dir.path().display());
        let mut endpoints = Vec::with_capacity(workers);
        for worker in 0..workers {
            let endpoint =
                Endpoint::bind(function.transport, function.shm, socket_dir.path(), worker)
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
            let supervisor = Supervisor::new(
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
    pub(super) fn new(
        workers: usize,
        availability_timeout: Duration,
        socket_dir: Option<tempfile::TempDir>,
    ) -> WorkerPool {
        let pool = WorkerPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::new(workers)),
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
            let slot = CommandWorker::new(worker, generation, config.clone(), pool.clone());
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
        self.lock_state().live_workers()
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
        self.lock_state().worker_up(worker, jobs, limit, ordered)
    }

    /// Takes worker `worker` out of allocation.
    pub(crate) fn worker_down(&self, worker: usize, generation: u64) {
        self.lock_state().worker_down(worker, generation);
    }

    /// Frees one slot of worker `worker`, taken in `generation`, whose event ran for
    /// `ran` (when known) and was answered at `now`: the oldest waiting events take the
    /// room there is.
    pub(crate) fn release(&self, worker: usize, generation: u64, ran: Option<Duration>, now: &Now) {
        self.lock_state().release(worker, generation, ran, now);
    }

    /// The allocation state; never held across an await.
    pub(super) fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().expect("pool lock")
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
            let path = dir.path().to_path_buf();
            if let Err(err) = dir.close() {
                tracing::warn!(path = %path.display(), %err, "cannot remove socket directory");
            }
        }
    }
}
