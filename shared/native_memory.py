"""glibc's allocator under threaded workers: a cap on its arenas, and freed memory handed back.

glibc gives each new thread its own malloc arena, up to 8 per CPU. A gthread worker's request threads and the
recognition threads each fragment their own arena, so a worker's RSS keeps creeping up under steady load
(docs/performance.md, section 9; decision 0011). Two arenas are enough under the GIL. Elsewhere (macOS, musl)
these functions do nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's <malloc.h>
DEFAULT_ARENA_MAX = 2


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def limit_malloc_arenas(environ: Mapping[str, str] = os.environ) -> int | None:
    """Cap the arenas at DEFAULT_ARENA_MAX, unless MALLOC_ARENA_MAX already set a cap; return the cap set.

    Call it before the process starts threads: glibc fixes the cap when a second thread first allocates.
    """
    libc = _glibc()
    if libc is None or "MALLOC_ARENA_MAX" in environ:  # glibc read the variable itself at start-up
        return None
    return DEFAULT_ARENA_MAX if libc.mallopt(M_ARENA_MAX, DEFAULT_ARENA_MAX) == 1 else None


def release_free_memory() -> None:
    """Hand memory that is free but still held by the allocator back to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
