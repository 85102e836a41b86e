"""Row 26 of RELIABILITY.md: thousands of mutated or truncated images never crash intake, the API or the worker."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from monolith.app import create_app
from monolith.bootstrap import prepare
from shared.domain.errors import PayloadTooLarge, UnprocessableImage, UnsupportedImageType
from shared.imaging.intake import clean_image
from shared.settings import settings_in
from tests.integration.api.test_images import upload
from tests.support.app import AuthActions
from tests.support.image_strategies import FORMATS, mutated_images, seed_pool

DOMAIN_ERRORS = (UnsupportedImageType, UnprocessableImage, PayloadTooLarge)
# Lower than production's 40 MP, so a tiny file declaring a huge canvas costs milliseconds; the property is the same.
LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 2_000_000}
# Derandomized and without the example database: CI replays exactly the same inputs on every run.
FUZZ = settings(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One monolith on SQLite in a temp dir, its test client and a user's bearer header (registered once)."""
    settings = settings_in(tmp_path_factory.mktemp("mutated") / "data", max_upload_bytes=LIMITS["max_bytes"],
                           max_pixels=LIMITS["max_pixels"])
    prepare(settings)
    app = create_app(settings)
    client = app.test_client()
    yield client, AuthActions(client).headers()
    app.extensions["twintag.monolith"].engine.dispose()


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """The real EfficientNet-Lite0 recognizer the workers run."""
    from shared.recognition.factory import build_recognizer

    return build_recognizer("efficientnet", cache_dir=tmp_path_factory.mktemp("model"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_seed_image_is_accepted_before_it_is_mutated(fmt):
    for data in seed_pool(fmt):
        assert clean_image(data, **LIMITS).content


@pytest.mark.parametrize("fmt", FORMATS)
@settings(FUZZ, max_examples=260)
@given(draw=st.data())
def test_a_mutated_upload_is_accepted_or_refused_with_a_problem_never_a_server_error(served, fmt, draw):
    client, headers = served
    response = upload(client, headers, draw.draw(mutated_images(fmt), label="body"), name="mutant.bin")
    assert response.status_code in (202, 413, 415, 422), response.get_data(as_text=True)
    if response.status_code == 202:
        assert response.get_json()["content_type"] in ("image/jpeg", "image/png")
    else:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


@pytest.mark.parametrize("fmt", FORMATS)
@settings(FUZZ, max_examples=750)
@given(draw=st.data())
def test_clean_image_returns_a_decodable_image_or_raises_a_domain_error(fmt, draw):
    try:
        clean = clean_image(draw.draw(mutated_images(fmt), label="body"), **LIMITS)
    except DOMAIN_ERRORS:
        return
    with Image.open(io.BytesIO(clean.content)) as reopened:
        reopened.load()
        assert (reopened.width, reopened.height) == (clean.width, clean.height)
        assert Image.MIME[reopened.format] == clean.content_type


@settings(FUZZ, max_examples=50)
@given(body=mutated_images())
def test_an_accepted_mutant_classifies_without_error(classifier, body):
    try:
        clean = clean_image(body, **LIMITS)
    except DOMAIN_ERRORS:
        assume(False)
    recognition = classifier.recognize(clean.content)
    assert recognition.tags
    assert all(0 <= tag.confidence <= 1 for tag in recognition.tags)
