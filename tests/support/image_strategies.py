"""Hypothesis strategies for upload bodies: small valid JPEG/PNG/GIF/WebP files, and hostile mutations of them."""

from __future__ import annotations

import io
import random

from hypothesis import strategies as st
from PIL import Image

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MAGIC = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n", "GIF": b"GIF89a", "WEBP": b"RIFF\0\0\0\0WEBP"}
_MODES = {"JPEG": ("RGB", "L", "CMYK"), "PNG": ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"),
          "GIF": ("P", "L", "RGB"), "WEBP": ("RGB", "RGBA")}


@st.composite
def valid_images(draw, fmt: str | None = None) -> bytes:
    """A small image encoded by Pillow, with noise, sometimes EXIF orientation, progressive or animated."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    mode = draw(st.sampled_from(_MODES[fmt]))
    size = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    noise = random.Random(draw(st.integers(0, 2**32))).randbytes(size[0] * size[1] * 4)
    image = Image.frombytes("RGBA", size, noise).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = image.convert("I").convert("I;16")
    params: dict = {}
    if fmt != "GIF" and draw(st.booleans()):
        exif = Image.Exif()
        exif[0x0112] = draw(st.integers(0, 9))  # Orientation, including out-of-range values
        params["exif"] = exif.tobytes()
    if fmt == "JPEG":
        params.update(quality=draw(st.integers(5, 95)), progressive=draw(st.booleans()))
    elif fmt in ("GIF", "WEBP", "PNG") and draw(st.booleans()):
        params.update(save_all=True, append_images=[image.transpose(Image.Transpose.ROTATE_180)], duration=50)
    if fmt == "WEBP":
        params["lossless"] = draw(st.booleans())
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _flip(draw, data: bytes, magic: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        buffer[draw(st.integers(min(len(magic), len(buffer) - 1), len(buffer) - 1))] ^= draw(st.integers(1, 255))
    return bytes(buffer)


def _truncate(draw, data: bytes, magic: bytes) -> bytes:
    return data[:draw(st.integers(0, len(data) - 1))]


def _duplicate(draw, data: bytes, magic: bytes) -> bytes:
    start = draw(st.integers(0, len(data) - 1))
    end = draw(st.integers(start + 1, min(len(data), start + 512)))
    at = draw(st.integers(min(len(magic), len(data)), len(data)))
    return data[:at] + data[start:end] * draw(st.integers(1, 3)) + data[at:]


def _header(draw, data: bytes, magic: bytes) -> bytes:
    """Overwrite bytes just after the magic number, where sizes, depths and chunk lengths live."""
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(min(len(magic), len(buffer) - 1), min(len(buffer) - 1, len(magic) + 40)))
        buffer[at] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
    return bytes(buffer)


def _garbage_after_magic(draw, data: bytes, magic: bytes) -> bytes:
    return magic + draw(st.binary(max_size=600))


def _append(draw, data: bytes, magic: bytes) -> bytes:
    return data + draw(st.binary(min_size=1, max_size=200))


MUTATIONS = (_flip, _truncate, _duplicate, _header, _garbage_after_magic, _append)


@st.composite
def mutated_images(draw, fmt: str | None = None) -> bytes:
    """A valid image after one to three mutations: flips, truncation, duplication, header edits, garbage."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    data = draw(valid_images(fmt))
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        if len(data) < 2:
            break
        data = mutate(draw, data, MAGIC[fmt])
    return data
