//! Written once and run for every codec, as the protocol demands of each of them.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};

use super::*;
use crate::event::TriggerInfo;

fn every_message() -> Vec<Message> {
    let body: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    vec![
        Message::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            token: "abc123".into(),
            runtime: "python".into(),
            runtime_version: "3.11.7".into(),
            pid: 4242,
            concurrency: 1,
        }),
        Message::Ready,
        Message::InitError(InitError {
            message: "ModuleNotFoundError: No module named 'main'".into(),
            detail: Some("Traceback ...\n  line 1".into()),
        }),
        Message::Event(Event {
            id: 1 << 40,
            trigger: TriggerInfo {
                kind: "http".into(),
                name: "web".into(),
            },
            method: "POST".into(),
            path: "/a/b".into(),
            url: "/a/b?x=1".into(),
            query: BTreeMap::from([("x".into(), "1".into())]),
            headers: BTreeMap::from([("x-émoji".into(), "✓ ok".into())]),
            content_type: "application/octet-stream".into(),
            body: Bytes::from(body.clone()),
            timestamp: 1_700_000_000_000,
            deadline: 1_700_000_005_000,
        }),
        Message::Response(Response {
            id: 7,
            status: 201,
            headers: BTreeMap::from([("x-a".into(), "b".into())]),
            content_type: "text/plain".into(),
            body: Bytes::from_static(b"line one\nline two\0"),
            error: None,
        }),
        Message::Response(Response {
            id: 8,
            status: 500,
            headers: BTreeMap::new(),
            content_type: String::new(),
            body: Bytes::new(),
            error: Some("ValueError: boom".into()),
        }),
        Message::Log(Log {
            id: Some(3),
            level: "warn".into(),
            message: "careful".into(),
            fields: BTreeMap::from([("n".into(), serde_json::json!(5))]),
        }),
        Message::Log(Log {
            id: None,
            level: "info".into(),
            message: String::new(),
            fields: BTreeMap::new(),
        }),
        Message::Metric(Metric {
            name: "hits".into(),
            value: 1.5,
            labels: BTreeMap::new(),
        }),
        Message::Ping(Ping { nonce: 9 }),
        Message::Pong(Ping { nonce: 9 }),
        Message::Shutdown,
    ]
}

fn encode_all(kind: CodecKind, messages: &[Message]) -> BytesMut {
    let mut codec = WireCodec::new(kind);
    let mut buf = BytesMut::new();
    for message in messages {
        codec.encode(message, &mut buf).unwrap();
    }
    buf
}

#[test]
fn every_message_round_trips_in_one_buffer() {
    for kind in CodecKind::ALL {
        let messages = every_message();
        let mut buf = encode_all(kind, &messages);
        let mut codec = WireCodec::new(kind);
        for want in &messages {
            let got = codec.decode(&mut buf).unwrap().expect("a whole message");
            assert_eq!(&got, want, "{kind:?}");
        }
        assert!(buf.is_empty());
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }
}

#[test]
fn encode_event_matches_encode() {
    for kind in CodecKind::ALL {
        let Message::Event(event) = every_message().swap_remove(3) else {
            panic!("fixture order changed")
        };
        let mut by_ref = BytesMut::new();
        WireCodec::new(kind)
            .encode_event(&event, &mut by_ref)
            .unwrap();
        let by_message = encode_all(kind, &[Message::Event(event)]);
        assert_eq!(by_ref, by_message, "{kind:?}");
    }
}

#[test]
fn json_event_with_spliced_body_is_the_derived_json() {
    for body in [
        Vec::new(),
        b"x".to_vec(),
        (0..=255).cycle().take(70_000).collect(),
    ] {
        let Message::Event(mut event) = every_message().swap_remove(3) else {
            panic!("fixture order changed")
        };
        event.body = Bytes::from(body);
        let mut line = BytesMut::new();
        WireCodec::new(CodecKind::Json)
            .encode_event(&event, &mut line)
            .unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        let spliced: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let mut derived = serde_json::to_value(&event).unwrap();
        derived["kind"] = "event".into();
        assert_eq!(spliced, derived);
    }
}

#[test]
fn a_message_arriving_byte_by_byte_is_not_an_error() {
    for kind in CodecKind::ALL {
        let messages = every_message();
        let whole = encode_all(kind, &messages);
        let mut codec = WireCodec::new(kind);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        // Feed in uneven slices so frames split at every kind of boundary.
        for chunk in whole.chunks(997) {
            buf.extend_from_slice(chunk);
            while let Some(message) = codec.decode(&mut buf).unwrap() {
                got.push(message);
            }
        }
        assert_eq!(got, messages, "{kind:?}");
    }
}

#[test]
fn truncated_streams_are_errors_at_eof_only() {
    for kind in CodecKind::ALL {
        let whole = encode_all(kind, &[Message::Ping(Ping { nonce: 1 })]);
        for cut in 1..whole.len() {
            let mut buf = BytesMut::from(&whole[..cut]);
            let mut codec = WireCodec::new(kind);
            assert_eq!(
                codec.decode(&mut buf).unwrap(),
                None,
                "{kind:?} cut at {cut}"
            );
            assert!(
                matches!(codec.decode_eof(&mut buf), Err(CodecError::Truncated(_))),
                "{kind:?} cut at {cut}"
            );
        }
    }
}

#[test]
fn golden_encodings() {
    let ping = [Message::Ping(Ping { nonce: 7 })];
    let mut want = vec![0, 0, 0, 9, 8, 0x81, 0xa5];
    want.extend_from_slice(b"nonce");
    want.push(7);
    assert_eq!(&encode_all(CodecKind::Msgpack, &ping)[..], &want[..]);
    assert_eq!(
        &encode_all(CodecKind::Json, &ping)[..],
        b"{\"kind\":\"ping\",\"nonce\":7}\n"
    );
    assert_eq!(
        &encode_all(CodecKind::Msgpack, &[Message::Ready])[..],
        &[0, 0, 0, 2, 2, 0x80]
    );
    assert_eq!(
        &encode_all(CodecKind::Json, &[Message::Ready])[..],
        b"{\"kind\":\"ready\"}\n"
    );
    let response = [Message::Response(Response {
        id: 1,
        status: 200,
        headers: BTreeMap::new(),
        content_type: String::new(),
        body: Bytes::from_static(b"hi"),
        error: None,
    })];
    let json = encode_all(CodecKind::Json, &response);
    assert!(
        std::str::from_utf8(&json)
            .unwrap()
            .contains("\"body\":\"aGk=\""),
        "JSON bodies are base64"
    );
}

#[test]
fn json_kind_is_read_wherever_it_stands() {
    for line in [
        &b"{\"kind\":\"pong\",\"nonce\":3}\n"[..],
        b"{\"nonce\":3,\"kind\":\"pong\"}\n",
        b"{ \"kind\" : \"pong\", \"nonce\":3}\n",
        b"{\"kind\":\"p\\u006fng\",\"nonce\":3}\n",
    ] {
        let mut buf = BytesMut::from(line);
        let got = WireCodec::new(CodecKind::Json).decode(&mut buf).unwrap();
        assert_eq!(
            got,
            Some(Message::Pong(Ping { nonce: 3 })),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let mut buf = BytesMut::from(&b"{\"kind\":\"pong\",\"nonce\":3,\"future\":[1,2]}\n"[..]);
    let got = WireCodec::new(CodecKind::Json).decode(&mut buf).unwrap();
    assert_eq!(got, Some(Message::Pong(Ping { nonce: 3 })));
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    let msgpack_cases: Vec<Vec<u8>> = vec![
        vec![0, 0, 0, 0],                         // zero length
        vec![0, 0, 0, 1, 99],                     // unknown kind
        vec![0, 0, 0, 2, 8, 0xc1],                // 0xc1 is never used in MessagePack
        vec![0, 0, 0, 3, 4, 0x81, 0xa0],          // event missing its fields
        vec![0xff, 0xff, 0xff, 0xff, 1],          // over the frame limit
        vec![0, 0, 0, 5, 5, 0x92, 0xa1, b'x', 2], // response whose id is text
    ];
    for case in msgpack_cases {
        let mut buf = BytesMut::from(&case[..]);
        assert!(
            WireCodec::new(CodecKind::Msgpack).decode(&mut buf).is_err(),
            "{case:?}"
        );
    }
    let json_cases: &[&[u8]] = &[
        b"\n",
        b"not json\n",
        b"{\"kind\":\"teleport\"}\n",
        b"{\"nonce\":1}\n",
        b"{\"kind\":\"response\",\"id\":1,\"status\":200,\"body\":\"***\"}\n",
        b"[1,2]\n",
    ];
    for case in json_cases {
        let mut buf = BytesMut::from(*case);
        assert!(
            WireCodec::new(CodecKind::Json).decode(&mut buf).is_err(),
            "{}",
            String::from_utf8_lossy(case)
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    // A small deterministic generator: the point is breadth, not cryptographic quality.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for kind in CodecKind::ALL {
        for _ in 0..2000 {
            let len = (next() % 64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if kind != CodecKind::Json && len >= 4 {
                bytes[..4].copy_from_slice(&((len as u32).saturating_sub(4)).to_be_bytes());
            }
            let mut buf = BytesMut::from(&bytes[..]);
            let mut codec = WireCodec::new(kind);
            while let Ok(Some(_)) = codec.decode(&mut buf) {}
        }
    }
}

#[test]
fn nil_optional_fields_read_as_empty() {
    let mut buf = BytesMut::from(
        &b"{\"kind\":\"response\",\"id\":1,\"status\":200,\"headers\":null,\"content_type\":null,\"body\":null}\n"[..],
    );
    let Some(Message::Response(response)) =
        WireCodec::new(CodecKind::Json).decode(&mut buf).unwrap()
    else {
        panic!("a response")
    };
    assert!(
        response.headers.is_empty() && response.content_type.is_empty() && response.body.is_empty()
    );

    // {"id": 1, "status": 200, "headers": nil, "body": nil} in MessagePack.
    let mut payload = vec![0x84, 0xa2, b'i', b'd', 1, 0xa6];
    payload.extend_from_slice(b"status");
    payload.extend_from_slice(&[0xcc, 200, 0xa7]);
    payload.extend_from_slice(b"headers");
    payload.extend_from_slice(&[0xc0, 0xa4]);
    payload.extend_from_slice(b"body");
    payload.push(0xc0);
    let mut frame = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
    frame.push(MessageKind::Response as u8);
    frame.extend_from_slice(&payload);
    let mut buf = BytesMut::from(&frame[..]);
    let Some(Message::Response(response)) =
        WireCodec::new(CodecKind::Msgpack).decode(&mut buf).unwrap()
    else {
        panic!("a response")
    };
    assert_eq!(response.status, 200);
    assert!(response.headers.is_empty() && response.body.is_empty());
}

#[test]
fn flatbuffers_bodies_are_slices_of_the_received_frame() {
    let body: Bytes = (0..=255u8)
        .cycle()
        .take(1 << 20)
        .collect::<Vec<u8>>()
        .into();
    let Message::Event(mut event) = every_message().swap_remove(3) else {
        panic!("fixture order changed")
    };
    event.body = body.clone();
    let response = Response {
        id: 7,
        status: 200,
        headers: BTreeMap::new(),
        content_type: String::new(),
        body: body.clone(),
        error: None,
    };
    for message in [Message::Event(event), Message::Response(response)] {
        let mut buf = encode_all(CodecKind::Flatbuffers, std::slice::from_ref(&message));
        let frame = buf.as_ptr_range();
        let got = WireCodec::new(CodecKind::Flatbuffers)
            .decode(&mut buf)
            .unwrap()
            .expect("a whole message");
        let (Message::Event(Event { body: got, .. })
        | Message::Response(Response { body: got, .. })) = got
        else {
            panic!("{:?} decoded as another kind", message.kind())
        };
        assert!(got == body, "{:?}: the body differs", message.kind());
        let inside = got.as_ptr_range();
        assert!(
            frame.start <= inside.start && inside.end <= frame.end,
            "{:?}: the body was copied out of the frame",
            message.kind()
        );
    }
}

/// A flatbuffers frame around `buffer`, as it comes off the wire.
fn fb_frame(buffer: &[u8]) -> BytesMut {
    let mut frame = BytesMut::from(&(buffer.len() as u32).to_be_bytes()[..]);
    frame.extend_from_slice(buffer);
    frame
}

fn fb_decode(buffer: &[u8]) -> Result<Option<Message>, CodecError> {
    WireCodec::new(CodecKind::Flatbuffers).decode(&mut fb_frame(buffer))
}

/// The FlatBuffers buffer (no length prefix) of `message`.
fn fb_buffer(message: &Message) -> Vec<u8> {
    encode_all(CodecKind::Flatbuffers, std::slice::from_ref(message))[4..].to_vec()
}

/// Asserts `result` is a `Malformed` error whose account contains `says`.
#[track_caller]
fn assert_malformed(result: Result<Option<Message>, CodecError>, says: &str) {
    match result {
        Err(err @ CodecError::Malformed { .. }) => assert!(
            err.to_string().contains(says),
            "{err} does not say {says:?}"
        ),
        other => panic!("not a Malformed error but {other:?}"),
    }
}

fn small_response() -> Message {
    Message::Response(Response {
        id: 7,
        status: 200,
        headers: BTreeMap::from([("x-a".into(), "b".into())]),
        content_type: "text/plain".into(),
        body: Bytes::from_static(b"some body bytes"),
        error: None,
    })
}

#[test]
fn flatbuffers_truncated_buffers_are_malformed() {
    // Cut short with a length prefix that agrees, so the frame is whole but its buffer
    // ends early: every cut must be refused, whichever field it lands in.
    let whole = fb_buffer(&small_response());
    for cut in 1..whole.len() {
        let result = fb_decode(&whole[..cut]);
        assert!(
            matches!(result, Err(CodecError::Malformed { .. })),
            "cut at {cut} of {}: {result:?}",
            whole.len()
        );
    }
    assert_malformed(fb_decode(&whole[..7]), "too short");
    assert_eq!(fb_decode(&whole).unwrap(), Some(small_response()));
}

#[test]
fn flatbuffers_wrong_identifier_is_malformed() {
    let mut buffer = fb_buffer(&small_response());
    buffer[4..8].copy_from_slice(b"FRT2");
    assert_malformed(
        fb_decode(&buffer),
        "file identifier is \"FRT2\", not \"FRT1\"",
    );
}

#[test]
fn flatbuffers_corrupted_offsets_are_malformed() {
    let whole = fb_buffer(&small_response());
    let len = whole.len() as u32;

    // The root offset, past the end and then unaligned.
    let mut buffer = whole.clone();
    buffer[..4].copy_from_slice(&(len + 64).to_le_bytes());
    assert_malformed(fb_decode(&buffer), "the verifier refused it");
    buffer[..4]
        .copy_from_slice(&(u32::from_le_bytes(whole[..4].try_into().unwrap()) + 1).to_le_bytes());
    assert_malformed(fb_decode(&buffer), "the verifier refused it");

    // The root table's offset to its vtable, pointing outside the buffer.
    let root = u32::from_le_bytes(whole[..4].try_into().unwrap()) as usize;
    let mut buffer = whole.clone();
    buffer[root..root + 4].copy_from_slice(&i32::MIN.to_le_bytes());
    assert_malformed(fb_decode(&buffer), "the verifier refused it");

    // The body vector's length, claiming more bytes than the buffer holds: found from
    // where the decoded body lies in the frame.
    let mut frame = fb_frame(&whole);
    let start = frame.as_ptr() as usize + 4;
    let Some(Message::Response(response)) = WireCodec::new(CodecKind::Flatbuffers)
        .decode(&mut frame)
        .unwrap()
    else {
        panic!("a response")
    };
    let body_at = response.body.as_ptr() as usize - start;
    let mut buffer = whole.clone();
    buffer[body_at - 4..body_at].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    assert_malformed(fb_decode(&buffer), "out of bounds");

    // A string that is not UTF-8: the content type's first byte.
    let mut buffer = whole.clone();
    let at = buffer.windows(10).position(|w| w == b"text/plain").unwrap();
    buffer[at] = 0xff;
    assert_malformed(fb_decode(&buffer), "Utf8");
}

/// A response whose headers are `count` references to one and the same pair, whose value
/// is `value_len` bytes long: small on the wire, huge once expanded.
fn fb_shared_pair_bomb(count: usize, value_len: usize) -> Vec<u8> {
    use ferrite_wire as wire;
    let mut fbb = wire::flatbuffers::FlatBufferBuilder::new();
    let key = fbb.create_string("k");
    let value = fbb.create_string(&"v".repeat(value_len));
    let pair = wire::Pair::create(
        &mut fbb,
        &wire::PairArgs {
            key: Some(key),
            value: Some(value),
        },
    );
    let headers = fbb.create_vector(&vec![pair; count]);
    let response = wire::Response::create(
        &mut fbb,
        &wire::ResponseArgs {
            id: 1,
            status: 200,
            headers: Some(headers),
            ..Default::default()
        },
    );
    let frame = wire::Frame::create(
        &mut fbb,
        &wire::FrameArgs {
            message_type: wire::Message::Response,
            message: Some(response.as_union_value()),
        },
    );
    wire::finish_frame_buffer(&mut fbb, frame);
    fbb.finished_data().to_vec()
}

#[test]
fn flatbuffers_bombs_are_malformed() {
    // wire.fbs has no recursive table, so no buffer the verifier walks by the schema can
    // nest deeper than Frame > Event > Trigger; the bombs it can carry are shared
    // references, which the verifier counts as often as they are reached.
    assert!(matches!(
        fb_decode(&fb_shared_pair_bomb(3, 8)),
        Ok(Some(Message::Response(_)))
    ));
    // 1,000,001 tables (4 MB on the wire) is one over the limit.
    assert_malformed(
        fb_decode(&fb_shared_pair_bomb(1_000_000, 1)),
        "the verifier refused it",
    );
    // 600,000 references to a 4 KiB string: 2.4 GB expanded, from 2.4 MB.
    assert_malformed(
        fb_decode(&fb_shared_pair_bomb(600_000, 4096)),
        "the verifier refused it",
    );
}

#[test]
fn flatbuffers_kinds_and_values_the_codec_cannot_take() {
    use ferrite_wire as wire;
    let frame_of = |message_type: wire::Message, with_table: bool| {
        let mut fbb = wire::flatbuffers::FlatBufferBuilder::new();
        let ping = wire::Ping::create(&mut fbb, &wire::PingArgs { nonce: 1 });
        let frame = wire::Frame::create(
            &mut fbb,
            &wire::FrameArgs {
                message_type,
                message: with_table.then(|| ping.as_union_value()),
            },
        );
        wire::finish_frame_buffer(&mut fbb, frame);
        fbb.finished_data().to_vec()
    };
    assert!(matches!(
        fb_decode(&frame_of(wire::Message(11), true)),
        Err(CodecError::UnknownKind(code)) if code == "11"
    ));
    assert!(matches!(
        fb_decode(&frame_of(wire::Message::NONE, false)),
        Err(CodecError::UnknownKind(code)) if code == "0"
    ));
    assert_malformed(
        fb_decode(&frame_of(wire::Message::Ping, false)),
        "the verifier refused it",
    );
    assert_eq!(
        fb_decode(&frame_of(wire::Message::Ping, true)).unwrap(),
        Some(Message::Ping(Ping { nonce: 1 }))
    );

    let mut fbb = wire::flatbuffers::FlatBufferBuilder::new();
    let response = wire::Response::create(
        &mut fbb,
        &wire::ResponseArgs {
            status: 70_000,
            ..Default::default()
        },
    );
    let frame = wire::Frame::create(
        &mut fbb,
        &wire::FrameArgs {
            message_type: wire::Message::Response,
            message: Some(response.as_union_value()),
        },
    );
    wire::finish_frame_buffer(&mut fbb, frame);
    assert_malformed(
        fb_decode(fbb.finished_data()),
        "status 70000 is not an HTTP status",
    );

    for fields in ["not json", "[1, 2]"] {
        let mut fbb = wire::flatbuffers::FlatBufferBuilder::new();
        let fields_json = fbb.create_string(fields);
        let log = wire::Log::create(
            &mut fbb,
            &wire::LogArgs {
                fields_json: Some(fields_json),
                ..Default::default()
            },
        );
        let frame = wire::Frame::create(
            &mut fbb,
            &wire::FrameArgs {
                message_type: wire::Message::Log,
                message: Some(log.as_union_value()),
            },
        );
        wire::finish_frame_buffer(&mut fbb, frame);
        assert_malformed(
            fb_decode(fbb.finished_data()),
            "fields_json is not a JSON object",
        );
    }
}

#[test]
fn flatbuffers_golden_vectors_with_flipped_bytes_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/testdata");
    let mut vectors: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("the golden vectors in {} are missing: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "fb"))
        .collect();
    vectors.sort();
    assert!(vectors.len() >= 10, "only {} .fb vectors", vectors.len());
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut refused, mut read) = (0, 0);
    for path in &vectors {
        let original = std::fs::read(path).unwrap();
        // Fewer rounds on the 1 MiB vectors, whose copies dominate the time otherwise.
        let rounds = if original.len() > 64 << 10 { 20 } else { 200 };
        for round in 0..rounds {
            let mut buffer = original.clone();
            for _ in 0..1 + next() % 4 {
                // Half the flips among the first bytes, where the offsets and vtables of
                // small messages lie; the rest anywhere.
                let span = if next() % 2 == 0 {
                    buffer.len().min(256)
                } else {
                    buffer.len()
                };
                let at = (next() % span as u64) as usize;
                buffer[at] ^= 1 << (next() % 8);
            }
            let outcome = std::panic::catch_unwind(|| {
                let message = fb_decode(&buffer);
                if let Ok(Some(message)) = &message {
                    // Whatever reads must also write.
                    encode_all(CodecKind::Flatbuffers, std::slice::from_ref(message));
                }
                message.is_ok()
            });
            match outcome {
                Ok(true) => read += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("{} round {round} panicked", path.display()),
            }
        }
    }
    // Both outcomes occur, or the flips were not reaching what matters.
    println!("{refused} refused, {read} read");
    assert!(
        refused > 100 && read > 100,
        "{refused} refused, {read} read"
    );
}

#[test]
fn flatbuffers_large_frames_are_the_same_handed_over_or_copied() {
    let body: Bytes = (0..=255u8)
        .cycle()
        .take(300 << 10)
        .collect::<Vec<u8>>()
        .into();
    let Message::Event(mut event) = every_message().swap_remove(3) else {
        panic!("fixture order changed")
    };
    event.body = body;
    let message = Message::Event(event);
    let mut codec = WireCodec::new(CodecKind::Flatbuffers);
    // Into an empty buffer the builder's own buffer becomes the frame; after a frame
    // already there it is copied. Twice each, so the builder is rebuilt after a hand-over.
    let mut handed = Vec::new();
    for _ in 0..2 {
        let mut alone = BytesMut::new();
        codec.encode(&message, &mut alone).unwrap();
        handed.push(alone.freeze());
    }
    let mut batch = BytesMut::new();
    for _ in 0..2 {
        codec.encode(&Message::Ready, &mut batch).unwrap();
        codec.encode(&message, &mut batch).unwrap();
    }
    let ready = {
        let mut buf = BytesMut::new();
        codec.encode(&Message::Ready, &mut buf).unwrap();
        buf.len()
    };
    let copied = &batch[ready..ready + handed[0].len()];
    assert!(handed[0] == handed[1] && handed[0] == copied);
    assert_eq!(batch.len(), 2 * (ready + handed[0].len()));
    for mut frame in [BytesMut::from(&handed[0][..]), batch.split_off(ready)] {
        let got = codec.decode(&mut frame).unwrap().expect("a whole message");
        assert!(got == message);
    }
}
