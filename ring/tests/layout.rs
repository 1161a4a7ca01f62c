//! The Rust constants and a real segment's bytes against `schemas/shm-layout.json`, the
//! layout every language's tests check, so that no implementation is the reference by
//! accident.
#![cfg(not(loom))]

use ferrite_ring::layout;
use serde_json::Value;

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/shm-layout.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn number(value: &Value, pointer: &str) -> usize {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("shm-layout.json has no number at {pointer}")) as usize
}

#[test]
fn the_constants_are_the_golden_ones() {
    let golden = golden();
    let expect = [
        ("/magic", layout::MAGIC as usize),
        ("/version", layout::VERSION as usize),
        ("/line", layout::LINE),
        ("/segment/magic/offset", layout::MAGIC_OFFSET),
        ("/segment/version/offset", layout::VERSION_OFFSET),
        ("/segment/capacity/offset", layout::CAPACITY_OFFSET),
        ("/segment/attached/offset", layout::ATTACHED_OFFSET),
        ("/rings/to_wrapper/index", layout::TO_WRAPPER),
        ("/rings/to_processor/index", layout::TO_PROCESSOR),
        (
            "/rings/to_wrapper/control_offset",
            layout::RING_CONTROL_OFFSETS[layout::TO_WRAPPER],
        ),
        (
            "/rings/to_processor/control_offset",
            layout::RING_CONTROL_OFFSETS[layout::TO_PROCESSOR],
        ),
        ("/ring_control/tail/offset", layout::TAIL_OFFSET),
        (
            "/ring_control/producer_sleep/offset",
            layout::PRODUCER_SLEEP_OFFSET,
        ),
        ("/ring_control/head/offset", layout::HEAD_OFFSET),
        (
            "/ring_control/consumer_sleep/offset",
            layout::CONSUMER_SLEEP_OFFSET,
        ),
        ("/data_offset", layout::DATA_OFFSET),
        ("/capacity/min", layout::MIN_CAPACITY),
        ("/capacity/max", layout::MAX_CAPACITY),
    ];
    for (pointer, ours) in expect {
        assert_eq!(number(&golden, pointer), ours, "{pointer}");
    }
    assert_eq!(
        golden["magic_ascii"].as_str().unwrap().as_bytes(),
        layout::MAGIC.to_le_bytes()
    );
}

#[test]
fn a_segment_lies_in_its_file_as_the_golden_example_says() {
    let golden = golden();
    let example = &golden["example"];
    let capacity = number(example, "/capacity");
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let path = dir.path().join("ring");
    let mut processor = ferrite_ring::create(&path, capacity).unwrap();
    let mut wrapper = ferrite_ring::open(&path).unwrap();

    let bytes: Vec<u8> = (0..70).collect();
    assert_eq!(processor.producer.write(&bytes[..60]), 60);
    assert!(!processor.producer.needs_ring());
    let mut read = [0u8; 64];
    assert_eq!(wrapper.consumer.read(&mut read), 60);
    assert!(wrapper.consumer.prepare_to_sleep());
    assert_eq!(processor.producer.write(&bytes[60..]), 10);
    assert!(processor.producer.needs_ring());

    // Read the file, not the mapping: what another language's mapping would see.
    let file = std::fs::read(&path).unwrap();
    let word = |offset: usize, width: usize| {
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(&file[offset..offset + width]);
        u64::from_le_bytes(le) as usize
    };
    let field = |pointer: &str| {
        let offset = number(&golden, &format!("{pointer}/offset"));
        let width = match golden.pointer(&format!("{pointer}/type")).unwrap().as_str() {
            Some("u32") => 4,
            Some("u64") => 8,
            other => panic!("{pointer}: type {other:?}"),
        };
        (offset, width)
    };
    let segment_word = |name: &str| {
        let (offset, width) = field(&format!("/segment/{name}"));
        word(offset, width)
    };
    assert_eq!(segment_word("magic"), number(&golden, "/magic"));
    assert_eq!(segment_word("version"), number(&golden, "/version"));
    assert_eq!(segment_word("capacity"), capacity);
    assert_eq!(segment_word("attached"), number(example, "/attached"));
    for ring in ["to_wrapper", "to_processor"] {
        let control = number(&golden, &format!("/rings/{ring}/control_offset"));
        for name in ["tail", "head", "producer_sleep", "consumer_sleep"] {
            let (offset, width) = field(&format!("/ring_control/{name}"));
            assert_eq!(
                word(control + offset, width),
                number(example, &format!("/{ring}/{name}")),
                "{ring}.{name}"
            );
        }
    }
    let data = number(&golden, "/data_offset");
    let hex: String = file[data..data + capacity]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, example["to_wrapper_data_hex"].as_str().unwrap());
    assert_eq!(file.len(), data + 2 * capacity, "segment_len");
}
