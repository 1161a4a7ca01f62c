//! One ring's halves over a real segment, step by step: what fits, wrap-around, and the
//! sleep and ring decisions.
#![cfg(not(loom))]

use ferrite_ring::Endpoint;

/// The processor's and the wrapper's ends of a new segment with rings of `capacity`.
fn pair(capacity: usize) -> (Endpoint, Endpoint, tempfile::TempDir) {
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let path = dir.path().join("ring");
    let processor = ferrite_ring::create(&path, capacity).unwrap();
    let wrapper = ferrite_ring::open(&path).unwrap();
    (processor, wrapper, dir)
}

#[test]
fn a_write_takes_what_fits_and_a_read_what_is_there() {
    let (mut processor, mut wrapper, _dir) = pair(64);
    let (producer, consumer) = (&mut processor.producer, &mut wrapper.consumer);
    let bytes: Vec<u8> = (0..100).collect();

    assert_eq!(consumer.read(&mut [0; 10]), 0);
    assert_eq!(producer.write(&bytes), 64);
    assert_eq!(producer.free(), 0);
    assert_eq!(producer.write(&bytes[64..]), 0);
    assert_eq!(consumer.available(), 64);

    let mut out = vec![0; 100];
    assert_eq!(consumer.read(&mut out[..40]), 40);
    assert_eq!(producer.free(), 40);
    // The rest of the frame wraps around the ring's end.
    assert_eq!(producer.write(&bytes[64..]), 36);
    assert_eq!(consumer.read(&mut out[40..]), 60);
    assert_eq!(out, bytes);
    assert_eq!(consumer.available(), 0);
    assert_eq!(producer.free(), 64);
}

#[test]
fn many_laps_keep_the_bytes_in_order() {
    let (mut processor, mut wrapper, _dir) = pair(64);
    let bytes: Vec<u8> = (0..=255).cycle().take(64 * 50 + 7).collect();
    let mut out = Vec::new();
    let mut written = 0;
    let mut buf = [0; 23];
    while out.len() < bytes.len() {
        written += processor
            .producer
            .write(&bytes[written..(written + 37).min(bytes.len())]);
        let n = wrapper.consumer.read(&mut buf);
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, bytes);
}

#[test]
fn a_reader_that_sleeps_is_rung_once() {
    let (mut processor, mut wrapper, _dir) = pair(64);
    let (producer, consumer) = (&mut processor.producer, &mut wrapper.consumer);

    // An awake reader needs no ring.
    producer.write(b"a");
    assert!(!producer.needs_ring());
    assert_eq!(consumer.read(&mut [0; 8]), 1);

    assert!(consumer.prepare_to_sleep(), "empty: may sleep");
    producer.write(b"b");
    assert!(producer.needs_ring());
    producer.write(b"c");
    assert!(!producer.needs_ring(), "one ring per sleep");
    consumer.cancel_sleep();
    assert_eq!(consumer.read(&mut [0; 8]), 2);

    // A second sleep is rung again.
    assert!(consumer.prepare_to_sleep());
    producer.write(b"d");
    assert!(producer.needs_ring());
    consumer.cancel_sleep();

    // Bytes already there: the reader does not sleep, and nobody rings.
    assert!(!consumer.prepare_to_sleep());
    assert!(!producer.needs_ring());
}

#[test]
fn a_writer_that_sleeps_for_space_is_rung_once() {
    let (mut processor, mut wrapper, _dir) = pair(64);
    let (producer, consumer) = (&mut processor.producer, &mut wrapper.consumer);

    assert!(!producer.prepare_to_sleep(), "space: no sleep");
    assert!(!consumer.needs_ring());

    assert_eq!(producer.write(&[7; 100]), 64);
    assert!(producer.prepare_to_sleep(), "full: may sleep");
    assert_eq!(consumer.read(&mut [0; 10]), 10);
    assert!(consumer.needs_ring());
    assert_eq!(consumer.read(&mut [0; 10]), 10);
    assert!(!consumer.needs_ring(), "one ring per sleep");
    producer.cancel_sleep();
    assert_eq!(producer.write(&[7; 100]), 20);
}
