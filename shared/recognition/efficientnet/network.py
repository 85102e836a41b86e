"""Build EfficientNet-Lite0 as an ONNX graph from its state-dict arrays.

The architecture mirrors ``efficientnet-lite-pytorch`` 0.1.0 (itself a port of
the TensorFlow reference) for ``efficientnet-lite0`` at 224x224:

=====  =======  ======  ======  ======  ===========  ======
stage  repeats  kernel  stride  expand  channels     output
=====  =======  ======  ======  ======  ===========  ======
stem   1        3x3     2       -       3 -> 32      112
1      1        3x3     1       1       32 -> 16     112
2      2        3x3     2       6       16 -> 24     56
3      2        5x5     2       6       24 -> 40     28
4      3        3x3     2       6       40 -> 80     14
5      3        5x5     1       6       80 -> 112    14
6      4        5x5     2       6       112 -> 192   7
7      1        3x3     1       6       192 -> 320   7
head   1        1x1     1       -       320 -> 1280  7
pool   1        -       -       -       1280         1
fc     1        -       -       -       1280 -> 1000 logits
=====  =======  ======  ======  ======  ===========  ======

``pool`` is a global average; dropout (training only) is left out.

Each block is MBConv without squeeze-and-excitation: 1x1 expand conv (absent
when expand is 1), depthwise kxk conv (the stride is on the first block of a
stage only), 1x1 projection conv with no activation, and a residual add when
stride is 1 and channels are unchanged.  Every conv is followed by batchnorm
(eps 1e-3); the activation is ReLU6.  Lite keeps stem (32) and head (1280)
widths fixed, and no width or depth scaling applies at lite0.

Padding is TensorFlow "SAME": total padding ``(ceil(n/s)-1)*s + k - n`` with
the odd pixel at the end (bottom/right), computed statically for 224x224 as
the PyTorch port does.  So a stride-2 3x3 conv pads (0, 1) and a stride-2 5x5
conv pads (1, 2).  Batchnorm is folded into each conv's weights and bias.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from shared.recognition.efficientnet.interface import INPUT_NAME, INPUT_SIZE, NUM_CLASSES, OUTPUT_NAME

BN_EPSILON = 1e-3
OPSET = 17
# IR 8 is what opset 17 shipped with; pinning it keeps older onnxruntime builds happy.
IR_VERSION = 8


@dataclass(frozen=True)
class Stage:
    """One row of the block table: a run of identical MBConv blocks."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int


STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
STAGES = (
    Stage(1, 3, 1, 1, 32, 16),
    Stage(2, 3, 2, 6, 16, 24),
    Stage(2, 5, 2, 6, 24, 40),
    Stage(3, 3, 2, 6, 40, 80),
    Stage(3, 5, 1, 6, 80, 112),
    Stage(4, 5, 2, 6, 112, 192),
    Stage(1, 3, 1, 6, 192, 320),
)


def same_padding(size: int, kernel: int, stride: int) -> list[int]:
    """Return ONNX pads [top, left, bottom, right] for TF-style SAME on a square input."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    before = total // 2
    return [before, before, total - before, total - before]


def expanded_blocks() -> list[Stage]:
    """Return the 16 blocks in order; only a stage's first block strides or changes width."""
    blocks = []
    for stage in STAGES:
        blocks.append(stage)
        for _ in range(stage.repeats - 1):
            blocks.append(Stage(1, stage.kernel, 1, stage.expand, stage.out_channels, stage.out_channels))
    return blocks


class _GraphBuilder:
    """Accumulates nodes and initializers; each method returns its output tensor name."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.initializers.append(numpy_helper.from_array(np.array(0.0, np.float32), "relu6_min"))
        self.initializers.append(numpy_helper.from_array(np.array(6.0, np.float32), "relu6_max"))

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Fetch one state-dict array and check its shape against the architecture."""
        if name not in self.weights:
            raise ValueError(f"weights lack {name!r}: not an EfficientNet-Lite0 state dict")
        value = np.asarray(self.weights[name], dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"weights {name!r} have shape {value.shape}, expected {shape}")
        return value

    def conv_bn(
        self, x: str, conv: str, bn: str, shape: tuple[int, ...], stride: int, size: int, groups: int = 1
    ) -> str:
        """Add a bias-free conv followed by batchnorm, folded into one Conv node."""
        out_ch, _, kernel, _ = shape
        weight = self.array(f"{conv}.weight", shape)
        gamma = self.array(f"{bn}.weight", (out_ch,))
        beta = self.array(f"{bn}.bias", (out_ch,))
        mean = self.array(f"{bn}.running_mean", (out_ch,))
        var = self.array(f"{bn}.running_var", (out_ch,))
        scale = gamma / np.sqrt(var + BN_EPSILON)
        self._constant(f"{conv}.folded_weight", weight * scale[:, None, None, None])
        self._constant(f"{conv}.folded_bias", beta - mean * scale)
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, f"{conv}.folded_weight", f"{conv}.folded_bias"],
                [conv],
                name=conv,
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=same_padding(size, kernel, stride),
                group=groups,
            )
        )
        return conv

    def relu6(self, x: str) -> str:
        """Add a ReLU6, which ONNX spells Clip(0, 6)."""
        out = f"{x}.relu6"
        self.nodes.append(helper.make_node("Clip", [x, "relu6_min", "relu6_max"], [out], name=out))
        return out

    def add(self, a: str, b: str, name: str) -> str:
        """Add the residual connection of a block."""
        self.nodes.append(helper.make_node("Add", [a, b], [name], name=name))
        return name

    def _constant(self, name: str, value: np.ndarray) -> None:
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))


def _mbconv(g: _GraphBuilder, x: str, index: int, block: Stage, size: int) -> tuple[str, int]:
    prefix = f"_blocks.{index}"
    hidden = block.in_channels * block.expand
    y = x
    if block.expand != 1:
        shape = (hidden, block.in_channels, 1, 1)
        y = g.relu6(g.conv_bn(y, f"{prefix}._expand_conv", f"{prefix}._bn0", shape, 1, size))
    shape = (hidden, 1, block.kernel, block.kernel)
    y = g.relu6(g.conv_bn(y, f"{prefix}._depthwise_conv", f"{prefix}._bn1", shape, block.stride, size, hidden))
    size = math.ceil(size / block.stride)
    shape = (block.out_channels, hidden, 1, 1)
    y = g.conv_bn(y, f"{prefix}._project_conv", f"{prefix}._bn2", shape, 1, size)
    if block.stride == 1 and block.in_channels == block.out_channels:
        y = g.add(y, x, f"{prefix}.residual")
    return y, size


def build_model(weights: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """Return a checked ONNX model mapping image [N,3,224,224] to logits [N,1000]."""
    g = _GraphBuilder(weights)
    size = INPUT_SIZE
    x = g.relu6(g.conv_bn(INPUT_NAME, "_conv_stem", "_bn0", (STEM_CHANNELS, 3, 3, 3), 2, size))
    size = math.ceil(size / 2)
    for index, block in enumerate(expanded_blocks()):
        x, size = _mbconv(g, x, index, block, size)
    x = g.relu6(g.conv_bn(x, "_conv_head", "_bn1", (HEAD_CHANNELS, STAGES[-1].out_channels, 1, 1), 1, size))
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1))
    g._constant("fc.weight", g.array("_fc.weight", (NUM_CLASSES, HEAD_CHANNELS)))
    g._constant("fc.bias", g.array("_fc.bias", (NUM_CLASSES,)))
    g.nodes.append(
        helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], [OUTPUT_NAME], name="fc", transB=1)
    )
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", NUM_CLASSES])],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="twintag", ir_version=IR_VERSION
    )
    onnx.checker.check_model(model)
    return model
