//! One live connection to a ready wrapper: a writer task that batches events onto the
//! wire and a reader loop that matches responses to them and watches the event timeout.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::allocation::Now;
use super::dispatch::{sleep_until_some, Job, Outcome};
use super::{DispatchError, WorkerPool};
use crate::codec::{CodecError, CodecKind, Log, Message, WireCodec};
use crate::event::{Event, Response};
use crate::transport::{ReadHalf, WriteHalf};

/// Bytes of events gathered into one write.
const WRITE_BATCH_BYTES: usize = 1 << 20;
const READ_CHUNK: usize = 64 * 1024;

/// Reads whole messages off a transport.
pub(crate) struct FrameReader {
    reader: ReadHalf,
    buf: BytesMut,
    codec: WireCodec,
}

impl FrameReader {
    pub(crate) fn new(reader: ReadHalf, codec: CodecKind) -> Self {
        FrameReader {
            reader,
            buf: BytesMut::with_capacity(READ_CHUNK),
            codec: WireCodec::new(codec),
        }
    }

    /// A message already in the buffer, without reading.
    pub(crate) fn buffered(&mut self) -> Result<Option<Message>, CodecError> {
        self.codec.decode(&mut self.buf)
    }

    /// The next message; `None` at a clean end of stream. Cancel-safe: bytes read before a
    /// cancellation stay in the buffer.
    pub(crate) async fn next(&mut self) -> Result<Option<Message>, CodecError> {
        loop {
            if let Some(message) = self.codec.decode(&mut self.buf)? {
                return Ok(Some(message));
            }
            if self.buf.capacity() - self.buf.len() < READ_CHUNK {
                self.buf.reserve(READ_CHUNK);
            }
            if self.reader.read_buf(&mut self.buf).await? == 0 {
                return self.codec.decode_eof(&mut self.buf);
            }
        }
    }
}

/// An event written to the wrapper and not yet answered.
pub(crate) struct Pending {
    pub(crate) event: Event,
    pub(crate) reply: tokio::sync::oneshot::Sender<Outcome>,
    /// When the handler began it, as far as the processor can tell: when it was written
    /// (concurrent wrappers) or when the one before it was answered (in-order wrappers).
    pub(crate) started: Option<Instant>,
}

/// Why a live connection ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The wrapper closed the connection (it exited or crashed).
    Closed,
    /// The stream broke or carried something the protocol does not allow.
    Broken(String),
    /// The oldest running event overran the event timeout.
    TimedOut,
    /// The pool is stopping and the wrapper did not leave within the grace period.
    Stopping,
}

/// What a connection leaves behind for the supervisor to settle.
pub(crate) struct Ended {
    pub(crate) end: End,
    pub(crate) in_flight: VecDeque<Pending>,
}

/// The state shared by the reader and the writer of one connection.
pub(crate) struct Live {
    pub(crate) worker: usize,
    pub(crate) generation: u64,
    /// In-order wrapper (concurrency 1)?
    pub(crate) ordered: bool,
    pub(crate) event_timeout: Duration,
    pub(crate) pool: WorkerPool,
    in_flight: Mutex<VecDeque<Pending>>,
    /// Tells the reader the in-flight set changed, so it recomputes its timeout.
    changed: Notify,
}

impl Live {
    pub(crate) fn new(
        worker: usize,
        generation: u64,
        ordered: bool,
        event_timeout: Duration,
        pool: WorkerPool,
    ) -> Arc<Live> {
        Arc::new(Live {
            worker,
            generation,
            ordered,
            event_timeout,
            pool,
            in_flight: Mutex::new(VecDeque::new()),
            changed: Notify::new(),
        })
    }

    /// Writes events as they are handed over, several per write when they queue up.
    /// Returns the job queue so events never written can be handed on.
    pub(crate) async fn write_events(
        self: Arc<Self>,
        mut writer: WriteHalf,
        codec: CodecKind,
        mut jobs: mpsc::UnboundedReceiver<Job>,
        stop: CancellationToken,
    ) -> mpsc::UnboundedReceiver<Job> {
        let mut codec = WireCodec::new(codec);
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        let stopping = self.pool.stopping().clone();
        loop {
            let job = tokio::select! {
                biased;
                _ = stop.cancelled() => return jobs,
                _ = stopping.cancelled() => break,
                job = jobs.recv() => job,
            };
            let Some(job) = job else { break };
            let mut was_idle = self.stage(job, &mut codec, &mut buf);
            // Let the request tasks that are ready run first, so the events they hand over
            // join this write: fewer, larger writes wake the wrapper less often, and waking
            // it is most of what an event costs here.
            tokio::task::yield_now().await;
            while buf.len() < WRITE_BATCH_BYTES {
                match jobs.try_recv() {
                    Ok(job) => was_idle |= self.stage(job, &mut codec, &mut buf),
                    Err(_) => break,
                }
            }
            // Events joining others in flight start no earlier than those, so the reader's
            // timeout stands; it needs waking only when these are the first.
            if was_idle {
                self.changed.notify_one();
            }
            if writer.write_all(&buf).await.is_err() {
                // The reader sees the broken stream and ends the connection.
                return jobs;
            }
            buf.clear();
            if buf.capacity() > 4 * WRITE_BATCH_BYTES {
                buf = BytesMut::with_capacity(READ_CHUNK);
            }
        }
        // Stopping: ask the wrapper to finish what it has and leave.
        buf.clear();
        if codec.encode(&Message::Shutdown, &mut buf).is_ok() {
            let _ = writer.write_all(&buf).await;
        }
        let _ = writer.shutdown().await;
        jobs
    }

    /// Encodes one event into the outgoing batch and records it as in flight. Returns
    /// whether nothing was in flight before it.
    fn stage(&self, mut job: Job, codec: &mut WireCodec, buf: &mut BytesMut) -> bool {
        let now = Instant::now();
        job.event.deadline = unix_millis(SystemTime::now() + self.event_timeout);
        let mark = buf.len();
        if let Err(err) = codec.encode_event(&job.event, buf) {
            buf.truncate(mark);
            let _ = job
                .reply
                .send(Outcome::Failed(DispatchError::Unencodable(err.to_string())));
            self.pool
                .release(self.worker, self.generation, None, &Now::new());
            return false;
        }
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        let was_idle = in_flight.is_empty();
        let started = (!self.ordered || was_idle).then_some(now);
        in_flight.push_back(Pending {
            event: job.event,
            reply: job.reply,
            started,
        });
        was_idle
    }

    /// Reads responses and logs until the connection ends, the oldest event overruns its
    /// timeout, or (when stopping) the grace period runs out.
    ///
    /// Every message already read is handled before waiting again, and the futures waited
    /// on live across iterations: a response costs no timer or waiter registration. The
    /// timeout timer is armed lazily: it is set for the oldest running event's deadline,
    /// and when it fires the deadline is looked up again, since that event may be answered
    /// by then and a later one running.
    pub(crate) async fn read_responses(&self, frames: &mut FrameReader) -> End {
        let stopping = self.pool.stopping().clone();
        let stop = stopping.cancelled();
        tokio::pin!(stop);
        let mut changed = std::pin::pin!(self.changed.notified());
        let overrun = tokio::time::sleep(self.event_timeout);
        tokio::pin!(overrun);
        let mut armed = self.rearm(overrun.as_mut());
        let mut leave_by: Option<Instant> = None;
        loop {
            tokio::select! {
                frame = frames.next() => {
                    let mut next = frame;
                    loop {
                        let message = match next {
                            Ok(Some(message)) => message,
                            Ok(None) => return End::Closed,
                            Err(err) => return End::Broken(err.to_string()),
                        };
                        if let Some(end) = self.take(message) {
                            return end;
                        }
                        // Nothing more buffered is "read again", not the end of the stream.
                        next = match frames.buffered() {
                            Ok(None) => break,
                            more => more,
                        };
                    }
                }
                _ = &mut overrun, if armed => {
                    match self.next_deadline() {
                        Some(deadline) if deadline <= Instant::now() => return End::TimedOut,
                        _ => armed = self.rearm(overrun.as_mut()),
                    }
                }
                _ = changed.as_mut() => {
                    changed.set(self.changed.notified());
                    if !armed {
                        armed = self.rearm(overrun.as_mut());
                    }
                }
                _ = &mut stop, if leave_by.is_none() => {
                    leave_by = Some(Instant::now() + self.pool.shutdown_grace());
                }
                _ = sleep_until_some(leave_by), if leave_by.is_some() => return End::Stopping,
            }
        }
    }

    /// Handles one message from the wrapper; `Some` when it ends the connection.
    fn take(&self, message: Message) -> Option<End> {
        match message {
            Message::Response(response) => self.resolve(response).err().map(End::Broken),
            Message::Log(log) => {
                emit_log(self.worker, &log);
                None
            }
            Message::Metric(metric) => {
                tracing::debug!(worker = self.worker, name = %metric.name, value = metric.value, "metric");
                None
            }
            Message::Pong(_) => None,
            other => Some(End::Broken(format!(
                "sent a {} message after ready",
                other.kind().name()
            ))),
        }
    }

    /// Sets `timer` for the oldest running event's deadline; false when nothing runs.
    fn rearm(&self, timer: std::pin::Pin<&mut tokio::time::Sleep>) -> bool {
        match self.next_deadline() {
            Some(deadline) => {
                timer.reset(deadline);
                true
            }
            None => false,
        }
    }

    /// Answers the pending event `response` is for.
    fn resolve(&self, response: Response) -> Result<(), String> {
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        let Some(index) = in_flight.iter().position(|p| p.event.id == response.id) else {
            tracing::warn!(
                worker = self.worker,
                event = response.id,
                "response for an unknown event dropped"
            );
            return Ok(());
        };
        if self.ordered && index != 0 {
            return Err(format!(
                "answered event {} before event {}, though it declared concurrency 1",
                response.id, in_flight[0].event.id
            ));
        }
        let pending = in_flight.remove(index).expect("index is in range");
        let now = Instant::now();
        if self.ordered {
            if let Some(next) = in_flight.front_mut() {
                next.started = Some(now);
            }
        }
        drop(in_flight);
        if let Some(error) = &response.error {
            tracing::warn!(worker = self.worker, event = response.id, status = response.status, %error, "handler raised");
        }
        let ran = pending
            .started
            .map(|started| now.saturating_duration_since(started));
        let _ = pending.reply.send(Outcome::Done(response));
        self.pool
            .release(self.worker, self.generation, ran, &Now::at(now));
        Ok(())
    }

    /// When the oldest running event's time is up.
    fn next_deadline(&self) -> Option<Instant> {
        let in_flight = self.in_flight.lock().expect("in-flight lock");
        in_flight
            .iter()
            .filter_map(|p| p.started)
            .min()
            .map(|started| started + self.event_timeout)
    }

    /// Takes everything still in flight, leaving the connection empty.
    pub(crate) fn take_in_flight(&self) -> VecDeque<Pending> {
        std::mem::take(&mut *self.in_flight.lock().expect("in-flight lock"))
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> u64 {
    unix_millis(SystemTime::now())
}

/// Logs a wrapper's `log` message at its level, with its event and fields.
pub(crate) fn emit_log(worker: usize, log: &Log) {
    let fields = if log.fields.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&log.fields).unwrap_or_default()
    };
    let event = log.id.unwrap_or_default();
    let message = &log.message;
    match log.level.as_str() {
        "debug" => {
            tracing::debug!(target: "ferrite::handler", worker, event, fields = %fields, "{message}")
        }
        "warn" | "warning" => {
            tracing::warn!(target: "ferrite::handler", worker, event, fields = %fields, "{message}")
        }
        "error" => {
            tracing::error!(target: "ferrite::handler", worker, event, fields = %fields, "{message}")
        }
        _ => {
            tracing::info!(target: "ferrite::handler", worker, event, fields = %fields, "{message}")
        }
    }
}
