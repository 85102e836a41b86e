"""The bundled EfficientNet-Lite0 against the original network's outputs on real photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from shared.imaging.intake import clean_image
from shared.recognition.efficientnet import classifier, network
from shared.recognition.efficientnet.classifier import EfficientNetLite0
from shared.recognition.efficientnet.imaging import decode_image
from shared.recognition.recognizer import RecognitionFailed
from tests.support.blackbox import CAT_LABELS
from tests.support.images import encode, photo, sample

# Top-3 softmax probabilities of the original PyTorch network on PNG-encoded scikit-image samples.
REFERENCE_TOP3 = {
    "coffee": [("espresso", 0.957), ("cup", 0.014), ("consomme", 0.007)],
    "chelsea": [("tiger cat", 0.383), ("Egyptian cat", 0.370), ("tabby", 0.161)],
    "camera": [("tripod", 0.944)],
    "rocket": [("missile", 0.381), ("projectile", 0.253)],
}
COFFEE_LABELS = {"espresso", "cup", "coffee mug", "espresso maker", "coffeepot"}


def refuse_to_build(weights):
    raise AssertionError("the model was rebuilt although a cached copy existed")


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory) -> EfficientNetLite0:
    model = EfficientNetLite0(cache_dir=tmp_path_factory.mktemp("model-cache"))
    model.warm_up()
    return model


@pytest.mark.parametrize("name", sorted(REFERENCE_TOP3))
def test_top_classes_match_the_original_network(recognizer, name):
    expected = REFERENCE_TOP3[name]

    top = recognizer.classify(decode_image(photo(name, "PNG")), top_k=len(expected))

    assert [tag.label for tag in top] == [label for label, _ in expected]
    assert [tag.confidence for tag in top] == pytest.approx([p for _, p in expected], abs=0.01)


def test_a_jpeg_of_coffee_is_tagged_with_a_coffee_label_first(recognizer):
    recognition = recognizer.recognize(photo("coffee", "JPEG"))

    assert recognition.tags[0].label in COFFEE_LABELS
    assert recognition.tags[0].confidence > 0.5
    assert recognition.recognizer == "efficientnet-lite0"


def test_recognize_keeps_labels_above_the_threshold_then_adds_attribute_tags(recognizer):
    tags = recognizer.recognize(photo("chelsea", "PNG")).tags

    assert [tag.label for tag in tags[:3]] == ["tiger cat", "Egyptian cat", "tabby"]
    assert all(tag.confidence >= 0.10 for tag in tags[:3])
    assert "landscape" in [tag.label for tag in tags[3:]]


def test_the_version_names_the_weights_by_their_hash(recognizer):
    assert recognizer.weights_sha256.startswith("57934424")
    assert recognizer.weights_sha256[:12] in recognizer.version
    assert recognizer.recognize(photo("camera", "PNG")).version == recognizer.version


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not an image", photo("coffee", "JPEG")[:300], b"\x89PNG\r\n\x1a\n" + b"\x00" * 64],
    ids=["empty", "text", "truncated-jpeg", "png-header-only"],
)
def test_corrupt_bytes_raise_recognition_failed(recognizer, data):
    with pytest.raises(RecognitionFailed, match="cannot decode image"):
        recognizer.recognize(data)


def test_tiny_and_sixteen_bit_images_are_recognized(recognizer):
    tiny = encode(Image.new("RGB", (9, 7), "green"), "PNG")
    deep = encode(Image.fromarray(np.full((40, 40), 60000, dtype=np.uint16)), "PNG")

    assert "green" in [tag.label for tag in recognizer.recognize(tiny).tags]
    assert "white" in [tag.label for tag in recognizer.recognize(deep).tags]


def test_a_sixteen_bit_grey_upload_is_stored_losslessly_and_recognized(recognizer):
    """A 16-bit greyscale PNG (scientific and scanning tools write them) once came out of the upload's
    re-encoding all white: Pillow clips 16-bit values when it converts to 8-bit colour."""
    grey = np.asarray(sample("chelsea").convert("L"), dtype=np.uint16) * 257
    upload = encode(Image.fromarray(grey), "PNG")

    stored = clean_image(upload, max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(stored.content))), grey)
    labels = [tag.label for tag in recognizer.recognize(stored.content).tags]
    assert set(labels) & CAT_LABELS and "white" not in labels, labels


def test_the_model_is_built_once_per_process(recognizer):
    again = EfficientNetLite0()
    again.warm_up()

    assert again.model_origin == "process"


def test_a_cached_onnx_file_is_reused_instead_of_rebuilding(tmp_path, monkeypatch):
    monkeypatch.setattr(classifier, "_built_models", {})
    first = EfficientNetLite0(cache_dir=tmp_path)
    first.warm_up()
    [cached] = tmp_path.glob("*.onnx")
    assert first.model_origin == "built" and first.weights_sha256 in cached.name

    monkeypatch.setattr(classifier, "_built_models", {})
    monkeypatch.setattr(network, "build_model", refuse_to_build)
    second = EfficientNetLite0(cache_dir=tmp_path)

    assert second.recognize(photo("coffee", "JPEG")).tags[0].label in COFFEE_LABELS
    assert second.model_origin == "cache"


@pytest.mark.parametrize("damage", [b"half a model", b""], ids=["garbage", "empty"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setattr(classifier, "_built_models", {})
    recognizer = EfficientNetLite0(cache_dir=tmp_path)
    cached = tmp_path / f"efficientnet-lite0-r{classifier.NETWORK_REVISION}-{recognizer.weights_sha256}.onnx"
    cached.write_bytes(damage)

    recognizer.warm_up()

    assert recognizer.model_origin == "built"
    assert cached.stat().st_size > 10_000_000
