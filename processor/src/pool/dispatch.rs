//! An event's way to a worker and back.
//!
//! [`WorkerPool::dispatch`] takes a free slot on the least busy live worker and hands the
//! event to that worker's connection, or, when every slot is taken, queues it for the next
//! slot to free (at most the availability timeout, then 503); then it awaits the outcome.
//! A freed slot takes the oldest queued event on the spot, so an event that waits costs
//! one queue entry, not a waiting task with a timer of its own. An event whose worker died
//! before it started is dispatched again, a few times at most.

use std::sync::atomic::Ordering;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::allocation::Now;
use super::{DispatchError, WorkerPool};
use crate::event::{Event, Response};

/// How many times one event is handed to another worker after the one holding it died
/// before it started.
const MAX_REDISPATCH: u32 = 3;

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

impl WorkerPool {
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
        let mut state = self.lock_state();
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
    pub(super) async fn expire_waiting(self) {
        let stopping = self.shared.stopping.clone();
        loop {
            let next = {
                let now = Instant::now();
                let mut state = self.lock_state();
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
        let waiting = std::mem::take(&mut self.lock_state().waiting);
        for (job, _) in waiting {
            let _ = job.reply.send(Outcome::Failed(DispatchError::ShuttingDown));
        }
    }
}

/// Sleeps until `deadline`, or forever when there is none: a `select!` branch that never
/// fires without one.
pub(super) async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;
    use tokio::task::JoinHandle;

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

    /// Dispatches event `id` from a task of its own, as a trigger's request task would.
    fn spawn_dispatch(pool: &WorkerPool, id: u64) -> JoinHandle<Result<Response, DispatchError>> {
        let pool = pool.clone();
        tokio::spawn(async move { pool.dispatch(event(id)).await })
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
            dispatches.push(spawn_dispatch(&pool, id));
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
        let holder = spawn_dispatch(&pool, 1);
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
        let _held = spawn_dispatch(&pool, 1);
        let _job = next_job(&mut jobs).await;
        let waiting = spawn_dispatch(&pool, 2);
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
        let waiting = spawn_dispatch(&pool, 7);
        tokio::task::yield_now().await;
        let (jobs_tx, mut jobs) = mpsc::unbounded_channel();
        pool.worker_up(0, jobs_tx, 4, true);
        let job = next_job(&mut jobs).await;
        assert_eq!(job.event.id, 7);
        job.reply.send(answer(7)).unwrap();
        assert_eq!(waiting.await.unwrap().unwrap().id, 7);
        pool.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_from_a_held_up_worker_lets_it_take_events_again() {
        let pool = WorkerPool::new(1, Duration::from_secs(30), None);
        let (jobs_tx, mut jobs) = mpsc::unbounded_channel();
        let generation = pool.worker_up(0, jobs_tx, 8, true);
        // A fast handler so far: 20 µs an event.
        let warm = spawn_dispatch(&pool, 0);
        let job = next_job(&mut jobs).await;
        job.reply.send(answer(0)).unwrap();
        pool.release(0, generation, Some(Duration::from_micros(20)), &Now::new());
        assert_eq!(warm.await.unwrap().unwrap().id, 0);
        let mut dispatches = Vec::new();
        for id in 1..=2 {
            dispatches.push(spawn_dispatch(&pool, id));
            tokio::task::yield_now().await;
        }
        // Both are sent at once: the second queued behind the first.
        let first = next_job(&mut jobs).await;
        let second = next_job(&mut jobs).await;
        // The first overstays; a third event now waits for the pool instead.
        tokio::time::sleep(Duration::from_millis(10)).await;
        dispatches.push(spawn_dispatch(&pool, 3));
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
