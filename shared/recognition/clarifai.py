"""A Recognizer that asks a Clarifai-compatible HTTP service (the v2 predict API).

Request: ``POST {base_url}/v2/models/{model_id}/outputs`` with
``Authorization: Key {api_key}`` and
``{"inputs": [{"data": {"image": {"base64": "..."}}}]}``.
Answer: ``{"status": {"code": 10000, ...}, "outputs": [{"model": {"model_version":
{"id": ...}}, "data": {"concepts": [{"name": ..., "value": ...}]}}]}``.

The caller owns the ``httpx.Client`` and its timeout.  A service that cannot be reached, or says it is busy or
unavailable (429, 503), raises DependencyUnavailable, so the job is postponed without spending an attempt; any
other failure (a slow answer, a 500, a refusal) is RecognitionFailed, which uses one: an image that always makes
the service fail must end failed, not wait for ever.  No message names the service's URL or key: a failure's
reason is shown to the image's owner.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx

from shared.domain.errors import DependencyUnavailable
from shared.http.problems import parse_retry_after
from shared.recognition.recognizer import MAX_NAME_LENGTH, Recognition, RecognitionFailed, TagScore, clean_label

log = logging.getLogger("twintag.recognition")

STATUS_SUCCESS = 10000
UNREPORTED_VERSION = "unreported"


class ClarifaiRecognizer:
    """Tags images by calling a Clarifai-compatible v2 predict endpoint."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str,
        api_key: str,
        model_id: str = "general-image-recognition",
        min_confidence: float = 0.5,
        max_labels: int = 10,
    ) -> None:
        api_key = api_key.strip()  # a key read from a file often ends with a newline
        if not api_key or not all(" " < ch < "\x7f" for ch in api_key):
            raise ValueError("the Clarifai API key must be printable ASCII without spaces")
        self.client = client
        self.url = f"{base_url.rstrip('/')}/v2/models/{model_id}/outputs"
        self.api_key = api_key
        self.name = f"clarifai:{model_id}"[:MAX_NAME_LENGTH]
        self.version = UNREPORTED_VERSION  # replaced by the model version the service last reported
        self.min_confidence = min_confidence
        self.max_labels = max_labels

    def recognize(self, image: bytes) -> Recognition:
        """Send one image to the service and return its concepts as tags, best first."""
        body = _parse_body(self._post(image))
        status = body.get("status")
        code = status.get("code") if isinstance(status, dict) else None
        if code != STATUS_SUCCESS:
            raise RecognitionFailed(f"clarifai returned status {code}: {_description(body)}")
        tags, version = _parse_output(body)
        kept = [tag for tag in tags if tag.confidence >= self.min_confidence][: self.max_labels]
        self.version = version
        return Recognition(tags=tuple(kept), recognizer=self.name, version=version)

    def _post(self, image: bytes) -> httpx.Response:
        payload = {"inputs": [{"data": {"image": {"base64": base64.b64encode(image).decode("ascii")}}}]}
        headers = {"Authorization": f"Key {self.api_key}"}
        try:
            response = self.client.post(self.url, json=payload, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            log.warning("clarifai at %s is not reachable: %s", self.url, type(exc).__name__)
            raise DependencyUnavailable(f"clarifai is not reachable ({type(exc).__name__})") from exc
        except httpx.TimeoutException as exc:
            raise RecognitionFailed(f"clarifai did not answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise RecognitionFailed(f"clarifai's answer could not be read ({type(exc).__name__})") from exc
        if response.status_code in (429, 503):
            raise DependencyUnavailable(f"clarifai answered HTTP {response.status_code}",
                                        retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if not response.is_success:
            detail = _description(_try_json(response))
            raise RecognitionFailed(f"clarifai answered HTTP {response.status_code}: {detail}")
        return response


def _try_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _parse_body(response: httpx.Response) -> dict[str, Any]:
    body = _try_json(response)
    if not isinstance(body, dict):
        raise RecognitionFailed("clarifai answered with a body that is not a JSON object")
    return body


def _description(body: Any) -> str:
    status = body.get("status") if isinstance(body, dict) else None
    if isinstance(status, dict) and status.get("description"):
        details = status.get("details")
        return f"{status['description']} ({details})" if details else str(status["description"])
    return "no status description"


def _parse_output(body: dict[str, Any]) -> tuple[list[TagScore], str]:
    try:
        output = body["outputs"][0]
        concepts = output["data"].get("concepts", [])
        tags = [TagScore(label, _confidence(c["value"])) for c in concepts if (label := clean_label(c["name"]))]
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise RecognitionFailed(f"clarifai answer is malformed: {type(exc).__name__}: {exc}") from exc
    version = _dig(output, "model", "model_version", "id")
    tags.sort(key=lambda tag: tag.confidence, reverse=True)
    return tags, str(version)[:MAX_NAME_LENGTH] if version else UNREPORTED_VERSION


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _confidence(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"concept value {value!r} is not a number in [0, 1]")
    return float(value)
