"""What the network takes and gives back; kept apart from network.py so serving never imports onnx."""

from __future__ import annotations

INPUT_SIZE = 224
NUM_CLASSES = 1000
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
