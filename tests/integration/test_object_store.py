"""The local object store on a real directory: what a crash mid-write leaves, and how start-up clears it."""

from __future__ import annotations

import importlib
import os
import time

import pytest

from shared.settings import settings_in
from shared.storage.objects import ORPHAN_AGE_SECONDS, LocalObjectStore


def leftover(store: LocalObjectStore, name: str, age_seconds: float):
    """A temporary file as a writer killed mid-write leaves it, last modified `age_seconds` ago."""
    path = store.root / "images" / f".tmp-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half an image")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_start_up_sweeps_old_leftovers_and_keeps_writes_that_may_still_run(tmp_path):
    store = LocalObjectStore(tmp_path / "objects")
    store.put("images/a", b"whole")
    old = leftover(store, "old", ORPHAN_AGE_SECONDS + 60)
    recent = leftover(store, "recent", 5)
    assert store.sweep_orphans() == 1
    assert not old.exists() and recent.exists()
    assert store.get("images/a") == b"whole"
    assert store.orphans() == [recent]


@pytest.mark.parametrize("deployable", ["monolith", "microservices.uploads", "microservices.results"])
def test_each_deployable_that_writes_objects_sweeps_them_when_it_starts(tmp_path, deployable):
    settings = settings_in(tmp_path, database_name=deployable.rsplit(".", 1)[-1])
    store = LocalObjectStore(settings.object_store_dir)
    old, recent = leftover(store, "old", ORPHAN_AGE_SECONDS + 60), leftover(store, "recent", 5)
    importlib.import_module(f"{deployable}.bootstrap").prepare(settings)
    assert not old.exists() and recent.exists()
