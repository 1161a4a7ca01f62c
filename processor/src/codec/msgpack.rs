//! MessagePack frames: `u32 length (big-endian) | u8 kind | payload map`.

use bytes::{BufMut, BytesMut};
use serde::de::DeserializeOwned;

use super::erased::Payload;
use super::{
    decode_payload, split_length_prefixed, CodecError, Message, MessageKind, PayloadParser,
    MAX_FRAME_LEN,
};

const HEADER_LEN: usize = 4;

pub(super) fn encode(
    kind: MessageKind,
    payload: &dyn Payload,
    dst: &mut BytesMut,
) -> Result<(), CodecError> {
    let start = dst.len();
    dst.put_u32(0); // patched below, once the payload's size is known
    dst.put_u8(kind as u8);
    payload.to_msgpack(dst).map_err(|err| CodecError::Encode {
        kind: kind.name(),
        reason: err.to_string(),
    })?;
    let len = dst.len() - start - HEADER_LEN;
    if len > MAX_FRAME_LEN {
        dst.truncate(start);
        return Err(CodecError::TooLarge(len));
    }
    dst[start..start + HEADER_LEN].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(())
}

pub(super) fn decode(src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
    let Some(frame) = split_length_prefixed(src)? else {
        return Ok(None);
    };
    let code = frame[0];
    let kind = MessageKind::from_code(code).ok_or(CodecError::UnknownKind(code.to_string()))?;
    decode_payload(kind, MsgpackPayload(&frame[1..])).map(Some)
}

struct MsgpackPayload<'a>(&'a [u8]);

impl PayloadParser for MsgpackPayload<'_> {
    type Error = rmp_serde::decode::Error;

    fn parse<T: DeserializeOwned>(self) -> Result<T, rmp_serde::decode::Error> {
        rmp_serde::from_slice(self.0)
    }
}
