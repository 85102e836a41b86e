"""Image bytes for tests: generated with Pillow, or real photos from scikit-image's bundled samples."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    """Return the image encoded in a format."""
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def solid(color: str = "red", size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A one-colour image."""
    return encode(Image.new("RGB", size, color), fmt)


def sample(name: str) -> Image.Image:
    """One of scikit-image's sample photos (coffee, chelsea, astronaut, rocket, camera)."""
    from skimage import data

    return Image.fromarray(getattr(data, name)())


def photo(name: str, fmt: str = "JPEG") -> bytes:
    """One of scikit-image's sample photos, encoded."""
    return encode(sample(name), fmt)


def phone_photo() -> bytes:
    """A photo the size a phone takes: a 12-megapixel cat with a sensor's grain, about 2 MB of JPEG (the
    samples above are under 64 KiB, one read of a multipart parser)."""
    pixels = np.asarray(sample("chelsea").resize((4000, 3000), Image.Resampling.BICUBIC), np.int16)
    grain = np.random.default_rng(7).integers(-6, 7, pixels.shape, dtype=np.int16)
    return encode(Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8)), "JPEG", quality=92)
