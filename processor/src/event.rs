//! The common event every trigger produces and the response it gets back. These are also
//! the payloads of the wire protocol's `event` and `response` messages
//! (`schemas/PROTOCOL.md`), so a trigger's event goes to a worker without conversion.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Which trigger an event came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TriggerInfo {
    /// The trigger kind, e.g. `http`.
    #[serde(default)]
    pub kind: String,
    /// The trigger's name in the spec.
    #[serde(default)]
    pub name: String,
}

/// One event for a handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique within this processor's life.
    pub id: u64,
    /// Where the event came from.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub trigger: TriggerInfo,
    /// HTTP method (or the trigger's equivalent).
    pub method: String,
    /// URL path.
    pub path: String,
    /// Path plus query, as requested.
    pub url: String,
    /// Query parameters, percent-decoded; the first value of a repeated name.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub query: BTreeMap<String, String>,
    /// Headers with lower-case names; repeated headers joined with `, `.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub headers: BTreeMap<String, String>,
    /// The `content-type` header, or empty.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub content_type: String,
    /// The payload.
    #[serde(default, with = "crate::codec::body")]
    pub body: Bytes,
    /// Milliseconds since the Unix epoch when the trigger received it.
    #[serde(default)]
    pub timestamp: u64,
    /// Milliseconds since the Unix epoch after which the processor gives up; 0 for none.
    #[serde(default)]
    pub deadline: u64,
}

/// A handler's answer to one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The id of the event answered.
    pub id: u64,
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub headers: BTreeMap<String, String>,
    /// Content type; empty means the processor's default.
    #[serde(default, deserialize_with = "crate::codec::body::null_as_default")]
    pub content_type: String,
    /// The body.
    #[serde(default, with = "crate::codec::body")]
    pub body: Bytes,
    /// The handler's exception message, when it raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
