"""Read a PyTorch *legacy* (pre-1.6, non-zip) ``.pth`` state dict with numpy alone.

The legacy layout is five pickles in a row (magic number, protocol version,
sys-info dict, the state dict, the list of storage keys) followed, for each
storage key in that order, by a little-endian int64 element count and the raw
little-endian element data.  The state-dict pickle names storages by persistent
id ``('storage', <torch.XStorage>, key, location, numel[, view])`` and builds
tensors with ``torch._utils._rebuild_tensor_v2``.

Unpickling runs code named by the file, so the unpickler here resolves only
the handful of names a plain state dict needs and refuses everything else.
"""

from __future__ import annotations

import collections
import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class WeightsFormatError(ValueError):
    """The file is not a plain legacy PyTorch state dict this reader accepts."""


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, offset, size, stride, *_ignored) -> _TensorRef:
    # The storage bytes come after this pickle, so only remember where to look.
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only resolves the globals a legacy state dict uses."""

    def find_class(self, module: str, name: str):
        """Return a harmless stand-in for an allowed global, refuse all others."""
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise WeightsFormatError(f"weights file references forbidden global {module}.{name}")

    def persistent_load(self, pid):
        """Turn a storage persistent id into a reference resolved after unpickling."""
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise WeightsFormatError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise WeightsFormatError(f"unsupported storage type {storage_type!r}")
        if len(pid) == 6 and pid[5] is not None:
            raise WeightsFormatError("storage views are not supported")
        return _StorageRef(str(key), storage_type.dtype, int(numel))


def _load(stream: io.BytesIO) -> object:
    return RestrictedUnpickler(stream).load()


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Return the tensors of a legacy ``.pth`` file as name -> numpy array."""
    data = Path(path).read_bytes()
    if data[:2] == b"PK":
        raise WeightsFormatError(f"{path} is a zip-format checkpoint; only the legacy format is read")
    stream = io.BytesIO(data)
    try:
        if _load(stream) != LEGACY_MAGIC_NUMBER:
            raise WeightsFormatError(f"{path} is not a legacy PyTorch file (bad magic number)")
        if _load(stream) != LEGACY_PROTOCOL_VERSION:
            raise WeightsFormatError(f"{path} has an unsupported protocol version")
        sys_info = _load(stream)
        state = _load(stream)
        storage_keys = _load(stream)
    except (pickle.UnpicklingError, EOFError) as exc:
        raise WeightsFormatError(f"{path} is not a readable legacy PyTorch file: {exc}") from exc
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise WeightsFormatError(f"{path} was not written on a little-endian machine")
    if not isinstance(state, dict):
        raise WeightsFormatError(f"{path} does not hold a state dict")
    storages = _read_storages(data, stream.tell(), storage_keys, state.values())
    return {name: _materialise(ref, storages) for name, ref in state.items()}


def _read_storages(data: bytes, position: int, keys: list, refs) -> dict[str, np.ndarray]:
    dtypes = {ref.storage.key: ref.storage.dtype for ref in refs if isinstance(ref, _TensorRef)}
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in dtypes:
            raise WeightsFormatError(f"storage {key!r} is not used by any tensor")
        numel = int(np.frombuffer(data, "<i8", count=1, offset=position)[0])
        dtype = dtypes[key]
        end = position + 8 + numel * dtype.itemsize
        if end > len(data):
            raise WeightsFormatError(f"storage {key!r} runs past the end of the file")
        storages[key] = np.frombuffer(data, dtype, count=numel, offset=position + 8)
        position = end
    return storages


def _materialise(ref: object, storages: dict[str, np.ndarray]) -> np.ndarray:
    if not isinstance(ref, _TensorRef):
        raise WeightsFormatError(f"state dict entry {ref!r} is not a tensor")
    flat = storages[ref.storage.key]
    last = ref.offset + sum((size - 1) * step for size, step in zip(ref.shape, ref.stride, strict=True))
    if min(ref.shape, default=1) > 0 and not (0 <= ref.offset and last < flat.size):
        raise WeightsFormatError(f"tensor reaches outside storage {ref.storage.key!r}")
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset :],
        shape=ref.shape,
        strides=tuple(step * flat.dtype.itemsize for step in ref.stride),
        writeable=False,
    )
    # Copy so each array owns contiguous memory and the file buffer can be freed.
    return np.array(view, copy=True, order="C")
