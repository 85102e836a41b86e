"""Pick and build the configured image-recognition backend."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared.recognition.recognizer import Recognizer

BACKENDS = ("efficientnet", "clarifai")
# Used only when the caller brings no client: connecting should be quick, predicting may not be.
DEFAULT_CLARIFAI_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def build_recognizer(
    backend: str = "efficientnet",
    *,
    cache_dir: str | Path | None = None,
    clarifai_url: str | None = None,
    clarifai_api_key: str | None = None,
    clarifai_model: str = "general-image-recognition",
    http_client: httpx.Client | None = None,
) -> Recognizer:
    """Return the recognizer named by backend; raise ValueError for an unknown or misconfigured one."""
    if backend == "efficientnet":
        # Imported here so processes that use another backend never load onnx or onnxruntime.
        from shared.recognition.efficientnet import EfficientNetLite0

        return EfficientNetLite0(cache_dir=cache_dir)
    if backend == "clarifai":
        from shared.recognition.clarifai import ClarifaiRecognizer

        if not clarifai_url or not clarifai_api_key:
            raise ValueError("the clarifai backend needs clarifai_url and clarifai_api_key")
        client = http_client or httpx.Client(timeout=DEFAULT_CLARIFAI_TIMEOUT)
        return ClarifaiRecognizer(client, base_url=clarifai_url, api_key=clarifai_api_key, model_id=clarifai_model)
    raise ValueError(f"unknown recognizer backend {backend!r}; expected one of {', '.join(BACKENDS)}")
