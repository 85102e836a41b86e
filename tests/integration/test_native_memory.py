"""The cap on glibc's malloc arenas that every gunicorn deployable sets (shared/native_memory.py), with real threads.

Each case runs in a fresh interpreter: glibc fixes the cap the first time a second thread allocates.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="malloc arenas are glibc's; elsewhere the cap is a no-op")

REPOSITORY = Path(__file__).resolve().parents[2]
# Starts 6 threads that allocate and stay alive together, then prints how many arenas malloc_info reports.
COUNT_ARENAS = textwrap.dedent("""
    import ctypes, os, sys, tempfile, threading
    {setup}
    barrier = threading.Barrier(7)
    def allocate():
        blocks = [bytearray(256 * 1024) for _ in range(4)]
        barrier.wait()
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    barrier.wait()
    libc = ctypes.CDLL("libc.so.6")
    libc.fopen.restype = ctypes.c_void_p
    path = tempfile.NamedTemporaryFile(delete=False).name
    stream = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    barrier.wait()
    print(open(path).read().count("<heap nr="))
    os.unlink(path)
""")


def arenas_after(setup: str, env: dict[str, str] | None = None) -> int:
    script = COUNT_ARENAS.format(setup=setup)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=REPOSITORY, env={"PATH": "/usr/bin:/bin", **(env or {})})
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_without_the_cap_each_thread_gets_an_arena_of_its_own():
    # The control case: if this did not hold, the next tests would prove nothing.
    assert arenas_after("") > 4


def test_the_cap_holds_every_thread_to_two_arenas():
    assert arenas_after("from shared.native_memory import limit_malloc_arenas\nassert limit_malloc_arenas() == 2") <= 2


def test_loading_the_gunicorn_settings_sets_the_cap():
    assert arenas_after("import shared.service.gunicorn_base") <= 2


def test_a_cap_set_by_the_environment_is_left_to_glibc():
    setup = "from shared.native_memory import limit_malloc_arenas\nassert limit_malloc_arenas() is None"
    assert arenas_after(setup, {"MALLOC_ARENA_MAX": "3"}) == 3
