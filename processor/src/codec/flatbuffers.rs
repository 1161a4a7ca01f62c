//! FlatBuffers frames: `u32 length (big-endian) | one FlatBuffers buffer` whose root is a
//! `Frame` (`schemas/wire.fbs`, identifier `FRT1`); the union type is the message kind.
//!
//! Reading goes through the verifier first, and bodies are handed on as slices of the
//! received frame rather than copied. Writing goes through a builder kept per connection,
//! so its buffer is allocated once rather than per message; a large frame written alone
//! takes the builder's buffer with it instead of being copied out (`HAND_OVER_BYTES`).

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferrite_wire as wire;
use wire::flatbuffers::{
    FlatBufferBuilder, ForwardsUOffset, UnionWIPOffset, Vector, VerifierOptions, WIPOffset,
};

use super::{
    split_length_prefixed, CodecError, Hello, InitError, Log, Message, MessageKind, Metric, Ping,
    MAX_FRAME_LEN,
};
use crate::event::{Event, Response, TriggerInfo};

const HEADER_LEN: usize = 4;

/// A frame this large, written to an empty `dst`, becomes `dst` itself: the builder's
/// buffer is handed over rather than copied, and the next one is allocated zeroed, which
/// costs no more than the zeroing `reset` does. Smaller frames are copied, so the builder
/// and its buffer live on.
const HAND_OVER_BYTES: usize = 64 << 10;

/// The smallest buffer that can hold a root offset and the file identifier.
const MIN_BUFFER_LEN: usize = 8;

/// A builder's buffer is kept for the next message up to this size, as the writer's own
/// batch buffer is; past it, one large body would pin its size for the connection's life.
const KEEP_BUILDER_BYTES: usize = 4 << 20;

/// The limits `schemas/PROTOCOL.md` sets for the verifier.
fn verifier_options() -> VerifierOptions {
    VerifierOptions {
        max_depth: 64,
        max_tables: 1_000_000,
        ..VerifierOptions::default()
    }
}

/// The builder one connection writes with, and how large its buffer is known to be.
pub(super) struct Builder {
    /// Boxed: the builder's bookkeeping is some 200 bytes, carried by every codec.
    fbb: Box<FlatBufferBuilder<'static>>,
    capacity: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            fbb: Box::new(FlatBufferBuilder::new()),
            capacity: 0,
        }
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Builder {
    /// Ready for a message of about `size` bytes: a buffer that large from the start
    /// rather than one doubled (and copied) up to it.
    fn prepare(&mut self, size: usize) -> &mut FlatBufferBuilder<'static> {
        if size > self.capacity {
            // A buffer handed over is not reused, so it is allocated (and zeroed) at the
            // size needed rather than rounded up.
            self.capacity = if size >= HAND_OVER_BYTES {
                size
            } else {
                size.next_power_of_two()
            };
            *self.fbb = FlatBufferBuilder::with_capacity(self.capacity);
        } else {
            self.fbb.reset();
        }
        &mut self.fbb
    }

    /// Appends the finished frame to `dst`, length first.
    fn finish(
        &mut self,
        kind: MessageKind,
        message: WIPOffset<UnionWIPOffset>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let fbb = &mut self.fbb;
        let frame = wire::Frame::create(
            fbb,
            &wire::FrameArgs {
                message_type: wire::Message(kind as u8),
                message: Some(message),
            },
        );
        wire::finish_frame_buffer(fbb, frame);
        let len = fbb.finished_data().len();
        // The frame sits at the end of the builder's buffer; the length goes in the bytes
        // before it, which the size estimate in `prepare` leaves free.
        let (_, start) = fbb.mut_finished_buffer();
        if dst.is_empty() && (HAND_OVER_BYTES..=MAX_FRAME_LEN).contains(&len) && start >= HEADER_LEN
        {
            let (buffer, start) = std::mem::take(&mut *self.fbb).collapse();
            // Vec to Bytes to BytesMut takes the allocation as it is, without a copy.
            let mut frame = BytesMut::from(Bytes::from(buffer));
            frame.advance(start - HEADER_LEN);
            frame[..HEADER_LEN].copy_from_slice(&(len as u32).to_be_bytes());
            *dst = frame;
            self.capacity = 0;
            return Ok(());
        }
        let data = fbb.finished_data();
        let written = if len > MAX_FRAME_LEN {
            Err(CodecError::TooLarge(len))
        } else {
            dst.reserve(HEADER_LEN + len);
            dst.put_u32(len as u32);
            dst.extend_from_slice(data);
            Ok(())
        };
        self.capacity = self.capacity.max(len);
        if self.capacity > KEEP_BUILDER_BYTES {
            *self = Builder::default();
        }
        written
    }
}

/// Appends an `event` frame.
pub(super) fn encode_event(
    builder: &mut Builder,
    event: &Event,
    dst: &mut BytesMut,
) -> Result<(), CodecError> {
    if event.body.len() > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge(event.body.len()));
    }
    let size = event.body.len()
        + text_size(&event.method)
        + text_size(&event.path)
        + text_size(&event.url)
        + text_size(&event.content_type)
        + map_size(&event.query)
        + map_size(&event.headers)
        + 256;
    let fbb = builder.prepare(size);
    let table = event_table(fbb, event);
    builder.finish(MessageKind::Event, table, dst)
}

/// Appends any message's frame.
pub(super) fn encode(
    builder: &mut Builder,
    message: &Message,
    dst: &mut BytesMut,
) -> Result<(), CodecError> {
    let kind = message.kind();
    let table = match message {
        Message::Event(event) => return encode_event(builder, event, dst),
        Message::Response(response) => {
            if response.body.len() > MAX_FRAME_LEN {
                return Err(CodecError::TooLarge(response.body.len()));
            }
            let size = response.body.len()
                + text_size(&response.content_type)
                + response.error.as_deref().map_or(0, text_size)
                + map_size(&response.headers)
                + 256;
            response_table(builder.prepare(size), response)
        }
        Message::Hello(hello) => hello_table(builder.prepare(0), hello),
        Message::Ready => {
            let fbb = builder.prepare(0);
            wire::Ready::create(fbb, &wire::ReadyArgs {}).as_union_value()
        }
        Message::InitError(init_error) => init_error_table(builder.prepare(0), init_error),
        Message::Log(log) => {
            let fields = fields_json(kind, log)?;
            log_table(builder.prepare(0), log, fields.as_deref())
        }
        Message::Metric(metric) => metric_table(builder.prepare(0), metric),
        Message::Ping(Ping { nonce }) => {
            let fbb = builder.prepare(0);
            wire::Ping::create(fbb, &wire::PingArgs { nonce: *nonce }).as_union_value()
        }
        Message::Pong(Ping { nonce }) => {
            let fbb = builder.prepare(0);
            wire::Pong::create(fbb, &wire::PongArgs { nonce: *nonce }).as_union_value()
        }
        Message::Shutdown => {
            let fbb = builder.prepare(0);
            wire::Shutdown::create(fbb, &wire::ShutdownArgs {}).as_union_value()
        }
    };
    builder.finish(kind, table, dst)
}

/// Bytes a string takes in a buffer, padding and length included, at most.
fn text_size(text: &str) -> usize {
    text.len() + 8
}

/// Bytes a map's vector of pairs takes, at most.
fn map_size(map: &BTreeMap<String, String>) -> usize {
    map.iter()
        .map(|(key, value)| text_size(key) + text_size(value) + 32)
        .sum::<usize>()
        + 8
}

type Fbb = FlatBufferBuilder<'static>;
type Pairs = Vector<'static, ForwardsUOffset<wire::Pair<'static>>>;

/// An absent string reads as empty, so an empty one is left out.
fn text(fbb: &mut Fbb, text: &str) -> Option<WIPOffset<&'static str>> {
    (!text.is_empty()).then(|| fbb.create_string(text))
}

fn pairs(fbb: &mut Fbb, map: &BTreeMap<String, String>) -> Option<WIPOffset<Pairs>> {
    if map.is_empty() {
        return None;
    }
    let pairs: Vec<_> = map
        .iter()
        .map(|(key, value)| {
            let args = wire::PairArgs {
                key: Some(fbb.create_string(key)),
                value: Some(fbb.create_string(value)),
            };
            wire::Pair::create(fbb, &args)
        })
        .collect();
    Some(fbb.create_vector(&pairs))
}

fn body(fbb: &mut Fbb, body: &[u8]) -> Option<WIPOffset<Vector<'static, u8>>> {
    (!body.is_empty()).then(|| fbb.create_vector(body))
}

fn event_table(fbb: &mut Fbb, event: &Event) -> WIPOffset<UnionWIPOffset> {
    // Named field by field, without `..`, so a field added to Event fails to compile here
    // rather than going missing from flatbuffers events.
    let Event {
        id,
        trigger:
            TriggerInfo {
                kind: trigger_kind,
                name: trigger_name,
            },
        method,
        path,
        url,
        query,
        headers,
        content_type,
        body: event_body,
        timestamp,
        deadline,
    } = event;
    let trigger_args = wire::TriggerArgs {
        kind: text(fbb, trigger_kind),
        name: text(fbb, trigger_name),
    };
    let args = wire::EventArgs {
        id: *id,
        trigger: Some(wire::Trigger::create(fbb, &trigger_args)),
        method: text(fbb, method),
        path: text(fbb, path),
        url: text(fbb, url),
        query: pairs(fbb, query),
        headers: pairs(fbb, headers),
        content_type: text(fbb, content_type),
        body: body(fbb, event_body),
        timestamp: *timestamp,
        deadline: *deadline,
    };
    wire::Event::create(fbb, &args).as_union_value()
}

fn response_table(fbb: &mut Fbb, response: &Response) -> WIPOffset<UnionWIPOffset> {
    let Response {
        id,
        status,
        headers,
        content_type,
        body: response_body,
        error,
    } = response;
    let args = wire::ResponseArgs {
        id: *id,
        status: u32::from(*status),
        headers: pairs(fbb, headers),
        content_type: text(fbb, content_type),
        body: body(fbb, response_body),
        // Present even when empty: absent means the handler did not raise.
        error: error.as_deref().map(|error| fbb.create_string(error)),
    };
    wire::Response::create(fbb, &args).as_union_value()
}

fn hello_table(fbb: &mut Fbb, hello: &Hello) -> WIPOffset<UnionWIPOffset> {
    let args = wire::HelloArgs {
        protocol: hello.protocol,
        token: text(fbb, &hello.token),
        runtime: text(fbb, &hello.runtime),
        runtime_version: text(fbb, &hello.runtime_version),
        pid: hello.pid,
        concurrency: hello.concurrency,
    };
    wire::Hello::create(fbb, &args).as_union_value()
}

fn init_error_table(fbb: &mut Fbb, init_error: &InitError) -> WIPOffset<UnionWIPOffset> {
    let args = wire::InitErrorArgs {
        message: text(fbb, &init_error.message),
        detail: init_error
            .detail
            .as_deref()
            .map(|detail| fbb.create_string(detail)),
    };
    wire::InitError::create(fbb, &args).as_union_value()
}

/// A log's fields as the text of one JSON object; none when there are no fields.
fn fields_json(kind: MessageKind, log: &Log) -> Result<Option<String>, CodecError> {
    if log.fields.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&log.fields)
        .map(Some)
        .map_err(|err| CodecError::Encode {
            kind: kind.name(),
            reason: err.to_string(),
        })
}

fn log_table(fbb: &mut Fbb, log: &Log, fields: Option<&str>) -> WIPOffset<UnionWIPOffset> {
    let args = wire::LogArgs {
        id: log.id,
        level: text(fbb, &log.level),
        message: text(fbb, &log.message),
        fields_json: fields.map(|fields| fbb.create_string(fields)),
    };
    wire::Log::create(fbb, &args).as_union_value()
}

fn metric_table(fbb: &mut Fbb, metric: &Metric) -> WIPOffset<UnionWIPOffset> {
    let args = wire::MetricArgs {
        name: text(fbb, &metric.name),
        value: metric.value,
        labels: pairs(fbb, &metric.labels),
    };
    wire::Metric::create(fbb, &args).as_union_value()
}

/// Takes one frame off the front of `src`; `Ok(None)` until it is all there.
pub(super) fn decode(src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
    let Some(frame) = split_length_prefixed(src)? else {
        return Ok(None);
    };
    // Frozen, the frame's bytes can be shared: bodies become slices of it, not copies.
    read(&frame.freeze()).map(Some)
}

/// The message in one verified buffer, without its length prefix.
pub(super) fn read(buffer: &Bytes) -> Result<Message, CodecError> {
    let refused = |reason: String| CodecError::Malformed {
        kind: "flatbuffers",
        reason,
    };
    if buffer.len() < MIN_BUFFER_LEN {
        return Err(refused(format!(
            "a buffer of {} bytes is too short to hold a root offset and an identifier",
            buffer.len()
        )));
    }
    if !wire::frame_buffer_has_identifier(buffer) {
        return Err(refused(format!(
            "file identifier is {:?}, not {:?}",
            String::from_utf8_lossy(&buffer[4..8]),
            wire::FRAME_IDENTIFIER
        )));
    }
    let frame = wire::root_as_frame_with_opts(&verifier_options(), buffer).map_err(|err| {
        refused(format!(
            "the verifier refused it: {}",
            one_line(&err.to_string())
        ))
    })?;
    let code = frame.message_type().0;
    let kind = MessageKind::from_code(code).ok_or(CodecError::UnknownKind(code.to_string()))?;
    let absent = || CodecError::Malformed {
        kind: kind.name(),
        reason: "the frame names the kind but holds no table for it".into(),
    };
    Ok(match kind {
        MessageKind::Hello => {
            let hello = frame.message_as_hello().ok_or_else(absent)?;
            Message::Hello(Hello {
                protocol: hello.protocol(),
                token: owned(hello.token()),
                runtime: owned(hello.runtime()),
                runtime_version: owned(hello.runtime_version()),
                pid: hello.pid(),
                concurrency: hello.concurrency(),
            })
        }
        MessageKind::Ready => {
            frame.message_as_ready().ok_or_else(absent)?;
            Message::Ready
        }
        MessageKind::InitError => {
            let init_error = frame.message_as_init_error().ok_or_else(absent)?;
            Message::InitError(InitError {
                message: owned(init_error.message()),
                detail: init_error.detail().map(str::to_owned),
            })
        }
        MessageKind::Event => {
            let event = frame.message_as_event().ok_or_else(absent)?;
            let trigger = event.trigger();
            Message::Event(Event {
                id: event.id(),
                trigger: TriggerInfo {
                    kind: owned(trigger.and_then(|t| t.kind())),
                    name: owned(trigger.and_then(|t| t.name())),
                },
                method: owned(event.method()),
                path: owned(event.path()),
                url: owned(event.url()),
                query: map(event.query()),
                headers: map(event.headers()),
                content_type: owned(event.content_type()),
                body: slice(buffer, event.body()),
                timestamp: event.timestamp(),
                deadline: event.deadline(),
            })
        }
        MessageKind::Response => {
            let response = frame.message_as_response().ok_or_else(absent)?;
            let status = u16::try_from(response.status()).map_err(|_| CodecError::Malformed {
                kind: kind.name(),
                reason: format!("status {} is not an HTTP status", response.status()),
            })?;
            Message::Response(Response {
                id: response.id(),
                status,
                headers: map(response.headers()),
                content_type: owned(response.content_type()),
                body: slice(buffer, response.body()),
                error: response.error().map(str::to_owned),
            })
        }
        MessageKind::Log => {
            let log = frame.message_as_log().ok_or_else(absent)?;
            let fields = match log.fields_json() {
                None => BTreeMap::new(),
                Some(text) => serde_json::from_str(text).map_err(|err| CodecError::Malformed {
                    kind: kind.name(),
                    reason: format!("fields_json is not a JSON object: {err}"),
                })?,
            };
            Message::Log(Log {
                id: log.id(),
                level: owned(log.level()),
                message: owned(log.message()),
                fields,
            })
        }
        MessageKind::Metric => {
            let metric = frame.message_as_metric().ok_or_else(absent)?;
            Message::Metric(Metric {
                name: owned(metric.name()),
                value: metric.value(),
                labels: map(metric.labels()),
            })
        }
        MessageKind::Ping => {
            let ping = frame.message_as_ping().ok_or_else(absent)?;
            Message::Ping(Ping {
                nonce: ping.nonce(),
            })
        }
        MessageKind::Pong => {
            let pong = frame.message_as_pong().ok_or_else(absent)?;
            Message::Pong(Ping {
                nonce: pong.nonce(),
            })
        }
        MessageKind::Shutdown => {
            frame.message_as_shutdown().ok_or_else(absent)?;
            Message::Shutdown
        }
    })
}

fn owned(text: Option<&str>) -> String {
    text.unwrap_or_default().to_owned()
}

fn map(pairs: Option<Vector<'_, ForwardsUOffset<wire::Pair<'_>>>>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .flatten()
        .map(|pair| (owned(pair.key()), owned(pair.value())))
        .collect()
}

/// The body as a slice of the frame it lies in: no copy.
fn slice(buffer: &Bytes, body: Option<Vector<'_, u8>>) -> Bytes {
    body.map_or_else(Bytes::new, |body| buffer.slice_ref(body.bytes()))
}

/// The verifier's account, which spans lines (the error, then its trace), on one.
fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
