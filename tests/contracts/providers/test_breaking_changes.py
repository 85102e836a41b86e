"""A break must say whom it breaks: a provider built from a patched copy of the code is verified against the pacts.

Renaming a field that consumers read fails verification, naming each consumer and interaction; adding an optional
field breaks nobody (consumers ignore what they do not read).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from twintag.contracts import REPO, verify_provider

pytestmark = pytest.mark.contracts
REPRESENTATIONS = Path("shared/api/representations.py")
FILENAME_LINE = '"filename": image.filename,'


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    """shared/, microservices/ and contracts/ copied, so a change can be tried without touching the repository."""
    root = tmp_path / "twintag"
    for name in ("shared", "microservices", "contracts"):
        skip = shutil.ignore_patterns("__pycache__", "pacts", "verifications")
        shutil.copytree(REPO / name, root / name, ignore=skip)
    return root


def patch(root: Path, old: str, new: str) -> None:
    path = root / REPRESENTATIONS
    text = path.read_text()
    assert text.count(old) == 1, f"{REPRESENTATIONS} changed: update this test's patch"
    path.write_text(text.replace(old, new))


def test_renaming_a_field_fails_verification_naming_each_consumer_and_interaction(copy_of_the_code, tmp_path):
    patch(copy_of_the_code, FILENAME_LINE, '"file_name": image.filename,')
    verification = verify_provider("uploads", tmp_path / "work", root=copy_of_the_code)
    assert not verification.passed
    report = verification.report()
    assert "breaks consumer gateway: interaction 'a request for one of the user's images'" in report
    assert "breaks consumer recognition: interaction 'a request to start recognizing an image'" in report
    assert "missing the following keys: filename" in report
    broken = {(p.pact.consumer, i.description) for p in verification.pacts for i in p.interactions if not i.passed}
    assert ("gateway", "a request for a page of the user's pending images") in broken
    assert ("gateway", "a request to delete one of the user's images") not in broken  # it reads no image body


def test_adding_an_optional_field_breaks_nobody(copy_of_the_code, tmp_path):
    patch(copy_of_the_code, FILENAME_LINE, FILENAME_LINE + ' "checksum": "sha256:0",')
    verification = verify_provider("uploads", tmp_path / "work", root=copy_of_the_code)
    assert verification.passed, verification.report()
