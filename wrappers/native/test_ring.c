/*
 * Tests of ferrite_ring over real segment files: creating and opening (and refusing),
 * moving bytes both ways and around the ring's end, the sleep/ring steps, and two threads
 * exchanging checked bytes through one segment with a pipe for each doorbell.
 *
 * `test_ring --layout` instead prints the layout constants and the worked example of
 * schemas/shm-layout.json as this code produces them, as JSON; check_layout.py compares
 * that with the schema file, so the C side and the schema cannot drift apart unseen.
 */
#define _GNU_SOURCE
#include "ferrite_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
static char dir[256];

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static void make_dir(void) {
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(dir, sizeof dir, "%s/ferrite-ring-test-XXXXXX", base);
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
}

static void path_in_dir(char *out, size_t len, const char *name) {
  snprintf(out, len, "%s/%s", dir, name);
}

static void remove_dir(void) {
  const char *names[] = {"ring", "short", "zeros", "cut", "bad", "example", "stress"};
  char path[320];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    path_in_dir(path, sizeof path, names[i]);
    unlink(path);
  }
  rmdir(dir);
}

static void write_file(const char *path, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  char *zeros = calloc(1, len ? len : 1);
  if (fd < 0 || write(fd, zeros, len) != (ssize_t)len) {
    perror(path);
    exit(2);
  }
  free(zeros);
  close(fd);
}

static void test_create_and_open(void) {
  char path[320], err[256];
  path_in_dir(path, sizeof path, "ring");
  ferrite_ring_endpoint *processor = NULL, *wrapper = NULL, *again = NULL;

  uint64_t bad[] = {0, 32, 1000, 1ull << 31};
  for (size_t i = 0; i < 4; i++) {
    CHECK(ferrite_ring_create(path, bad[i], &processor, err, sizeof err) ==
          FERRITE_RING_E_CAPACITY);
  }
  CHECK(strstr(err, "is not a power of two from 64 to 1073741824 bytes") != NULL);

  CHECK(ferrite_ring_create(path, 1024, &processor, err, sizeof err) == FERRITE_RING_OK);
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 4096 + 2048);
  CHECK(ferrite_ring_capacity(processor) == 1024);
  CHECK(ferrite_ring_create(path, 64, &again, err, sizeof err) == FERRITE_RING_E_IO);

  CHECK(ferrite_ring_open(path, &wrapper, err, sizeof err) == FERRITE_RING_OK);
  CHECK(ferrite_ring_capacity(wrapper) == 1024);
  CHECK(ferrite_ring_open(path, &again, err, sizeof err) == FERRITE_RING_E_ATTACHED);
  CHECK(strstr(err, "already open by a wrapper") != NULL);

  char buf[64];
  CHECK(ferrite_ring_producer_write(processor, "event", 5) == 5);
  CHECK(ferrite_ring_consumer_read(wrapper, buf, sizeof buf) == 5 && memcmp(buf, "event", 5) == 0);
  CHECK(ferrite_ring_producer_write(wrapper, "response", 8) == 8);
  CHECK(ferrite_ring_consumer_read(processor, buf, sizeof buf) == 8 &&
        memcmp(buf, "response", 8) == 0);
  CHECK(ferrite_ring_consumer_read(processor, buf, sizeof buf) == 0);
  ferrite_ring_close(wrapper);
  ferrite_ring_close(processor);
}

static void test_open_refuses_what_is_not_a_segment(void) {
  char path[320], err[256];
  ferrite_ring_endpoint *endpoint = NULL;

  path_in_dir(path, sizeof path, "short");
  write_file(path, 100);
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_LAYOUT);
  CHECK(strstr(err, "too short for the header") != NULL);

  path_in_dir(path, sizeof path, "zeros");
  write_file(path, 4096 + 128);
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_LAYOUT);
  CHECK(strstr(err, "magic is 0x00000000") != NULL);

  path_in_dir(path, sizeof path, "cut");
  ferrite_ring_endpoint *processor = NULL;
  CHECK(ferrite_ring_create(path, 64, &processor, err, sizeof err) == FERRITE_RING_OK);
  CHECK(truncate(path, 4096 + 64) == 0);
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_LAYOUT);
  CHECK(strstr(err, "rings of 64 need 4224") != NULL);
  ferrite_ring_close(processor);

  path_in_dir(path, sizeof path, "bad");
  CHECK(ferrite_ring_create(path, 64, &processor, err, sizeof err) == FERRITE_RING_OK);
  int fd = open(path, O_RDWR);
  uint64_t capacity = 100;
  CHECK(pwrite(fd, &capacity, 8, FERRITE_RING_CAPACITY_OFFSET) == 8);
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_LAYOUT);
  CHECK(strstr(err, "capacity is 100") != NULL);
  uint32_t version = 2;
  CHECK(pwrite(fd, &version, 4, FERRITE_RING_VERSION_OFFSET) == 4);
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_LAYOUT);
  CHECK(strstr(err, "layout version is 2") != NULL);
  close(fd);
  ferrite_ring_close(processor);

  path_in_dir(path, sizeof path, "missing");
  CHECK(ferrite_ring_open(path, &endpoint, err, sizeof err) == FERRITE_RING_E_IO);
  CHECK(strstr(err, "No such file") != NULL);
}

/* Writes and reads in odd-sized pieces through a 64-byte ring, so runs wrap its end. */
static void test_bytes_wrap_around(void) {
  char path[320], err[256];
  path_in_dir(path, sizeof path, "ring");
  unlink(path);
  ferrite_ring_endpoint *processor = NULL, *wrapper = NULL;
  CHECK(ferrite_ring_create(path, 64, &processor, err, sizeof err) == FERRITE_RING_OK);
  CHECK(ferrite_ring_open(path, &wrapper, err, sizeof err) == FERRITE_RING_OK);
  unsigned char out[100], in[100];
  uint64_t sent = 0, received = 0;
  for (int round = 0; round < 1000; round++) {
    size_t len = (size_t)(round * 37 % 100);
    for (size_t i = 0; i < len; i++) out[i] = (unsigned char)(sent + i);
    size_t n = ferrite_ring_producer_write(processor, out, len);
    CHECK(n == (len < 64 - (sent - received) ? len : 64 - (sent - received)));
    sent += n;
    size_t m = ferrite_ring_consumer_read(wrapper, in, (size_t)(round * 53 % 100));
    for (size_t i = 0; i < m; i++) {
      if (in[i] != (unsigned char)(received + i)) {
        CHECK(!"a byte came out of the ring changed or out of order");
        break;
      }
    }
    received += m;
  }
  CHECK(sent > 20000 && sent - received <= 64);
  ferrite_ring_close(wrapper);
  ferrite_ring_close(processor);
}

static void test_sleep_and_ring(void) {
  char path[320], err[256];
  path_in_dir(path, sizeof path, "ring");
  unlink(path);
  ferrite_ring_endpoint *processor = NULL, *wrapper = NULL;
  CHECK(ferrite_ring_create(path, 64, &processor, err, sizeof err) == FERRITE_RING_OK);
  CHECK(ferrite_ring_open(path, &wrapper, err, sizeof err) == FERRITE_RING_OK);
  unsigned char buf[64] = {0};

  /* Nobody sleeps: no ring. */
  CHECK(ferrite_ring_producer_write(processor, buf, 1) == 1);
  CHECK(!ferrite_ring_producer_needs_ring(processor));
  /* Bytes are there: the announcement is withdrawn at once. */
  CHECK(ferrite_ring_consumer_prepare_to_sleep(wrapper) == 0);
  CHECK(ferrite_ring_consumer_read(wrapper, buf, 64) == 1);
  /* Empty: sleep; the producer's next write rings, once per sleep. */
  CHECK(ferrite_ring_consumer_prepare_to_sleep(wrapper) == 1);
  CHECK(ferrite_ring_producer_write(processor, buf, 2) == 2);
  CHECK(ferrite_ring_producer_needs_ring(processor));
  CHECK(!ferrite_ring_producer_needs_ring(processor));
  ferrite_ring_consumer_cancel_sleep(wrapper);
  CHECK(ferrite_ring_consumer_read(wrapper, buf, 64) == 2);

  /* The producer side: fill the ring, sleep for space, the consumer's read rings. */
  CHECK(ferrite_ring_producer_write(wrapper, buf, 64) == 64);
  CHECK(ferrite_ring_producer_free(wrapper) == 0);
  CHECK(ferrite_ring_producer_prepare_to_sleep(wrapper) == 1);
  CHECK(ferrite_ring_consumer_read(processor, buf, 10) == 10);
  CHECK(ferrite_ring_consumer_needs_ring(processor));
  CHECK(!ferrite_ring_consumer_needs_ring(processor));
  ferrite_ring_producer_cancel_sleep(wrapper);
  CHECK(ferrite_ring_producer_free(wrapper) == 10);
  /* Space is there: the announcement is withdrawn, and a read rings for nothing. */
  CHECK(ferrite_ring_producer_prepare_to_sleep(wrapper) == 0);
  CHECK(ferrite_ring_consumer_read(processor, buf, 10) == 10);
  CHECK(!ferrite_ring_consumer_needs_ring(processor));
  ferrite_ring_close(wrapper);
  ferrite_ring_close(processor);
}

/* Two threads, each with its own mapping, send each other STRESS_BYTES counted bytes in
 * random pieces through 64-byte rings, each sleeping on a pipe (its doorbell) when it
 * can neither write nor read: a lost wake-up hangs here, and poll's timeout reports it. */
#define STRESS_BYTES 4000000ull

struct stress_side {
  ferrite_ring_endpoint *endpoint;
  int bell_in;  /* read: our doorbell */
  int bell_out; /* write: the peer's */
  int ok;
  uint64_t seed;
};

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

static void *stress_run(void *arg) {
  struct stress_side *side = arg;
  ferrite_ring_endpoint *endpoint = side->endpoint;
  unsigned char buf[200];
  uint64_t sent = 0, received = 0;
  side->ok = 1;
  while (sent < STRESS_BYTES || received < STRESS_BYTES) {
    int moved = 0;
    if (sent < STRESS_BYTES) {
      size_t len = (size_t)(next_random(&side->seed) % sizeof buf);
      if (len > STRESS_BYTES - sent) len = (size_t)(STRESS_BYTES - sent);
      for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)((sent + i) * 31);
      size_t n = ferrite_ring_producer_write(endpoint, buf, len);
      sent += n;
      if (n > 0) {
        moved = 1;
        if (ferrite_ring_producer_needs_ring(endpoint)) {
          char byte = FERRITE_RING_DOORBELL_BYTE;
          if (write(side->bell_out, &byte, 1) != 1) side->ok = 0;
        }
      }
    }
    if (received < STRESS_BYTES) {
      size_t n = ferrite_ring_consumer_read(endpoint, buf, (size_t)(next_random(&side->seed) % sizeof buf));
      for (size_t i = 0; i < n; i++) {
        if (buf[i] != (unsigned char)((received + i) * 31)) side->ok = 0;
      }
      received += n;
      if (n > 0) {
        moved = 1;
        if (ferrite_ring_consumer_needs_ring(endpoint)) {
          char byte = FERRITE_RING_DOORBELL_BYTE;
          if (write(side->bell_out, &byte, 1) != 1) side->ok = 0;
        }
      }
    }
    if (moved || !side->ok) {
      if (!side->ok) break;
      continue;
    }
    /* Neither moved: announce what we wait on (both, when both), then block. */
    int sleep_read = received < STRESS_BYTES && ferrite_ring_consumer_prepare_to_sleep(endpoint);
    int sleep_write = sent < STRESS_BYTES && ferrite_ring_producer_prepare_to_sleep(endpoint);
    int waits_read = received < STRESS_BYTES, waits_write = sent < STRESS_BYTES;
    if ((!waits_read || sleep_read) && (!waits_write || sleep_write)) {
      struct pollfd pfd = {.fd = side->bell_in, .events = POLLIN};
      if (poll(&pfd, 1, 10000) != 1) {
        fprintf(stderr, "stress: no wake-up in 10 s (sent %llu, received %llu)\n",
                (unsigned long long)sent, (unsigned long long)received);
        side->ok = 0;
      } else {
        char drain[64];
        if (read(side->bell_in, drain, sizeof drain) <= 0) side->ok = 0;
      }
    }
    ferrite_ring_consumer_cancel_sleep(endpoint);
    ferrite_ring_producer_cancel_sleep(endpoint);
  }
  return NULL;
}

static void test_two_threads(void) {
  char path[320], err[256];
  path_in_dir(path, sizeof path, "stress");
  struct stress_side processor = {.seed = 0x9E3779B97F4A7C15ull};
  struct stress_side wrapper = {.seed = 0xD1B54A32D192ED03ull};
  CHECK(ferrite_ring_create(path, 64, &processor.endpoint, err, sizeof err) == FERRITE_RING_OK);
  CHECK(ferrite_ring_open(path, &wrapper.endpoint, err, sizeof err) == FERRITE_RING_OK);
  int to_processor[2], to_wrapper[2];
  CHECK(pipe2(to_processor, O_NONBLOCK) == 0 && pipe2(to_wrapper, O_NONBLOCK) == 0);
  processor.bell_in = to_processor[0];
  processor.bell_out = to_wrapper[1];
  wrapper.bell_in = to_wrapper[0];
  wrapper.bell_out = to_processor[1];
  pthread_t a, b;
  pthread_create(&a, NULL, stress_run, &processor);
  pthread_create(&b, NULL, stress_run, &wrapper);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK(processor.ok && wrapper.ok);
  for (int i = 0; i < 2; i++) {
    close(to_processor[i]);
    close(to_wrapper[i]);
  }
  ferrite_ring_close(wrapper.endpoint);
  ferrite_ring_close(processor.endpoint);
}

static uint64_t file_word64(const unsigned char *bytes, size_t offset) {
  uint64_t value;
  memcpy(&value, bytes + offset, 8);
  return value;
}

/* The worked example of shm-layout.json, done through the API on a real file; prints the
 * words and bytes as they then lie in the file. */
static void print_layout(void) {
  char path[320], err[256];
  path_in_dir(path, sizeof path, "example");
  ferrite_ring_endpoint *processor = NULL, *wrapper = NULL;
  if (ferrite_ring_create(path, 64, &processor, err, sizeof err) != FERRITE_RING_OK ||
      ferrite_ring_open(path, &wrapper, err, sizeof err) != FERRITE_RING_OK) {
    fprintf(stderr, "%s\n", err);
    exit(2);
  }
  unsigned char bytes[70], buf[64];
  for (int i = 0; i < 70; i++) bytes[i] = (unsigned char)i;
  size_t wrote = ferrite_ring_producer_write(processor, bytes, 60);
  size_t read_ = ferrite_ring_consumer_read(wrapper, buf, 64);
  int slept = ferrite_ring_consumer_prepare_to_sleep(wrapper);
  size_t wrote_more = ferrite_ring_producer_write(processor, bytes + 60, 10);
  int rang = ferrite_ring_producer_needs_ring(processor);
  if (wrote != 60 || read_ != 60 || !slept || wrote_more != 10 || !rang) {
    fprintf(stderr, "the worked example did not go as written\n");
    exit(1);
  }

  unsigned char file[4096 + 128];
  int fd = open(path, O_RDONLY);
  if (fd < 0 || pread(fd, file, sizeof file, 0) != (ssize_t)sizeof file) {
    perror(path);
    exit(2);
  }
  close(fd);
  printf("{\n  \"magic\": %u,\n  \"version\": %u,\n  \"line\": %d,\n", FERRITE_RING_MAGIC,
         FERRITE_RING_VERSION, FERRITE_RING_LINE);
  printf("  \"segment\": {\"magic\": %d, \"version\": %d, \"capacity\": %d, \"attached\": %d},\n",
         FERRITE_RING_MAGIC_OFFSET, FERRITE_RING_VERSION_OFFSET, FERRITE_RING_CAPACITY_OFFSET,
         FERRITE_RING_ATTACHED_OFFSET);
  printf("  \"rings\": {\"to_wrapper\": {\"index\": %d, \"control_offset\": %d}, "
         "\"to_processor\": {\"index\": %d, \"control_offset\": %d}},\n",
         FERRITE_RING_TO_WRAPPER, FERRITE_RING_CONTROL_OFFSET(FERRITE_RING_TO_WRAPPER),
         FERRITE_RING_TO_PROCESSOR, FERRITE_RING_CONTROL_OFFSET(FERRITE_RING_TO_PROCESSOR));
  printf("  \"ring_control\": {\"tail\": %d, \"producer_sleep\": %d, \"head\": %d, "
         "\"consumer_sleep\": %d},\n",
         FERRITE_RING_TAIL_OFFSET, FERRITE_RING_PRODUCER_SLEEP_OFFSET, FERRITE_RING_HEAD_OFFSET,
         FERRITE_RING_CONSUMER_SLEEP_OFFSET);
  printf("  \"data_offset\": %d,\n  \"capacity\": {\"min\": %llu, \"max\": %llu},\n",
         FERRITE_RING_DATA_OFFSET, FERRITE_RING_MIN_CAPACITY, FERRITE_RING_MAX_CAPACITY);
  printf("  \"segment_len_64\": %llu,\n  \"doorbell_byte\": %d,\n",
         (unsigned long long)ferrite_ring_segment_len(64), FERRITE_RING_DOORBELL_BYTE);
  printf("  \"example\": {\n    \"capacity\": %llu,\n",
         (unsigned long long)file_word64(file, FERRITE_RING_CAPACITY_OFFSET));
  const char *names[] = {"to_wrapper", "to_processor"};
  for (int ring = 0; ring < 2; ring++) {
    size_t control = FERRITE_RING_CONTROL_OFFSET(ring);
    printf("    \"%s\": {\"tail\": %llu, \"head\": %llu, \"producer_sleep\": %llu, "
           "\"consumer_sleep\": %llu},\n",
           names[ring],
           (unsigned long long)file_word64(file, control + FERRITE_RING_TAIL_OFFSET),
           (unsigned long long)file_word64(file, control + FERRITE_RING_HEAD_OFFSET),
           (unsigned long long)file_word64(file, control + FERRITE_RING_PRODUCER_SLEEP_OFFSET),
           (unsigned long long)file_word64(file, control + FERRITE_RING_CONSUMER_SLEEP_OFFSET));
  }
  uint32_t attached;
  memcpy(&attached, file + FERRITE_RING_ATTACHED_OFFSET, 4);
  printf("    \"attached\": %u,\n    \"to_wrapper_data_hex\": \"", attached);
  for (int i = 0; i < 64; i++) printf("%02x", file[FERRITE_RING_DATA_OFFSET + i]);
  printf("\"\n  }\n}\n");
  ferrite_ring_close(wrapper);
  ferrite_ring_close(processor);
}

int main(int argc, char **argv) {
  make_dir();
  if (argc > 1 && strcmp(argv[1], "--layout") == 0) {
    print_layout();
    remove_dir();
    return 0;
  }
  test_create_and_open();
  test_open_refuses_what_is_not_a_segment();
  test_bytes_wrap_around();
  test_sleep_and_ring();
  test_two_threads();
  remove_dir();
  if (failures > 0) {
    fprintf(stderr, "test_ring: %d checks failed\n", failures);
    return 1;
  }
  printf("test_ring: all checks passed\n");
  return 0;
}
