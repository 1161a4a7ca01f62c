//! Line-JSON: one object per line, `"kind"` naming the message, bodies in base64.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{Buf, BytesMut};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::erased::Payload;
use super::{decode_payload, CodecError, Message, MessageKind, PayloadParser, MAX_FRAME_LEN};
use crate::event::{Event, TriggerInfo};

pub(super) fn encode(
    kind: MessageKind,
    payload: &dyn Payload,
    dst: &mut BytesMut,
) -> Result<(), CodecError> {
    // Written as `{"kind":"<name>"` and then the payload object with its opening brace
    // turned into a comma, so the tag costs no second serialization.
    dst.extend_from_slice(b"{\"kind\":\"");
    dst.extend_from_slice(kind.name().as_bytes());
    dst.extend_from_slice(b"\"");
    let start = dst.len();
    payload.to_json(dst).map_err(|err| CodecError::Encode {
        kind: kind.name(),
        reason: err.to_string(),
    })?;
    if &dst[start..] == b"{}" {
        dst.truncate(start);
        dst.extend_from_slice(b"}");
    } else {
        dst[start] = b',';
    }
    dst.extend_from_slice(b"\n");
    Ok(())
}

/// An `event` line with its body spliced in as base64 after the rest is serialized.
/// Base64 never needs JSON escaping, and serde_json's scan of a long string for characters
/// to escape was the largest part of encoding an event with a big body. The line is the
/// one the derived serialization gives, with `body` moved last.
pub(super) fn encode_event(event: &Event, dst: &mut BytesMut) -> Result<(), CodecError> {
    #[derive(Serialize)]
    struct Head<'a> {
        id: u64,
        trigger: &'a TriggerInfo,
        method: &'a str,
        path: &'a str,
        url: &'a str,
        query: &'a BTreeMap<String, String>,
        headers: &'a BTreeMap<String, String>,
        content_type: &'a str,
        timestamp: u64,
        deadline: u64,
    }
    // Named field by field, without `..`, so a field added to Event fails to compile here
    // rather than going missing from json events.
    let Event {
        id,
        trigger,
        method,
        path,
        url,
        query,
        headers,
        content_type,
        body,
        timestamp,
        deadline,
    } = event;
    let head = Head {
        id: *id,
        trigger,
        method,
        path,
        url,
        query,
        headers,
        content_type,
        timestamp: *timestamp,
        deadline: *deadline,
    };
    encode(MessageKind::Event, &head, dst)?;
    // `encode` ended the line with `}\n`; reopen it for the body.
    dst.truncate(dst.len() - 2);
    dst.extend_from_slice(b",\"body\":\"");
    let start = dst.len();
    dst.resize(
        start + base64::encoded_len(body.len(), true).unwrap_or(0),
        0,
    );
    let written = STANDARD
        .encode_slice(body, &mut dst[start..])
        .map_err(|err| CodecError::Encode {
            kind: MessageKind::Event.name(),
            reason: err.to_string(),
        })?;
    dst.truncate(start + written);
    dst.extend_from_slice(b"\"}\n");
    Ok(())
}

pub(super) fn decode(
    src: &mut BytesMut,
    scanned: &mut usize,
) -> Result<Option<Message>, CodecError> {
    let Some(offset) = memchr::memchr(b'\n', &src[*scanned..]) else {
        *scanned = src.len();
        if src.len() > MAX_FRAME_LEN {
            return Err(CodecError::TooLarge(src.len()));
        }
        return Ok(None);
    };
    let end = *scanned + offset;
    *scanned = 0;
    if end > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge(end));
    }
    let line = src.split_to(end);
    src.advance(1);
    let line = line.strip_suffix(b"\r").unwrap_or(&line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(CodecError::Empty);
    }
    let kind = match leading_kind(line) {
        Some(kind) => kind,
        None => {
            #[derive(serde::Deserialize)]
            struct Tag {
                kind: String,
            }
            let tag: Tag = serde_json::from_slice(line).map_err(|err| CodecError::Malformed {
                kind: "json",
                reason: err.to_string(),
            })?;
            MessageKind::from_name(&tag.kind).ok_or(CodecError::UnknownKind(tag.kind))?
        }
    };
    decode_payload(kind, JsonPayload(line)).map(Some)
}

/// The kind of a line that opens with it, `{"kind":"NAME"`, as every wrapper here writes
/// it. Reading it there spares a parse of the whole line, long when it carries a body,
/// only to find the tag; a line with the tag elsewhere is read whole for it.
fn leading_kind(line: &[u8]) -> Option<MessageKind> {
    let rest = line.strip_prefix(b"{\"kind\":\"")?;
    let name = &rest[..memchr::memchr(b'"', rest)?];
    MessageKind::from_name(std::str::from_utf8(name).ok()?)
}

struct JsonPayload<'a>(&'a [u8]);

impl PayloadParser for JsonPayload<'_> {
    type Error = serde_json::Error;

    fn parse<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.0)
    }
}
