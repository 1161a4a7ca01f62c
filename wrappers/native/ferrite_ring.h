/*
 * ferrite_ring: the shm transport's two byte rings in one mapped segment, in plain C11,
 * for the wrappers whose language has no atomics over a mapping of its own (Node.js
 * through a Node-API addon, Python through cffi).
 *
 * The same steps as the Rust crate `ferrite-ring` (`ring/src/shm.rs`, `segment.rs`),
 * function for function, on the layout of `schemas/PROTOCOL.md` section 2 ("shm") and
 * `schemas/shm-layout.json`. The rings only move bytes and say when to ring; blocking on
 * the doorbell socket is the caller's:
 *
 *   - after moving bytes (a batch is enough), and before blocking on anything, call
 *     `ferrite_ring_producer_needs_ring` / `ferrite_ring_consumer_needs_ring` and write one
 *     byte to the doorbell when it says so;
 *   - a side that can neither write nor read re-checks for a while, then calls
 *     `..._prepare_to_sleep` for what it waits on (both, when it waits on both); if any
 *     returns 1 it blocks reading its doorbell, and when woken calls `..._cancel_sleep`
 *     for each, and starts over. A 0 means what it waited for came meanwhile.
 *
 * One endpoint is one side's halves (the producer of the ring it writes, the consumer of
 * the one it reads); it is not thread-safe: use each half from one thread at a time.
 */
#ifndef FERRITE_RING_H
#define FERRITE_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The layout: every language's tests check these against schemas/shm-layout.json. */
#define FERRITE_RING_MAGIC 0x474E5246u /* the bytes "FRNG" read as a little-endian u32 */
#define FERRITE_RING_VERSION 1u
#define FERRITE_RING_MAGIC_OFFSET 0
#define FERRITE_RING_VERSION_OFFSET 4
#define FERRITE_RING_CAPACITY_OFFSET 8
#define FERRITE_RING_ATTACHED_OFFSET 16
#define FERRITE_RING_LINE 128
#define FERRITE_RING_TO_WRAPPER 0
#define FERRITE_RING_TO_PROCESSOR 1
/* A ring's control block is at LINE * (1 + 2 * ring): 128 and 384. */
#define FERRITE_RING_CONTROL_OFFSET(ring) (FERRITE_RING_LINE * (1 + 2 * (ring)))
#define FERRITE_RING_TAIL_OFFSET 0
#define FERRITE_RING_PRODUCER_SLEEP_OFFSET 8
#define FERRITE_RING_HEAD_OFFSET FERRITE_RING_LINE
#define FERRITE_RING_CONSUMER_SLEEP_OFFSET (FERRITE_RING_LINE + 8)
#define FERRITE_RING_DATA_OFFSET 4096
#define FERRITE_RING_MIN_CAPACITY 64ull
#define FERRITE_RING_MAX_CAPACITY (1ull << 30)
/* The doorbell: one byte on the unix socket beside the segment (a reader ignores its value). */
#define FERRITE_RING_DOORBELL_BYTE 1

/* Which end of a segment a process holds. */
typedef enum ferrite_ring_side {
  /* Creates the segment, writes `to_wrapper` and reads `to_processor`. */
  FERRITE_RING_PROCESSOR = 0,
  /* Opens the segment, writes `to_processor` and reads `to_wrapper`. */
  FERRITE_RING_WRAPPER = 1,
} ferrite_ring_side;

/* What `ferrite_ring_create` and `ferrite_ring_open` return; the message says more. */
typedef enum ferrite_ring_status {
  FERRITE_RING_OK = 0,
  /* The file could not be created, opened, sized or mapped (errno is kept). */
  FERRITE_RING_E_IO = 1,
  /* The capacity asked for is not a power of two from 64 B to 1 GiB. */
  FERRITE_RING_E_CAPACITY = 2,
  /* The file is not a segment of this layout version. */
  FERRITE_RING_E_LAYOUT = 3,
  /* A wrapper has already claimed the segment. */
  FERRITE_RING_E_ATTACHED = 4,
  /* Out of memory. */
  FERRITE_RING_E_NOMEM = 5,
} ferrite_ring_status;

typedef struct ferrite_ring_endpoint ferrite_ring_endpoint;

/* Whether `capacity` is one a segment may have. */
int ferrite_ring_is_valid_capacity(uint64_t capacity);

/* Size of a segment whose rings hold `capacity` bytes each. */
uint64_t ferrite_ring_segment_len(uint64_t capacity);

/*
 * Creates a segment at `path` (which must not exist; mode 0600) with two rings of
 * `capacity` bytes, and sets `*out` to the processor's end. On failure writes a message
 * into `err` (`err_len` bytes, may be 0) and returns why.
 */
ferrite_ring_status ferrite_ring_create(const char *path, uint64_t capacity,
                                        ferrite_ring_endpoint **out, char *err,
                                        size_t err_len);

/*
 * Opens the segment at `path` that a processor created: checks magic, version, capacity
 * and size, claims it (compare-and-swap of `attached` from 0 to 1), and sets `*out` to the
 * wrapper's end. Only one opener ever succeeds.
 */
ferrite_ring_status ferrite_ring_open(const char *path, ferrite_ring_endpoint **out,
                                      char *err, size_t err_len);

/* Unmaps the segment and frees the endpoint (NULL is fine). */
void ferrite_ring_close(ferrite_ring_endpoint *endpoint);

/* How many bytes each ring holds. */
uint64_t ferrite_ring_capacity(const ferrite_ring_endpoint *endpoint);

/* The writing half, of the ring this side writes. */

/* Bytes that can be written now, reading the consumer's `head` afresh. */
size_t ferrite_ring_producer_free(ferrite_ring_endpoint *endpoint);
/* Writes as much of `src` as fits and publishes it; returns how much that was. */
size_t ferrite_ring_producer_write(ferrite_ring_endpoint *endpoint, const void *src,
                                   size_t len);
/* 1 when the consumer sleeps and must be rung, after this half published bytes; at
 * most once per sleep. */
int ferrite_ring_producer_needs_ring(ferrite_ring_endpoint *endpoint);
/* Announces a sleep until the consumer frees space: 1 when the ring is still full (block
 * now), 0 when space came meanwhile (the announcement is withdrawn). */
int ferrite_ring_producer_prepare_to_sleep(ferrite_ring_endpoint *endpoint);
/* Ends an announced sleep: call it after waking, whatever woke this side. */
void ferrite_ring_producer_cancel_sleep(ferrite_ring_endpoint *endpoint);

/* The reading half, of the ring this side reads. */

/* Bytes that can be read now, reading the producer's `tail` afresh. */
size_t ferrite_ring_consumer_available(ferrite_ring_endpoint *endpoint);
/* Reads up to `len` buffered bytes into `dst` and releases their space; returns how
 * many. */
size_t ferrite_ring_consumer_read(ferrite_ring_endpoint *endpoint, void *dst, size_t len);
/* 1 when the producer sleeps waiting for space and must be rung, after this half freed
 * some; at most once per sleep. */
int ferrite_ring_consumer_needs_ring(ferrite_ring_endpoint *endpoint);
/* Announces a sleep until the producer writes: 1 when the ring is still empty (block
 * now), 0 when bytes came meanwhile (the announcement is withdrawn). */
int ferrite_ring_consumer_prepare_to_sleep(ferrite_ring_endpoint *endpoint);
/* Ends an announced sleep: call it after waking, whatever woke this side. */
void ferrite_ring_consumer_cancel_sleep(ferrite_ring_endpoint *endpoint);

#ifdef __cplusplus
}
#endif

#endif /* FERRITE_RING_H */
