//! Who holds which slot, and which worker takes the next event.
//!
//! Each worker has room for as many events as it declared it runs at once. A synchronous
//! wrapper (concurrency 1) is sent events ahead, as many as it gets through in
//! [`PIPELINE_WAIT_BUDGET`] at its recent pace, up to `spec.wire.pipelineDepth`: it runs
//! them in order, so the round trip is hidden, and when it dies the events behind the
//! running one are known not to have started and are dispatched again. One whose running
//! event has overstayed (see [`Slot::stalled`]) is sent nothing more until it answers, so
//! new events go to the other workers or wait in the pool's queue rather than behind it.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::dispatch::Job;

/// About how long an event may wait behind the others queued on an in-order worker. Its
/// queue is cut to what the worker gets through in this time (at its recent pace, and
/// never below two, so the round trip stays hidden), up to `spec.wire.pipelineDepth`: a
/// fast handler keeps a deep pipeline, which is what keeps its wrapper busy, while a slow
/// one has few events stuck behind it that another worker could have taken.
const PIPELINE_WAIT_BUDGET: Duration = Duration::from_millis(2);

/// Who holds which slot, and the events waiting for one.
pub(super) struct State {
    slots: Vec<Slot>,
    /// Events that found every slot taken, oldest first, each with the time it gives up.
    pub(super) waiting: VecDeque<(Job, Instant)>,
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

impl State {
    /// `workers` slots, all down, and no event waiting.
    pub(super) fn new(workers: usize) -> State {
        State {
            slots: (0..workers).map(|_| Slot::default()).collect(),
            waiting: VecDeque::new(),
        }
    }

    /// How many workers are up and taking events.
    pub(super) fn live_workers(&self) -> usize {
        self.slots.iter().filter(|slot| slot.live.is_some()).count()
    }

    /// Marks worker `worker` live with room for `limit` outstanding events (`ordered`: it
    /// runs them one at a time), gives it the events that were waiting, and returns the
    /// generation its releases must carry.
    pub(super) fn worker_up(
        &mut self,
        worker: usize,
        jobs: mpsc::UnboundedSender<Job>,
        limit: usize,
        ordered: bool,
    ) -> u64 {
        let slot = &mut self.slots[worker];
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
        self.fill(worker, &Now::new());
        generation
    }

    /// Takes worker `worker` out of allocation, unless a later incarnation holds its slot.
    pub(super) fn worker_down(&mut self, worker: usize, generation: u64) {
        let slot = &mut self.slots[worker];
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
    pub(super) fn release(
        &mut self,
        worker: usize,
        generation: u64,
        ran: Option<Duration>,
        now: &Now,
    ) {
        let slot = &mut self.slots[worker];
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
        self.fill(worker, now);
    }

    /// The live worker with a free slot and the fewest outstanding events, looking from
    /// `start` on so that idle workers share the load.
    pub(super) fn least_busy(&self, start: usize, now: &Now) -> Option<usize> {
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
    pub(super) fn hand_over(&mut self, worker: usize, job: Job, now: &Now) -> Option<Job> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
