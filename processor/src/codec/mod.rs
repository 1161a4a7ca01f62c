//! Codecs: the bytes of protocol messages on the wire (`schemas/PROTOCOL.md`).
//!
//! A codec is pure and synchronous: it turns a [`Message`] into bytes appended to a buffer
//! and takes complete messages off the front of a buffer, returning `Ok(None)` when the
//! buffer holds only part of one. It never touches a socket. Each codec is one file and one
//! arm of the matches in [`WireCodec`].

pub(crate) mod body;
mod flatbuffers;
mod json;
mod msgpack;

use std::collections::BTreeMap;

use bytes::BytesMut;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::event::{Event, Response};

/// The protocol version this processor speaks (`hello.protocol`).
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest frame either side may send.
pub const MAX_FRAME_LEN: usize = 256 * 1024 * 1024;

/// Which codec a function's workers speak.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CodecKind {
    /// One JSON object per line; bodies in base64.
    Json,
    /// Length-prefixed MessagePack frames.
    #[default]
    Msgpack,
    /// Length-prefixed FlatBuffers buffers (`schemas/wire.fbs`); bodies read in place.
    Flatbuffers,
}

impl CodecKind {
    /// Every codec this build speaks.
    pub const ALL: [CodecKind; 3] = [CodecKind::Json, CodecKind::Msgpack, CodecKind::Flatbuffers];

    /// The name used in specs, flags and the `FERRITE_CODEC` variable.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Json => "json",
            CodecKind::Msgpack => "msgpack",
            CodecKind::Flatbuffers => "flatbuffers",
        }
    }
}

/// The message kinds and their one-byte codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageKind {
    /// Wrapper introduces itself.
    Hello = 1,
    /// Handler loaded, init hook done.
    Ready = 2,
    /// Handler could not load.
    InitError = 3,
    /// An event to handle.
    Event = 4,
    /// A handler's answer.
    Response = 5,
    /// A log line.
    Log = 6,
    /// A metric sample.
    Metric = 7,
    /// Liveness probe.
    Ping = 8,
    /// Answer to a ping.
    Pong = 9,
    /// Stop after the events in hand.
    Shutdown = 10,
}

const KINDS: [(MessageKind, &str); 10] = [
    (MessageKind::Hello, "hello"),
    (MessageKind::Ready, "ready"),
    (MessageKind::InitError, "init_error"),
    (MessageKind::Event, "event"),
    (MessageKind::Response, "response"),
    (MessageKind::Log, "log"),
    (MessageKind::Metric, "metric"),
    (MessageKind::Ping, "ping"),
    (MessageKind::Pong, "pong"),
    (MessageKind::Shutdown, "shutdown"),
];

impl MessageKind {
    /// The name used by line-JSON's `"kind"` field.
    pub fn name(self) -> &'static str {
        KINDS[self as usize - 1].1
    }

    fn from_code(code: u8) -> Option<Self> {
        KINDS
            .get(usize::from(code).checked_sub(1)?)
            .map(|(kind, _)| *kind)
    }

    fn from_name(name: &str) -> Option<Self> {
        KINDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(kind, _)| *kind)
    }
}

/// `hello`: the wrapper's first message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version.
    pub protocol: u32,
    /// Must equal `FERRITE_TOKEN`.
    pub token: String,
    /// Runtime name, e.g. `python`.
    pub runtime: String,
    /// Runtime version.
    #[serde(default)]
    pub runtime_version: String,
    /// The wrapper's pid.
    pub pid: u32,
    /// Events the wrapper runs at the same time.
    pub concurrency: u32,
}

/// `init_error`: why the handler could not load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitError {
    /// One line for the user.
    pub message: String,
    /// More, e.g. a traceback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `log`: a line the handler or wrapper logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log {
    /// The event being handled, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The text.
    pub message: String,
    /// Structured fields.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "body::null_as_default"
    )]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// `metric`: a sample to add (reserved for the metrics endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Metric name.
    pub name: String,
    /// Amount to add.
    pub value: f64,
    /// Labels.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "body::null_as_default"
    )]
    pub labels: BTreeMap<String, String>,
}

/// `ping` and `pong`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    /// Echoed by the pong.
    pub nonce: u64,
}

/// The payload of messages that carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}

/// One protocol message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// See [`Hello`].
    Hello(Hello),
    /// Handler loaded.
    Ready,
    /// See [`InitError`].
    InitError(InitError),
    /// An event for the handler.
    Event(Event),
    /// The handler's answer.
    Response(Response),
    /// See [`Log`].
    Log(Log),
    /// See [`Metric`].
    Metric(Metric),
    /// Liveness probe.
    Ping(Ping),
    /// Its answer.
    Pong(Ping),
    /// Stop after the events in hand.
    Shutdown,
}

impl Message {
    /// This message's kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Hello(_) => MessageKind::Hello,
            Message::Ready => MessageKind::Ready,
            Message::InitError(_) => MessageKind::InitError,
            Message::Event(_) => MessageKind::Event,
            Message::Response(_) => MessageKind::Response,
            Message::Log(_) => MessageKind::Log,
            Message::Metric(_) => MessageKind::Metric,
            Message::Ping(_) => MessageKind::Ping,
            Message::Pong(_) => MessageKind::Pong,
            Message::Shutdown => MessageKind::Shutdown,
        }
    }

    /// Calls `write` with this message's payload, whatever its type.
    fn with_payload<R>(&self, write: impl FnOnce(&dyn erased::Payload) -> R) -> R {
        match self {
            Message::Hello(p) => write(p),
            Message::Ready | Message::Shutdown => write(&Empty {}),
            Message::InitError(p) => write(p),
            Message::Event(p) => write(p),
            Message::Response(p) => write(p),
            Message::Log(p) => write(p),
            Message::Metric(p) => write(p),
            Message::Ping(p) | Message::Pong(p) => write(p),
        }
    }
}

/// What can go wrong reading or writing frames. After any of these the connection is
/// unusable: the stream position is lost.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A frame claims more than [`MAX_FRAME_LEN`] bytes.
    #[error("frame of {0} bytes is over the {MAX_FRAME_LEN}-byte limit")]
    TooLarge(usize),
    /// A binary frame of length 0, or an empty JSON line.
    #[error("empty frame")]
    Empty,
    /// The kind byte, `"kind"` field or union type names no message.
    #[error("unknown message kind {0}")]
    UnknownKind(String),
    /// The payload does not decode as its kind.
    #[error("malformed {kind} message: {reason}")]
    Malformed {
        /// The kind's name.
        kind: &'static str,
        /// The decoder's account.
        reason: String,
    },
    /// The stream ended inside a frame.
    #[error("connection closed in the middle of a frame ({0} bytes pending)")]
    Truncated(usize),
    /// A message could not be encoded.
    #[error("cannot encode {kind} message: {reason}")]
    Encode {
        /// The kind's name.
        kind: &'static str,
        /// The encoder's account.
        reason: String,
    },
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A codec with the little state framing needs; one per connection.
#[derive(Debug)]
pub struct WireCodec {
    kind: CodecKind,
    /// How far line-JSON has already searched the buffer for a newline, so a large line
    /// arriving in many reads is scanned once, not once per read.
    scanned: usize,
    /// FlatBuffers' builder, whose buffer serves every message the connection writes.
    builder: flatbuffers::Builder,
}

impl WireCodec {
    /// A codec of the given kind.
    pub fn new(kind: CodecKind) -> Self {
        WireCodec {
            kind,
            scanned: 0,
            builder: flatbuffers::Builder::default(),
        }
    }

    /// Appends `message` to `dst`.
    pub fn encode(&mut self, message: &Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        if let Message::Event(event) = message {
            return self.encode_event(event, dst);
        }
        let kind = message.kind();
        match self.kind {
            CodecKind::Json => message.with_payload(|payload| json::encode(kind, payload, dst)),
            CodecKind::Msgpack => {
                message.with_payload(|payload| msgpack::encode(kind, payload, dst))
            }
            CodecKind::Flatbuffers => flatbuffers::encode(&mut self.builder, message, dst),
        }
    }

    /// Appends an `event` message, leaving the event with the caller (who keeps it in case
    /// it must be sent to another worker).
    pub fn encode_event(&mut self, event: &Event, dst: &mut BytesMut) -> Result<(), CodecError> {
        match self.kind {
            CodecKind::Json => json::encode_event(event, dst),
            CodecKind::Msgpack => msgpack::encode(MessageKind::Event, event, dst),
            CodecKind::Flatbuffers => flatbuffers::encode_event(&mut self.builder, event, dst),
        }
    }

    /// Takes one complete message off the front of `src`; `Ok(None)` if it holds only part
    /// of one.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        match self.kind {
            CodecKind::Json => json::decode(src, &mut self.scanned),
            CodecKind::Msgpack => msgpack::decode(src),
            CodecKind::Flatbuffers => flatbuffers::decode(src),
        }
    }

    /// Like [`decode`](Self::decode), at the end of the stream: leftover bytes are an error.
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        match self.decode(src)? {
            Some(message) => Ok(Some(message)),
            None if src.is_empty() => Ok(None),
            None => Err(CodecError::Truncated(src.len())),
        }
    }
}

impl tokio_util::codec::Decoder for WireCodec {
    type Item = Message;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        WireCodec::decode(self, src)
    }
}

impl tokio_util::codec::Encoder<&Message> for WireCodec {
    type Error = CodecError;

    fn encode(&mut self, message: &Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        WireCodec::encode(self, message, dst)
    }
}

/// Builds the message of `kind` from its payload, in whichever format `parse` reads.
fn decode_payload<E: std::fmt::Display>(
    kind: MessageKind,
    parse: impl PayloadParser<Error = E>,
) -> Result<Message, CodecError> {
    fn read<T: DeserializeOwned, E: std::fmt::Display>(
        kind: MessageKind,
        parse: impl PayloadParser<Error = E>,
    ) -> Result<T, CodecError> {
        parse.parse().map_err(|err| CodecError::Malformed {
            kind: kind.name(),
            reason: err.to_string(),
        })
    }
    Ok(match kind {
        MessageKind::Hello => Message::Hello(read(kind, parse)?),
        MessageKind::Ready => {
            read::<Empty, _>(kind, parse)?;
            Message::Ready
        }
        MessageKind::InitError => Message::InitError(read(kind, parse)?),
        MessageKind::Event => Message::Event(read(kind, parse)?),
        MessageKind::Response => Message::Response(read(kind, parse)?),
        MessageKind::Log => Message::Log(read(kind, parse)?),
        MessageKind::Metric => Message::Metric(read(kind, parse)?),
        MessageKind::Ping => Message::Ping(read(kind, parse)?),
        MessageKind::Pong => Message::Pong(read(kind, parse)?),
        MessageKind::Shutdown => {
            read::<Empty, _>(kind, parse)?;
            Message::Shutdown
        }
    })
}

/// The `u32` big-endian length that starts every msgpack and flatbuffers frame.
const LENGTH_PREFIX: usize = 4;

/// Takes the next length-prefixed frame off the front of `src`, without its prefix;
/// `Ok(None)` while `src` holds only part of it.
fn split_length_prefixed(src: &mut BytesMut) -> Result<Option<BytesMut>, CodecError> {
    if src.len() < LENGTH_PREFIX {
        return Ok(None);
    }
    let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
    if len == 0 {
        return Err(CodecError::Empty);
    }
    if len > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge(len));
    }
    if src.len() < LENGTH_PREFIX + len {
        src.reserve(LENGTH_PREFIX + len - src.len());
        return Ok(None);
    }
    let mut frame = src.split_to(LENGTH_PREFIX + len);
    bytes::Buf::advance(&mut frame, LENGTH_PREFIX);
    Ok(Some(frame))
}

/// A payload in some format, readable as any message type.
trait PayloadParser {
    type Error;
    fn parse<T: DeserializeOwned>(self) -> Result<T, Self::Error>;
}

/// Serialization of the payload types behind one object-safe trait, so encoding is written
/// once per codec rather than once per message kind.
mod erased {
    use bytes::{BufMut, BytesMut};

    pub(super) trait Payload {
        fn to_json(&self, out: &mut BytesMut) -> Result<(), serde_json::Error>;
        fn to_msgpack(&self, out: &mut BytesMut) -> Result<(), rmp_serde::encode::Error>;
    }

    impl<T: serde::Serialize> Payload for T {
        fn to_json(&self, out: &mut BytesMut) -> Result<(), serde_json::Error> {
            serde_json::to_writer(out.writer(), self)
        }

        fn to_msgpack(&self, out: &mut BytesMut) -> Result<(), rmp_serde::encode::Error> {
            rmp_serde::encode::write_named(&mut out.writer(), self)
        }
    }
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
