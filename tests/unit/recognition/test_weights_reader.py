"""The torch-free reader of legacy .pth files: reads the bundled weights, refuses anything else."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from shared.recognition.efficientnet.classifier import bundled_weights_path
from shared.recognition.efficientnet.weights import (
    LEGACY_MAGIC_NUMBER,
    LEGACY_PROTOCOL_VERSION,
    RestrictedUnpickler,
    WeightsFormatError,
    read_state_dict,
)

SYS_INFO = {"protocol_version": LEGACY_PROTOCOL_VERSION, "little_endian": True, "type_sizes": {}}


class RunsAShellCommand:
    """Unpickling this calls os.system, the classic pickle exploit."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def legacy_file(state: object) -> bytes:
    """A legacy-layout file whose state-dict pickle is `state` and which has no storages."""
    parts = (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, SYS_INFO, state, [])
    return b"".join(pickle.dumps(part, protocol=2) for part in parts)


@pytest.fixture(scope="module")
def state_dict() -> dict[str, np.ndarray]:
    return read_state_dict(bundled_weights_path())


def test_a_pickle_that_calls_os_system_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(legacy_file({"weight": RunsAShellCommand(f"touch {marker}")}))

    with pytest.raises(WeightsFormatError, match=r"forbidden global \w+\.system"):
        read_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize(("module", "name"), [("builtins", "eval"), ("torch", "load"), ("numpy", "ndarray")])
def test_the_unpickler_resolves_no_global_outside_its_allow_list(module, name):
    with pytest.raises(WeightsFormatError, match=f"{module}.{name}"):
        RestrictedUnpickler(io.BytesIO(b"")).find_class(module, name)


def test_a_state_dict_entry_that_is_not_a_tensor_is_refused(tmp_path):
    path = tmp_path / "plain.pth"
    path.write_bytes(legacy_file({"weight": 3}))

    with pytest.raises(WeightsFormatError, match="not a tensor"):
        read_state_dict(path)


def test_a_zip_format_checkpoint_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "new-format.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"")

    with pytest.raises(WeightsFormatError, match="zip-format"):
        read_state_dict(path)


def test_a_file_with_the_wrong_magic_number_is_refused(tmp_path):
    path = tmp_path / "other.pth"
    path.write_bytes(pickle.dumps(12345, protocol=2))

    with pytest.raises(WeightsFormatError, match="magic number"):
        read_state_dict(path)


def test_a_truncated_weights_file_is_refused(tmp_path):
    data = bundled_weights_path().read_bytes()
    path = tmp_path / "truncated.pth"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(WeightsFormatError, match="past the end"):
        read_state_dict(path)


def test_the_bundled_weights_hold_296_tensors_and_4694073_numbers(state_dict):
    assert len(state_dict) == 296
    assert sum(array.size for array in state_dict.values()) == 4_694_073


def test_the_stem_and_classifier_have_the_expected_shapes(state_dict):
    assert state_dict["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state_dict["_conv_stem.weight"].dtype == np.float32
    for part in ("weight", "bias", "running_mean", "running_var"):
        assert state_dict[f"_bn0.{part}"].shape == (32,)
    assert state_dict["_fc.weight"].shape == (1000, 1280)
    assert state_dict["_fc.bias"].shape == (1000,)


def test_batchnorm_counters_are_read_as_int64_scalars(state_dict):
    counter = state_dict["_bn0.num_batches_tracked"]

    assert counter.shape == () and counter.dtype == np.int64


def test_the_arrays_are_finite_and_own_their_memory(state_dict):
    weight = state_dict["_blocks.0._depthwise_conv.weight"]

    assert np.isfinite(weight).all()
    assert weight.flags.owndata and weight.flags.c_contiguous
    assert np.all(state_dict["_bn1.running_var"] > 0)
