"""Builds ``ferrite_wrapper/transport/_ring``, the shm transport's cffi module, for the
interpreter running this script: ``python3 native/build_ring.py`` and
``pypy3 native/build_ring.py`` (``scripts/install-deps`` runs both).

cffi's out-of-line API mode: the module is compiled C (the rings' core,
``wrappers/native/ferrite_ring.c``, and ``shm_io.c`` beside this file), called without
libffi, and named by the interpreter's ABI tag, so CPython's and PyPy's builds sit side
by side in the package. It is rebuilt only when a source is newer than it; ``--force``
rebuilds anyway.
"""

from __future__ import annotations

import importlib.machinery
import shutil
import sys
import tempfile
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
CORE = HERE.parents[1] / "native"
PACKAGE = HERE.parent / "ferrite_wrapper" / "transport"
MODULE = "_ring"
SOURCES = [CORE / "ferrite_ring.c", HERE / "shm_io.c"]
HEADERS = [CORE / "ferrite_ring.h", HERE / "shm_io.h"]

#: What Python calls: the status codes, opening a segment (and creating one, for the
#: tests' stand-in processor), and the blocking reads and writes.
CDEF = """
#define FERRITE_RING_MAGIC ...
#define FERRITE_RING_VERSION ...
#define FERRITE_RING_LINE ...
#define FERRITE_RING_DATA_OFFSET ...
#define FERRITE_RING_MIN_CAPACITY ...
#define FERRITE_RING_MAX_CAPACITY ...
#define FERRITE_RING_DOORBELL_BYTE ...
typedef enum { FERRITE_RING_OK, FERRITE_RING_E_IO, FERRITE_RING_E_CAPACITY,
               FERRITE_RING_E_LAYOUT, FERRITE_RING_E_ATTACHED, FERRITE_RING_E_NOMEM,
               ... } ferrite_ring_status;
typedef struct ferrite_ring_endpoint ferrite_ring_endpoint;
uint64_t ferrite_ring_segment_len(uint64_t capacity);
ferrite_ring_status ferrite_ring_create(const char *path, uint64_t capacity,
                                        ferrite_ring_endpoint **out, char *err,
                                        size_t err_len);
ferrite_ring_status ferrite_ring_open(const char *path, ferrite_ring_endpoint **out,
                                      char *err, size_t err_len);
void ferrite_ring_close(ferrite_ring_endpoint *endpoint);
uint64_t ferrite_ring_capacity(const ferrite_ring_endpoint *endpoint);

typedef struct ferrite_shm_io ferrite_shm_io;
ferrite_shm_io *ferrite_shm_io_new(ferrite_ring_endpoint *endpoint, int doorbell_fd,
                                   uint64_t spin_nanos, int timeout_ms);
void ferrite_shm_io_free(ferrite_shm_io *io);
ssize_t ferrite_shm_io_read(ferrite_shm_io *io, void *dst, size_t len);
int ferrite_shm_io_write(ferrite_shm_io *io, const void *src, size_t len,
                         size_t *written);
"""


def target() -> Path:
    """The module's file for this interpreter (``_ring.cpython-311-….so``, say)."""
    return PACKAGE / (MODULE + importlib.machinery.EXTENSION_SUFFIXES[0])


def up_to_date(built: Path) -> bool:
    if not built.exists():
        return False
    mtime = built.stat().st_mtime
    return all(s.stat().st_mtime <= mtime for s in [*SOURCES, *HEADERS, Path(__file__)])


def build() -> Path:
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(
        MODULE,
        '#include "shm_io.h"',
        sources=[str(s) for s in SOURCES],
        include_dirs=[str(CORE), str(HERE)],
        extra_compile_args=["-std=gnu11", "-O2"],
        libraries=["pthread"],
    )
    # Compiled in a scratch directory: only the module itself lands in the package.
    with tempfile.TemporaryDirectory(prefix="ferrite-cffi-") as scratch:
        built = Path(ffi.compile(tmpdir=scratch))
        out = target()
        shutil.copyfile(built, out.with_suffix(".tmp"))
        out.with_suffix(".tmp").replace(out)
    return out


def main(argv: list[str]) -> int:
    out = target()
    if "--force" not in argv and up_to_date(out):
        return 0
    print(f"build_ring: building {out.name} for {sys.executable}", file=sys.stderr)
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
