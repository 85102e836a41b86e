"""Consumer tests: each runs a real client adapter from shared/clients/ against a Pact mock of its provider.

Every passing test merges its interactions into a pact file in a temp directory. The last test of each module
compares that file with the committed one in contracts/pacts/ (drift fails with what changed). With
TWINTAG_RECORD_PACTS=1 (what `twintag contracts record` sets) it writes the committed file instead.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from twintag.contracts import PACTS_DIR, pact_drift

RECORDING = os.environ.get("TWINTAG_RECORD_PACTS") == "1"


class PactRecorder:
    """Collects what the consumer tests of this session recorded, per consumer-provider pair."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.recorded_by: dict[tuple[str, str], set[str]] = defaultdict(set)

    def keep(self, pact, test_id: str) -> None:
        pact.write_file(self.directory)  # merges into <consumer>-<provider>.json
        self.recorded_by[(pact.consumer, pact.provider)].add(test_id)

    def check(self, request: pytest.FixtureRequest, consumer: str, provider: str) -> None:
        """Compare (or, when recording, replace) the committed pact once every test of the module has run."""
        module_id = request.node.nodeid.split("::")[0]
        expected = {f"{module_id}::{name}" for name in dir(request.module)
                    if name.startswith("test_") and name != request.node.name}
        missing = expected - self.recorded_by[(consumer, provider)]
        if missing:
            pytest.skip(f"{len(missing)} consumer test(s) of this module did not pass in this run, so the pact "
                        f"cannot be compared: {', '.join(sorted(m.split('::')[1] for m in missing))}")
        name = f"{consumer}-{provider}.json"
        if RECORDING:
            PACTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.directory / name, PACTS_DIR / name)
            return
        changes = pact_drift(self.directory / name, PACTS_DIR / name)
        assert not changes, (
            f"contracts/pacts/{name} no longer says what the {consumer} relies on:\n- " + "\n- ".join(changes) +
            "\nIf the change is intended, record it (`twintag contracts record`) and verify the provider "
            f"(`twintag contracts verify {provider}`) before you merge.")


@pytest.fixture(scope="session")
def pact_recorder(tmp_path_factory) -> PactRecorder:
    return PactRecorder(tmp_path_factory.mktemp("recorded-pacts"))


@pytest.fixture
def mock_provider(pact_recorder, request):
    """`with mock_provider(pact) as url:` serves the pact's interactions; on success they are recorded."""

    @contextmanager
    def serve(pact) -> Iterator[str]:
        with pact.serve(addr="127.0.0.1") as server:
            yield str(server.url).rstrip("/")
        pact_recorder.keep(pact, request.node.nodeid)

    return serve
