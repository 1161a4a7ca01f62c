/*
 * The Python wrapper's blocking reads and writes over the shm rings (wrappers/native's
 * ferrite_ring.h), one C call per read or write so that a frame costs the interpreter
 * one cffi call each way, and so that spinning and sleeping happen without the GIL.
 *
 * A reader or writer that finds nothing to move re-checks for `spin_nanos`, then
 * announces its sleep and blocks reading the doorbell socket. Several threads may write
 * (handlers log from threads of their own; the caller serialises writers) while one
 * reads: only one of them blocks on the socket at a time, and it wakes the others after
 * each doorbell, so a ring meant for one sleeper is never swallowed by another.
 */
#ifndef FERRITE_SHM_IO_H
#define FERRITE_SHM_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferrite_ring.h"

typedef struct ferrite_shm_io ferrite_shm_io;

/* Reads and writes over `endpoint` (which it does not own) with the connected doorbell
 * socket `doorbell_fd` (not owned either). A sleep on the doorbell fails with ETIMEDOUT
 * after `timeout_ms` without a ring (-1: never; tests use it as a watchdog). NULL when
 * out of memory. */
ferrite_shm_io *ferrite_shm_io_new(ferrite_ring_endpoint *endpoint, int doorbell_fd,
                                   uint64_t spin_nanos, int timeout_ms);
void ferrite_shm_io_free(ferrite_shm_io *io);

/* Reads up to `len` bytes into `dst`, blocking until there is at least one: the count;
 * 0 once the peer has gone (its doorbell socket closed) and the ring is empty; -1 with
 * errno set (EINTR: a signal came, call again; ETIMEDOUT). */
ssize_t ferrite_shm_io_read(ferrite_shm_io *io, void *dst, size_t len);

/* Writes all `len` bytes of `src`, blocking for space: 0, or -1 with errno set (EPIPE:
 * the peer has gone; EINTR: a signal came, call again with the rest). `*written` is how
 * many bytes went into the ring either way. */
int ferrite_shm_io_write(ferrite_shm_io *io, const void *src, size_t len, size_t *written);

#endif /* FERRITE_SHM_IO_H */
