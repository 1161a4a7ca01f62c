/* See shm_io.h. The ring steps are ferrite_ring.c's; this adds spinning, sleeping on the
 * doorbell, and sharing that one socket between a reading and a writing thread. */
#define _GNU_SOURCE
#include "shm_io.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct ferrite_shm_io {
  ferrite_ring_endpoint *endpoint;
  int fd;
  uint64_t spin_nanos;
  int timeout_ms;
  pthread_mutex_t lock;
  pthread_cond_t woken;
  /* Under `lock`: whether a thread is blocked reading the socket, how many wake-ups it
   * has passed on, and whether the socket reached its end. */
  int reading_socket;
  uint64_t wakeups;
  int peer_gone;
};

ferrite_shm_io *ferrite_shm_io_new(ferrite_ring_endpoint *endpoint, int doorbell_fd,
                                   uint64_t spin_nanos, int timeout_ms) {
  ferrite_shm_io *io = calloc(1, sizeof *io);
  if (io == NULL) return NULL;
  io->endpoint = endpoint;
  io->fd = doorbell_fd;
  io->spin_nanos = spin_nanos;
  io->timeout_ms = timeout_ms;
  pthread_mutex_init(&io->lock, NULL);
  pthread_cond_init(&io->woken, NULL);
  return io;
}

void ferrite_shm_io_free(ferrite_shm_io *io) {
  if (io == NULL) return;
  pthread_cond_destroy(&io->woken);
  pthread_mutex_destroy(&io->lock);
  free(io);
}

static uint64_t now_nanos(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Whether to re-check once more rather than announce a sleep: until `spin_nanos` have
 * passed since the first call with `*since` 0. */
static int keep_spinning(const ferrite_shm_io *io, uint64_t *since) {
  if (io->spin_nanos == 0) return 0;
  uint64_t now = now_nanos();
  if (*since == 0) *since = now;
  if (now - *since >= io->spin_nanos) return 0;
  cpu_relax();
  return 1;
}

/* Rings the peer's doorbell. It fails only once the peer has gone (EPIPE, ECONNRESET),
 * which callers leave to their next wait to find; errno is kept for them. */
static void ring(ferrite_shm_io *io) {
  const unsigned char byte = FERRITE_RING_DOORBELL_BYTE;
  int saved = errno;
  while (send(io->fd, &byte, 1, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
  errno = saved;
}

/* Blocks until the socket has bytes (or its end), then reads every byte waiting: how many,
 * 0 at its end, -1 with errno. Without a timeout a blocking read is the one syscall;
 * with one, or on a non-blocking socket, poll waits first. */
static ssize_t wait_and_drain(ferrite_shm_io *io) {
  unsigned char bytes[64];
  if (io->timeout_ms < 0) {
    ssize_t n = read(io->fd, bytes, sizeof bytes);
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
  }
  struct pollfd ready = {.fd = io->fd, .events = POLLIN};
  int polled = poll(&ready, 1, io->timeout_ms);
  if (polled < 0) return -1;
  if (polled == 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  ssize_t n = read(io->fd, bytes, sizeof bytes);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1; /* spurious: re-check */
  return n;
}

/* How many doorbells the socket's readers have passed on so far: a sleeper takes this
 * before it announces its sleep and gives it to wait_for_doorbell. */
static uint64_t wakeups_so_far(ferrite_shm_io *io) {
  pthread_mutex_lock(&io->lock);
  uint64_t wakeups = io->wakeups;
  pthread_mutex_unlock(&io->lock);
  return wakeups;
}

/*
 * Blocks, after a sleep was announced, until something may have changed: 1 woken, 0 the
 * peer has gone, -1 with errno. One thread at a time reads the socket (draining every
 * waiting byte at once); another waits until that one has been woken or has left, so the
 * one byte the peer rings for either sleeper wakes both. `seen` is wakeups_so_far from
 * before the announcement: if the other thread has read a doorbell since, it may have
 * been the one rung for this sleep, and blocking now could wait forever.
 */
static int wait_for_doorbell(ferrite_shm_io *io, uint64_t seen) {
  pthread_mutex_lock(&io->lock);
  while (io->reading_socket && io->wakeups == seen && !io->peer_gone) {
    pthread_cond_wait(&io->woken, &io->lock);
  }
  if (io->peer_gone || io->wakeups != seen) {
    int gone = io->peer_gone;
    pthread_mutex_unlock(&io->lock);
    return gone ? 0 : 1;
  }
  /* The socket is ours, and no doorbell has come since the announcement. */
  io->reading_socket = 1;
  pthread_mutex_unlock(&io->lock);

  ssize_t n = wait_and_drain(io);
  int error = errno;

  pthread_mutex_lock(&io->lock);
  io->reading_socket = 0;
  io->wakeups++;
  if (n == 0) io->peer_gone = 1;
  pthread_cond_broadcast(&io->woken);
  pthread_mutex_unlock(&io->lock);
  if (n < 0) {
    errno = error;
    return -1;
  }
  return n > 0;
}

ssize_t ferrite_shm_io_read(ferrite_shm_io *io, void *dst, size_t len) {
  ferrite_ring_endpoint *endpoint = io->endpoint;
  uint64_t since = 0;
  for (;;) {
    size_t n = ferrite_ring_consumer_read(endpoint, dst, len);
    if (n > 0) {
      /* The processor may sleep waiting for the space just freed. A failed ring means it
       * has gone (EPIPE, ECONNRESET), which the next wait finds out. */
      if (ferrite_ring_consumer_needs_ring(endpoint)) ring(io);
      return (ssize_t)n;
    }
    if (keep_spinning(io, &since)) continue;
    uint64_t seen = wakeups_so_far(io);
    if (!ferrite_ring_consumer_prepare_to_sleep(endpoint)) continue;
    int woken = wait_for_doorbell(io, seen);
    ferrite_ring_consumer_cancel_sleep(endpoint);
    if (woken < 0) return -1;
    if (woken == 0) {
      /* Gone: what it wrote before it left is still to be read, then the end. */
      return (ssize_t)ferrite_ring_consumer_read(endpoint, dst, len);
    }
    since = 0;
  }
}

int ferrite_shm_io_write(ferrite_shm_io *io, const void *src, size_t len, size_t *written) {
  ferrite_ring_endpoint *endpoint = io->endpoint;
  const unsigned char *bytes = src;
  size_t done = 0;
  uint64_t since = 0;
  int status = 0;
  while (done < len) {
    size_t n = ferrite_ring_producer_write(endpoint, bytes + done, len - done);
    if (n > 0) {
      done += n;
      since = 0;
      /* Ring after each part, not once at the end: the processor must drain this part
       * for the rest to fit. A failed ring is ignored, as in reads: the processor may
       * have read everything and left, and if it left early the next wait sees EOF. */
      if (ferrite_ring_producer_needs_ring(endpoint)) ring(io);
      continue;
    }
    if (keep_spinning(io, &since)) continue;
    uint64_t seen = wakeups_so_far(io);
    if (!ferrite_ring_producer_prepare_to_sleep(endpoint)) continue;
    int woken = wait_for_doorbell(io, seen);
    ferrite_ring_producer_cancel_sleep(endpoint);
    if (woken <= 0) {
      if (woken == 0) errno = EPIPE;
      status = -1;
      break;
    }
    since = 0;
  }
  *written = done;
  return status;
}
