//! Serde for body bytes: MessagePack `bin` in binary formats, base64 text in JSON.
//!
//! The choice follows `is_human_readable()`, which serde_json answers yes and rmp-serde no,
//! so one derive serves both codecs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use serde::{de, Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(body: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        serializer.serialize_str(&STANDARD.encode(body))
    } else {
        serializer.serialize_bytes(body)
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
    if deserializer.is_human_readable() {
        // `any`, so that a null body reads as empty rather than as a type error.
        deserializer.deserialize_any(BodyVisitor)
    } else {
        deserializer.deserialize_bytes(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> de::Visitor<'de> for BodyVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bytes, or a base64 string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Bytes, E> {
        STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(|err| E::custom(format!("body is not valid base64: {err}")))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Bytes, E> {
        Ok(Bytes::copy_from_slice(bytes))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Bytes, E> {
        Ok(Bytes::from(bytes))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Bytes, E> {
        Ok(Bytes::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Bytes, E> {
        Ok(Bytes::new())
    }
}

/// For optional fields: absent and nil/null both read as the type's default.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
