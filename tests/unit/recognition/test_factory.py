"""Choosing the recognition backend by name."""

from __future__ import annotations

import httpx
import pytest

from shared.recognition.clarifai import ClarifaiRecognizer
from shared.recognition.factory import build_recognizer


def test_an_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="unknown recognizer backend 'tensorflow'"):
        build_recognizer("tensorflow")


def test_clarifai_without_url_or_key_is_a_value_error():
    with pytest.raises(ValueError, match="clarifai_url and clarifai_api_key"):
        build_recognizer("clarifai", clarifai_url="", clarifai_api_key="k")


def test_clarifai_uses_the_injected_client_and_model():
    with httpx.Client(timeout=1.0) as client:
        recognizer = build_recognizer(
            "clarifai", clarifai_url="http://127.0.0.1:9/", clarifai_api_key="k", clarifai_model="food",
            http_client=client,
        )

        assert isinstance(recognizer, ClarifaiRecognizer)
        assert recognizer.client is client
        assert recognizer.name == "clarifai:food"
        assert recognizer.url == "http://127.0.0.1:9/v2/models/food/outputs"


def test_the_default_backend_is_the_bundled_classifier():
    recognizer = build_recognizer()

    assert recognizer.name == "efficientnet-lite0"
