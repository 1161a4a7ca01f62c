/*
 * The shm transport's rings in C11: see ferrite_ring.h, and ring/src/shm.rs, whose steps
 * (and comments on why each ordering is enough) this follows one for one.
 *
 * Each ring is single-producer single-consumer over free-running u64 byte counts: the
 * producer alone advances `tail`, the consumer alone advances `head`, byte i lies at
 * i & (capacity - 1), and `tail - head` (wrapping) is what is buffered. Bytes are handed
 * over by a release store of an index and taken by an acquire load of it. The words are
 * reached through `_Atomic` pointers into the mapping, at the offsets of the layout.
 */
#define _GNU_SOURCE
#include "ferrite_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The other process reaches the same words: the atomics must be plain lock-free loads
 * and stores of the word itself, not a lock in this process's memory. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "the segment's words need lock-free 32- and 64-bit atomics");
_Static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4,
               "atomics have their integer's size");

typedef _Atomic uint64_t word64;
typedef _Atomic uint32_t word32;

/* One half's part in the wake-up protocol (the Rust `Sleeper`): we alone write our own
 * sleep word, odd while we sleep; we ring for each odd value of the peer's word once. */
struct sleeper {
  uint64_t own;  /* our sleep word's value: we alone write it, so this copy is current */
  uint64_t rung; /* the peer's sleep word when we last rang for it */
};

struct producer {
  word64 *tail, *producer_sleep, *head, *consumer_sleep;
  unsigned char *data;
  uint64_t tail_copy; /* ours: always current */
  uint64_t head_copy; /* the consumer's when last read */
  struct sleeper sleeper;
};

struct consumer {
  word64 *tail, *producer_sleep, *head, *consumer_sleep;
  unsigned char *data;
  uint64_t head_copy; /* ours: always current */
  uint64_t tail_copy; /* the producer's when last read */
  struct sleeper sleeper;
};

struct ferrite_ring_endpoint {
  unsigned char *map;
  size_t map_len;
  uint64_t capacity;
  struct producer producer;
  struct consumer consumer;
};

static void say(char *err, size_t err_len, const char *format, ...) {
  if (err == NULL || err_len == 0) return;
  va_list args;
  va_start(args, format);
  vsnprintf(err, err_len, format, args);
  va_end(args);
}

static word64 *word64_at(unsigned char *map, size_t offset) {
  return (word64 *)(void *)(map + offset);
}

static word32 *word32_at(unsigned char *map, size_t offset) {
  return (word32 *)(void *)(map + offset);
}

int ferrite_ring_is_valid_capacity(uint64_t capacity) {
  return capacity >= FERRITE_RING_MIN_CAPACITY && capacity <= FERRITE_RING_MAX_CAPACITY &&
         (capacity & (capacity - 1)) == 0;
}

uint64_t ferrite_ring_segment_len(uint64_t capacity) {
  return FERRITE_RING_DATA_OFFSET + 2 * capacity;
}

static void sleeper_init(struct sleeper *sleeper, word64 *own_word) {
  /* SYNC POINT: relaxed: only this half ever stores its own sleep word. */
  sleeper->own = atomic_load_explicit(own_word, memory_order_relaxed);
  sleeper->rung = 0;
}

/* Announces a sleep; the caller then reads its index again. */
static void sleeper_announce(struct sleeper *sleeper, word64 *own_word) {
  if (sleeper->own % 2 == 0) {
    sleeper->own += 1;
    /* SYNC POINT: relaxed: the full fence below orders it before the index read. */
    atomic_store_explicit(own_word, sleeper->own, memory_order_relaxed);
  }
  /* SYNC POINT: full fence between the announcement and the caller's index read; pairs
   * with the one in the peer's sleeper_should_ring. Of two seq_cst fences one comes
   * first, so either we see the peer's index move or the peer sees our announcement. */
  atomic_thread_fence(memory_order_seq_cst);
}

static void sleeper_withdraw(struct sleeper *sleeper, word64 *own_word) {
  if (sleeper->own % 2 == 1) {
    sleeper->own += 1;
    /* SYNC POINT: relaxed: a peer that reads the old, odd value rings once more, which
     * costs one spurious wake-up and loses nothing. */
    atomic_store_explicit(own_word, sleeper->own, memory_order_relaxed);
  }
}

/* After the caller moved its index: whether the peer announced a sleep that we have not
 * rung for yet. */
static int sleeper_should_ring(struct sleeper *sleeper, word64 *peer_word) {
  /* SYNC POINT: full fence between the caller's index store and reading the peer's
   * announcement; pairs with the one in the peer's sleeper_announce. */
  atomic_thread_fence(memory_order_seq_cst);
  /* SYNC POINT: relaxed: the fence orders it; the doorbell's syscalls order the rest. */
  uint64_t seen = atomic_load_explicit(peer_word, memory_order_relaxed);
  if (seen % 2 == 1 && seen != sleeper->rung) {
    sleeper->rung = seen;
    return 1;
  }
  return 0;
}

/* Points both halves at their rings' words and bytes, for `side`. */
static void split(ferrite_ring_endpoint *endpoint, ferrite_ring_side side) {
  int out = side == FERRITE_RING_PROCESSOR ? FERRITE_RING_TO_WRAPPER : FERRITE_RING_TO_PROCESSOR;
  int into = side == FERRITE_RING_PROCESSOR ? FERRITE_RING_TO_PROCESSOR : FERRITE_RING_TO_WRAPPER;
  unsigned char *map = endpoint->map;

  struct producer *p = &endpoint->producer;
  size_t control = FERRITE_RING_CONTROL_OFFSET(out);
  p->tail = word64_at(map, control + FERRITE_RING_TAIL_OFFSET);
  p->producer_sleep = word64_at(map, control + FERRITE_RING_PRODUCER_SLEEP_OFFSET);
  p->head = word64_at(map, control + FERRITE_RING_HEAD_OFFSET);
  p->consumer_sleep = word64_at(map, control + FERRITE_RING_CONSUMER_SLEEP_OFFSET);
  p->data = map + FERRITE_RING_DATA_OFFSET + (size_t)out * endpoint->capacity;
  /* SYNC POINT: relaxed: only this half ever stores `tail`. */
  p->tail_copy = atomic_load_explicit(p->tail, memory_order_relaxed);
  /* SYNC POINT: acquire, as in ferrite_ring_producer_free. */
  p->head_copy = atomic_load_explicit(p->head, memory_order_acquire);
  sleeper_init(&p->sleeper, p->producer_sleep);

  struct consumer *c = &endpoint->consumer;
  control = FERRITE_RING_CONTROL_OFFSET(into);
  c->tail = word64_at(map, control + FERRITE_RING_TAIL_OFFSET);
  c->producer_sleep = word64_at(map, control + FERRITE_RING_PRODUCER_SLEEP_OFFSET);
  c->head = word64_at(map, control + FERRITE_RING_HEAD_OFFSET);
  c->consumer_sleep = word64_at(map, control + FERRITE_RING_CONSUMER_SLEEP_OFFSET);
  c->data = map + FERRITE_RING_DATA_OFFSET + (size_t)into * endpoint->capacity;
  /* SYNC POINT: relaxed: only this half ever stores `head`. */
  c->head_copy = atomic_load_explicit(c->head, memory_order_relaxed);
  /* SYNC POINT: acquire, as in ferrite_ring_consumer_available. */
  c->tail_copy = atomic_load_explicit(c->tail, memory_order_acquire);
  sleeper_init(&c->sleeper, c->consumer_sleep);
}

/* Maps all of the open file `fd` (`len` bytes) shared, into a new endpoint. */
static ferrite_ring_status map_file(int fd, size_t len, const char *path,
                                    ferrite_ring_endpoint **out, char *err, size_t err_len) {
  if (len < FERRITE_RING_DATA_OFFSET) {
    say(err, err_len, "%s is not a ferrite segment of layout version %u: too short for the header",
        path, FERRITE_RING_VERSION);
    return FERRITE_RING_E_LAYOUT;
  }
  void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    say(err, err_len, "shared-memory segment %s: %s", path, strerror(errno));
    return FERRITE_RING_E_IO;
  }
  ferrite_ring_endpoint *endpoint = calloc(1, sizeof *endpoint);
  if (endpoint == NULL) {
    munmap(map, len);
    say(err, err_len, "out of memory");
    return FERRITE_RING_E_NOMEM;
  }
  endpoint->map = map;
  endpoint->map_len = len;
  *out = endpoint;
  return FERRITE_RING_OK;
}

ferrite_ring_status ferrite_ring_create(const char *path, uint64_t capacity,
                                        ferrite_ring_endpoint **out, char *err,
                                        size_t err_len) {
  if (!ferrite_ring_is_valid_capacity(capacity)) {
    say(err, err_len, "ring capacity %llu is not a power of two from %llu to %llu bytes",
        (unsigned long long)capacity, FERRITE_RING_MIN_CAPACITY, FERRITE_RING_MAX_CAPACITY);
    return FERRITE_RING_E_CAPACITY;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    say(err, err_len, "shared-memory segment %s: %s", path, strerror(errno));
    return FERRITE_RING_E_IO;
  }
  size_t len = (size_t)ferrite_ring_segment_len(capacity);
  /* A new file reads as zeros: empty rings, nobody asleep, nobody attached. */
  if (ftruncate(fd, (off_t)len) != 0) {
    say(err, err_len, "shared-memory segment %s: %s", path, strerror(errno));
    close(fd);
    return FERRITE_RING_E_IO;
  }
  ferrite_ring_endpoint *endpoint = NULL;
  ferrite_ring_status status = map_file(fd, len, path, &endpoint, err, err_len);
  close(fd); /* the mapping outlives the descriptor */
  if (status != FERRITE_RING_OK) return status;
  endpoint->capacity = capacity;
  unsigned char *map = endpoint->map;
  /* SYNC POINT: relaxed, published by the release of the magic below. */
  atomic_store_explicit(word32_at(map, FERRITE_RING_VERSION_OFFSET), FERRITE_RING_VERSION,
                        memory_order_relaxed);
  /* SYNC POINT: relaxed, published by the release of the magic below. */
  atomic_store_explicit(word64_at(map, FERRITE_RING_CAPACITY_OFFSET), capacity,
                        memory_order_relaxed);
  /* SYNC POINT: release: an opener that acquires the magic sees the words above. */
  atomic_store_explicit(word32_at(map, FERRITE_RING_MAGIC_OFFSET), FERRITE_RING_MAGIC,
                        memory_order_release);
  split(endpoint, FERRITE_RING_PROCESSOR);
  *out = endpoint;
  return FERRITE_RING_OK;
}

ferrite_ring_status ferrite_ring_open(const char *path, ferrite_ring_endpoint **out,
                                      char *err, size_t err_len) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    say(err, err_len, "shared-memory segment %s: %s", path, strerror(errno));
    return FERRITE_RING_E_IO;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    say(err, err_len, "shared-memory segment %s: %s", path, strerror(errno));
    close(fd);
    return FERRITE_RING_E_IO;
  }
  size_t len = (size_t)st.st_size;
  ferrite_ring_endpoint *endpoint = NULL;
  ferrite_ring_status status = map_file(fd, len, path, &endpoint, err, err_len);
  close(fd);
  if (status != FERRITE_RING_OK) return status;
  unsigned char *map = endpoint->map;
  status = FERRITE_RING_E_LAYOUT;
  /* SYNC POINT: acquire pairs with the creator's release of the magic. */
  uint32_t magic =
      atomic_load_explicit(word32_at(map, FERRITE_RING_MAGIC_OFFSET), memory_order_acquire);
  /* SYNC POINT: relaxed, ordered by the acquire of the magic. */
  uint32_t version =
      atomic_load_explicit(word32_at(map, FERRITE_RING_VERSION_OFFSET), memory_order_relaxed);
  /* SYNC POINT: relaxed, ordered by the acquire of the magic. */
  uint64_t capacity =
      atomic_load_explicit(word64_at(map, FERRITE_RING_CAPACITY_OFFSET), memory_order_relaxed);
  const char *prefix = "is not a ferrite segment of layout version";
  if (magic != FERRITE_RING_MAGIC) {
    say(err, err_len, "%s %s %u: magic is 0x%08x", path, prefix, FERRITE_RING_VERSION, magic);
  } else if (version != FERRITE_RING_VERSION) {
    say(err, err_len, "%s %s %u: layout version is %u", path, prefix, FERRITE_RING_VERSION,
        version);
  } else if (!ferrite_ring_is_valid_capacity(capacity)) {
    say(err, err_len, "%s %s %u: capacity is %llu", path, prefix, FERRITE_RING_VERSION,
        (unsigned long long)capacity);
  } else if (len != ferrite_ring_segment_len(capacity)) {
    say(err, err_len, "%s %s %u: %zu bytes long, but rings of %llu need %llu", path, prefix,
        FERRITE_RING_VERSION, len, (unsigned long long)capacity,
        (unsigned long long)ferrite_ring_segment_len(capacity));
  } else {
    uint32_t expected = 0;
    /* SYNC POINT: relaxed compare-and-swap: the claim decides who may use the wrapper's
     * halves and publishes nothing else. */
    if (atomic_compare_exchange_strong_explicit(word32_at(map, FERRITE_RING_ATTACHED_OFFSET),
                                                &expected, 1, memory_order_relaxed,
                                                memory_order_relaxed)) {
      status = FERRITE_RING_OK;
    } else {
      say(err, err_len, "shared-memory segment %s is already open by a wrapper", path);
      status = FERRITE_RING_E_ATTACHED;
    }
  }
  if (status != FERRITE_RING_OK) {
    ferrite_ring_close(endpoint);
    return status;
  }
  endpoint->capacity = capacity;
  split(endpoint, FERRITE_RING_WRAPPER);
  *out = endpoint;
  return FERRITE_RING_OK;
}

void ferrite_ring_close(ferrite_ring_endpoint *endpoint) {
  if (endpoint == NULL) return;
  munmap(endpoint->map, endpoint->map_len);
  free(endpoint);
}

uint64_t ferrite_ring_capacity(const ferrite_ring_endpoint *endpoint) {
  return endpoint->capacity;
}

/* The ring positions of `n` bytes from `index`: `*first` bytes up to the end of the ring
 * from `*start`, the rest from its start. */
static void pieces(uint64_t index, size_t n, uint64_t capacity, size_t *start, size_t *first) {
  *start = (size_t)(index & (capacity - 1));
  size_t to_end = (size_t)capacity - *start;
  *first = n < to_end ? n : to_end;
}

static size_t producer_cached_free(const ferrite_ring_endpoint *endpoint) {
  uint64_t used = endpoint->producer.tail_copy - endpoint->producer.head_copy;
  /* A peer that broke the protocol could make this exceed the capacity: clamp, so the
   * worst it can do is stall this ring. */
  if (used > endpoint->capacity) used = endpoint->capacity;
  return (size_t)(endpoint->capacity - used);
}

size_t ferrite_ring_producer_free(ferrite_ring_endpoint *endpoint) {
  /* SYNC POINT: acquire pairs with the consumer's release of `head`: its copies out of
   * the bytes we are about to reuse happen before our copies into them. */
  endpoint->producer.head_copy =
      atomic_load_explicit(endpoint->producer.head, memory_order_acquire);
  return producer_cached_free(endpoint);
}

size_t ferrite_ring_producer_write(ferrite_ring_endpoint *endpoint, const void *src,
                                   size_t len) {
  struct producer *p = &endpoint->producer;
  size_t free_bytes = producer_cached_free(endpoint);
  if (free_bytes < len) free_bytes = ferrite_ring_producer_free(endpoint);
  size_t n = free_bytes < len ? free_bytes : len;
  if (n == 0) return 0;
  size_t start, first;
  pieces(p->tail_copy, n, endpoint->capacity, &start, &first);
  /* The bytes at tail..tail + n are ours: the consumer released them (head was
   * acquired) and reads none of them before we publish the new tail below. */
  memcpy(p->data + start, src, first);
  memcpy(p->data, (const unsigned char *)src + first, n - first);
  p->tail_copy += n;
  /* SYNC POINT: release publishes the bytes copied above to the consumer's acquire load
   * of `tail`. */
  atomic_store_explicit(p->tail, p->tail_copy, memory_order_release);
  return n;
}

int ferrite_ring_producer_needs_ring(ferrite_ring_endpoint *endpoint) {
  return sleeper_should_ring(&endpoint->producer.sleeper, endpoint->producer.consumer_sleep);
}

int ferrite_ring_producer_prepare_to_sleep(ferrite_ring_endpoint *endpoint) {
  sleeper_announce(&endpoint->producer.sleeper, endpoint->producer.producer_sleep);
  if (ferrite_ring_producer_free(endpoint) > 0) {
    ferrite_ring_producer_cancel_sleep(endpoint);
    return 0;
  }
  return 1;
}

void ferrite_ring_producer_cancel_sleep(ferrite_ring_endpoint *endpoint) {
  sleeper_withdraw(&endpoint->producer.sleeper, endpoint->producer.producer_sleep);
}

static size_t consumer_cached_available(const ferrite_ring_endpoint *endpoint) {
  uint64_t buffered = endpoint->consumer.tail_copy - endpoint->consumer.head_copy;
  /* Clamped like producer_cached_free: a broken peer yields garbage, never an access
   * outside the ring. */
  if (buffered > endpoint->capacity) buffered = endpoint->capacity;
  return (size_t)buffered;
}

size_t ferrite_ring_consumer_available(ferrite_ring_endpoint *endpoint) {
  /* SYNC POINT: acquire pairs with the producer's release of `tail`: its copies into the
   * bytes up to `tail` happen before our copies out of them. */
  endpoint->consumer.tail_copy =
      atomic_load_explicit(endpoint->consumer.tail, memory_order_acquire);
  return consumer_cached_available(endpoint);
}

size_t ferrite_ring_consumer_read(ferrite_ring_endpoint *endpoint, void *dst, size_t len) {
  struct consumer *c = &endpoint->consumer;
  size_t available = consumer_cached_available(endpoint);
  if (available < len) available = ferrite_ring_consumer_available(endpoint);
  size_t n = available < len ? available : len;
  if (n == 0) return 0;
  size_t start, first;
  pieces(c->head_copy, n, endpoint->capacity, &start, &first);
  /* The bytes at head..head + n are ours: the producer published them (tail was
   * acquired) and overwrites none of them before we release them below. */
  memcpy(dst, c->data + start, first);
  memcpy((unsigned char *)dst + first, c->data, n - first);
  c->head_copy += n;
  /* SYNC POINT: release hands the space back: our copies above happen before the
   * producer, acquiring `head`, writes there again. */
  atomic_store_explicit(c->head, c->head_copy, memory_order_release);
  return n;
}

int ferrite_ring_consumer_needs_ring(ferrite_ring_endpoint *endpoint) {
  return sleeper_should_ring(&endpoint->consumer.sleeper, endpoint->consumer.producer_sleep);
}

int ferrite_ring_consumer_prepare_to_sleep(ferrite_ring_endpoint *endpoint) {
  sleeper_announce(&endpoint->consumer.sleeper, endpoint->consumer.consumer_sleep);
  if (ferrite_ring_consumer_available(endpoint) > 0) {
    ferrite_ring_consumer_cancel_sleep(endpoint);
    return 0;
  }
  return 1;
}

void ferrite_ring_consumer_cancel_sleep(ferrite_ring_endpoint *endpoint) {
  sleeper_withdraw(&endpoint->consumer.sleeper, endpoint->consumer.consumer_sleep);
}
