//! Encode and decode of `event` and `response` in every codec, with bodies of 64 B,
//! 4 KiB and 1 MiB: the work the processor does per event on each side of the wire.
//!
//! Encoding appends to a buffer kept between iterations, with one codec, as a
//! connection's writer does. Decoding takes a frame off a fresh buffer holding exactly
//! it; making that buffer (a copy of the frame) is set-up, outside the time, and so is
//! dropping what was decoded, so a decoder that reads the body in place is not charged
//! for the copy it avoids.
//!
//! `cargo bench -p ferrite --bench codec`; `bench/criterion-table` turns the results
//! into `bench/results/codec-criterion.md`.

use std::collections::BTreeMap;
use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use ferrite::codec::{CodecKind, Message, WireCodec};
use ferrite::event::{Event, Response, TriggerInfo};

const BODY_SIZES: [(usize, &str); 3] = [(64, "64 B"), (4 << 10, "4 KiB"), (1 << 20, "1 MiB")];

fn body(len: usize) -> Bytes {
    (0..=255u8).cycle().take(len).collect::<Vec<u8>>().into()
}

/// An event as the HTTP trigger makes one from a typical request.
fn event(body: Bytes) -> Event {
    let headers = [
        ("host", "127.0.0.1:8080"),
        ("user-agent", "wrk"),
        ("accept", "*/*"),
        ("content-type", "application/octet-stream"),
        ("content-length", "65536"),
        ("x-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ];
    Event {
        id: 123_456,
        trigger: TriggerInfo {
            kind: "http".into(),
            name: "web".into(),
        },
        method: "POST".into(),
        path: "/orders".into(),
        url: "/orders?shop=7".into(),
        query: BTreeMap::from([("shop".into(), "7".into())]),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        content_type: "application/octet-stream".into(),
        body,
        timestamp: 1_733_500_000_000,
        deadline: 1_733_500_030_000,
    }
}

fn response(body: Bytes) -> Response {
    Response {
        id: 123_456,
        status: 200,
        headers: BTreeMap::from([("x-handled-by".into(), "python".into())]),
        content_type: "application/octet-stream".into(),
        body,
        error: None,
    }
}

fn encoded(codec: CodecKind, message: &Message) -> Bytes {
    let mut buf = BytesMut::new();
    WireCodec::new(codec).encode(message, &mut buf).unwrap();
    buf.freeze()
}

fn bench_message(c: &mut Criterion, name: &str, message: impl Fn(Bytes) -> Message) {
    let mut encode = c.benchmark_group(format!("encode {name}"));
    for (len, label) in BODY_SIZES {
        encode.throughput(Throughput::Bytes(len as u64));
        let message = message(body(len));
        for codec in CodecKind::ALL {
            let mut wire = WireCodec::new(codec);
            let mut buf = BytesMut::new();
            encode.bench_function(BenchmarkId::new(codec.name(), label), |b| {
                b.iter(|| {
                    buf.clear();
                    wire.encode(black_box(&message), &mut buf).unwrap();
                })
            });
        }
    }
    encode.finish();

    let mut decode = c.benchmark_group(format!("decode {name}"));
    for (len, label) in BODY_SIZES {
        decode.throughput(Throughput::Bytes(len as u64));
        let message = message(body(len));
        for codec in CodecKind::ALL {
            let frame = encoded(codec, &message);
            let mut wire = WireCodec::new(codec);
            decode.bench_function(BenchmarkId::new(codec.name(), label), |b| {
                b.iter_batched(
                    || BytesMut::from(&frame[..]),
                    |mut buf| {
                        let decoded = wire.decode(&mut buf).unwrap().unwrap();
                        (buf, decoded)
                    },
                    BatchSize::LargeInput,
                )
            });
            // What the benchmark decoded is what was encoded.
            let mut buf = BytesMut::from(&frame[..]);
            assert!(wire.decode(&mut buf).unwrap().as_ref() == Some(&message));
        }
    }
    decode.finish();
}

fn codecs(c: &mut Criterion) {
    bench_message(c, "event", |body| Message::Event(event(body)));
    bench_message(c, "response", |body| Message::Response(response(body)));
}

criterion_group!(benches, codecs);
criterion_main!(benches);
