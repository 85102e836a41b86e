"""The EfficientNet-Lite0 graph: TF-style padding, block layout, and shape checks on the weights."""

from __future__ import annotations

import numpy as np
import pytest

from shared.recognition.efficientnet.network import (
    build_model,
    expanded_blocks,
    same_padding,
)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "pads"),
    [
        (224, 3, 2, [0, 0, 1, 1]),  # stride 2: the odd pixel of padding goes at the end
        (112, 3, 2, [0, 0, 1, 1]),
        (56, 5, 2, [1, 1, 2, 2]),
        (14, 5, 2, [1, 1, 2, 2]),
        (112, 3, 1, [1, 1, 1, 1]),
        (14, 5, 1, [2, 2, 2, 2]),
        (7, 1, 1, [0, 0, 0, 0]),
    ],
)
def test_same_padding_matches_tensorflow(size, kernel, stride, pads):
    assert same_padding(size, kernel, stride) == pads


def test_lite0_has_sixteen_blocks_and_only_stage_starts_stride():
    blocks = expanded_blocks()

    assert len(blocks) == 16
    stage_strides = [[1], [2, 1], [2, 1], [2, 1, 1], [1, 1, 1], [2, 1, 1, 1], [1]]
    assert [b.stride for b in blocks] == [s for stage in stage_strides for s in stage]
    assert blocks[-1].out_channels == 320


def test_weights_of_the_wrong_shape_are_refused_by_name():
    weights = {"_conv_stem.weight": np.zeros((16, 3, 3, 3), np.float32)}

    with pytest.raises(ValueError, match=r"_conv_stem\.weight.*expected \(32, 3, 3, 3\)"):
        build_model(weights)


def test_missing_weights_are_refused_by_name():
    with pytest.raises(ValueError, match="_conv_stem.weight"):
        build_model({})
