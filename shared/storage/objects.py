"""Objects by key, written whole or not at all, readable right after a write."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Protocol

from shared.domain.errors import NotFound, StorageFull

# Keys are made by the system (ids), never from user input; this shape keeps them inside the root.
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9._-]*)*$")
ORPHAN_AGE_SECONDS = 600.0  # a temporary file this old belongs to no running write


class ObjectStore(Protocol):
    """Store and fetch opaque bytes by key."""

    def put(self, key: str, data: bytes) -> None:
        """Write the whole object, replacing any previous one."""
        ...

    def get(self, key: str) -> bytes:
        """Return the object's bytes or raise NotFound."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object if present."""
        ...


def check_key(key: str) -> str:
    """Return the key if it is a well-formed system key, else raise ValueError."""
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"invalid object key: {key!r}")
    return key


class LocalObjectStore:
    """An ObjectStore in a directory: temporary file, fsync, rename, then fsync of the directory."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Write the whole object atomically; on a full disk leave nothing behind and raise StorageFull."""
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            if tmp is not None:
                _remove_quietly(tmp)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull("The object store is out of space; nothing was stored.") from exc
            raise

    def get(self, key: str) -> bytes:
        """Return the object's bytes or raise NotFound."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"No object {key}.") from exc

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error (deletes are retried)."""
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def orphans(self) -> list[Path]:
        """List temporary files: writes in progress, or left behind by a process killed in the middle of one."""
        return sorted(self.root.rglob(".tmp-*"))

    def sweep_orphans(self, older_than: float = ORPHAN_AGE_SECONDS) -> int:
        """Remove temporary files older than `older_than` seconds (no write takes that long); return how many.

        Only a process killed mid-write (kill -9, power loss) leaves one; it was never visible as an object.
        Younger files may belong to a write still running in another process sharing the store.
        """
        cutoff, removed = time.time() - older_than, 0
        for path in self.orphans():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # renamed into place or removed by its writer meanwhile
                pass
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
