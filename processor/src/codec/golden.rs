//! The golden wire vectors of `schemas/testdata` (its README says what to do with them),
//! run through every codec: each vector decodes to the message its `.json` describes, and
//! that message encodes and decodes back to the same.
//!
//! The expected side is read from the `.json` text by [`canonical`], with the README's
//! defaults filled in, apart from any codec; the side under test is the decoded
//! [`Message`] serialized by its own derives and put in the same form.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::BytesMut;
use serde_json::{json, Map, Value};

use super::*;

/// What a field the JSON lacks (or holds as null) stands for.
#[derive(Clone, Copy)]
enum Field {
    Text,
    Map,
    Body,
    Uint,
    Float,
    /// `detail`, `error`, a log's `id`: absent stays absent.
    Optional,
    Trigger,
    /// A log's `fields`: any JSON values.
    Fields,
}

/// Every message kind's fields (`schemas/PROTOCOL.md` §4).
fn fields(kind: &str) -> &'static [(&'static str, Field)] {
    use Field::*;
    match kind {
        "hello" => &[
            ("protocol", Uint),
            ("token", Text),
            ("runtime", Text),
            ("runtime_version", Text),
            ("pid", Uint),
            ("concurrency", Uint),
        ],
        "ready" | "shutdown" => &[],
        "init_error" => &[("message", Text), ("detail", Optional)],
        "event" => &[
            ("id", Uint),
            ("trigger", Trigger),
            ("method", Text),
            ("path", Text),
            ("url", Text),
            ("query", Map),
            ("headers", Map),
            ("content_type", Text),
            ("body", Body),
            ("timestamp", Uint),
            ("deadline", Uint),
        ],
        "response" => &[
            ("id", Uint),
            ("status", Uint),
            ("headers", Map),
            ("content_type", Text),
            ("body", Body),
            ("error", Optional),
        ],
        "log" => &[
            ("id", Optional),
            ("level", Text),
            ("message", Text),
            ("fields", Fields),
        ],
        "metric" => &[("name", Text), ("value", Float), ("labels", Map)],
        "ping" | "pong" => &[("nonce", Uint)],
        other => panic!("no message kind {other:?}"),
    }
}

/// `message` (a JSON object with its `kind`) with every field present: defaults filled
/// in, bodies in canonical base64, numbers of float fields as floats. Unknown fields are
/// an error, so neither side can carry one the comparison ignores.
fn canonical(message: &Value) -> Value {
    let object = message.as_object().expect("a message is a JSON object");
    let kind = object["kind"].as_str().expect("a kind");
    let fields = fields(kind);
    for key in object.keys() {
        assert!(
            key == "kind" || fields.iter().any(|(name, _)| name == key),
            "{kind} has no field {key:?}"
        );
    }
    let mut out = Map::new();
    out.insert("kind".into(), kind.into());
    for &(name, field) in fields {
        let value = object.get(name).filter(|value| !value.is_null());
        let value = match (field, value) {
            (Field::Text, None) => json!(""),
            (Field::Map | Field::Fields, None) => json!({}),
            (Field::Body, None) => json!(""),
            (Field::Body, Some(text)) => {
                let bytes = STANDARD
                    .decode(text.as_str().expect("a body is base64 text"))
                    .expect("valid base64");
                json!(STANDARD.encode(bytes))
            }
            (Field::Uint, None) => json!(0),
            (Field::Float, value) => json!(value.and_then(Value::as_f64).unwrap_or(0.0)),
            (Field::Optional, None) => Value::Null,
            (Field::Trigger, value) => {
                let trigger = value.and_then(Value::as_object);
                let text = |key: &str| {
                    trigger
                        .and_then(|t| t.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                json!({ "kind": text("kind"), "name": text("name") })
            }
            (_, Some(value)) => value.clone(),
        };
        out.insert(name.into(), value);
    }
    Value::Object(out)
}

/// A decoded message in the JSON form [`canonical`] takes.
fn as_json(message: &Message) -> Value {
    let payload = match message {
        Message::Hello(p) => serde_json::to_value(p),
        Message::Ready | Message::Shutdown => Ok(json!({})),
        Message::InitError(p) => serde_json::to_value(p),
        Message::Event(p) => serde_json::to_value(p),
        Message::Response(p) => serde_json::to_value(p),
        Message::Log(p) => serde_json::to_value(p),
        Message::Metric(p) => serde_json::to_value(p),
        Message::Ping(p) | Message::Pong(p) => serde_json::to_value(p),
    };
    let mut payload = payload.expect("every message serializes");
    payload["kind"] = message.kind().name().into();
    canonical(&payload)
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/testdata")
}

/// Every vector's name, with its `.json` parsed. Fails, not skips, without the vectors.
fn vectors() -> Vec<(String, Value)> {
    let dir = testdata();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("the golden vectors in {} are missing: {err}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|file| file.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    // The README's list covers each of the ten kinds at least once.
    assert!(
        names.len() >= 10,
        "only {} vectors in {}",
        names.len(),
        dir.display()
    );
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read(dir.join(format!("{name}.json"))).unwrap();
            let json = serde_json::from_slice(&text)
                .unwrap_or_else(|err| panic!("{name}.json is not JSON: {err}"));
            (name, json)
        })
        .collect()
}

/// The vector `name` in `codec`'s form, framed as it travels on the wire.
fn framed(codec: CodecKind, name: &str) -> BytesMut {
    let extension = match codec {
        CodecKind::Json => "json",
        CodecKind::Msgpack => "msgpack",
        CodecKind::Flatbuffers => "fb",
    };
    let path = testdata().join(format!("{name}.{extension}"));
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut frame = BytesMut::new();
    match codec {
        // The json vector is the whole line, newline included.
        CodecKind::Json => {}
        CodecKind::Msgpack | CodecKind::Flatbuffers => {
            frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes())
        }
    }
    frame.extend_from_slice(&bytes);
    frame
}

/// The one message in `frame`, which must hold exactly one.
fn decode_one(codec: CodecKind, mut frame: BytesMut, what: &str) -> Message {
    let message = WireCodec::new(codec)
        .decode(&mut frame)
        .unwrap_or_else(|err| panic!("{what}: {err}"))
        .unwrap_or_else(|| panic!("{what}: not a whole frame"));
    assert!(frame.is_empty(), "{what}: {} bytes left over", frame.len());
    message
}

/// Asserts the two canonical forms equal, naming the fields that differ (shortened, as
/// bodies run to megabytes).
fn same(got: &Value, want: &Value, what: &str) {
    if got == want {
        return;
    }
    let short = |value: Option<&Value>| {
        let text = value.map_or("(absent)".to_owned(), Value::to_string);
        text.chars().take(120).collect::<String>()
    };
    let differing: Vec<String> = want
        .as_object()
        .unwrap()
        .keys()
        .chain(got.as_object().unwrap().keys())
        .filter(|key| got.get(key) != want.get(key))
        .map(|key| {
            format!(
                "{key}: got {}, want {}",
                short(got.get(key)),
                short(want.get(key))
            )
        })
        .collect();
    panic!("{what} differs: {}", differing.join("; "));
}

#[test]
fn every_golden_vector_decodes_to_its_json() {
    for codec in CodecKind::ALL {
        for (name, json) in vectors() {
            let what = format!("{name} ({})", codec.name());
            let message = decode_one(codec, framed(codec, &name), &what);
            same(&as_json(&message), &canonical(&json), &what);
        }
    }
}

#[test]
fn every_golden_message_encodes_and_decodes_back() {
    for (name, json) in vectors() {
        let message = decode_one(CodecKind::Json, framed(CodecKind::Json, &name), &name);
        for codec in CodecKind::ALL {
            let what = format!("{name} re-encoded ({})", codec.name());
            let mut bytes = BytesMut::new();
            WireCodec::new(codec)
                .encode(&message, &mut bytes)
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let back = decode_one(codec, bytes, &what);
            same(&as_json(&back), &canonical(&json), &what);
        }
    }
}

#[test]
fn the_canonical_form_tells_messages_apart() {
    // The comparison above is only as good as this: defaults stand for absent fields,
    // and anything else that differs makes the forms differ.
    let base = json!({"kind": "response", "id": 1, "status": 200});
    assert_eq!(
        canonical(&base),
        canonical(
            &json!({"kind": "response", "id": 1, "status": 200, "headers": {},
            "content_type": "", "body": "", "error": null})
        )
    );
    for other in [
        json!({"kind": "response", "id": 1, "status": 201}),
        json!({"kind": "response", "id": 1, "status": 200, "body": "AA=="}),
        json!({"kind": "response", "id": 1, "status": 200, "error": ""}),
        json!({"kind": "response", "id": 1, "status": 200, "headers": {"a": ""}}),
    ] {
        assert_ne!(canonical(&base), canonical(&other), "{other}");
    }
}
