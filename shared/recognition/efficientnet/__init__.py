"""EfficientNet-Lite0, the bundled ImageNet classifier, run with onnxruntime and no torch."""

from __future__ import annotations

from shared.recognition.efficientnet.classifier import (
    EfficientNetLite0,
    bundled_weights_path,
)

__all__ = ["EfficientNetLite0", "bundled_weights_path"]
