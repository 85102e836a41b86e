"""Turn uploaded bytes into the network's input: decode, orient, resize, crop, normalise."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.recognition.efficientnet.interface import INPUT_SIZE
from shared.recognition.recognizer import RecognitionFailed

RESIZE_SHORT_SIDE = 256
CROP_SIZE = INPUT_SIZE
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0


def decode_image(data: bytes) -> Image.Image:
    """Decode image bytes into an upright RGB picture, or raise RecognitionFailed."""
    if not data:
        raise RecognitionFailed("cannot decode image: no bytes")
    try:
        picture = Image.open(io.BytesIO(data))
        # JPEG can decode at 1/2, 1/4 or 1/8 scale almost for free; ask for no less than we resize to.
        picture.draft("RGB", (RESIZE_SHORT_SIDE, RESIZE_SHORT_SIDE))
        picture = ImageOps.exif_transpose(picture)
        if picture.mode in ("I", "I;16", "I;16B", "I;16L"):
            # Pillow clips 16-bit values when converting to RGB; keep the high byte instead.
            picture = Image.fromarray((np.asarray(picture, dtype=np.uint32) >> 8).astype(np.uint8))
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            # What is seen, on the page's white: converting drops alpha and shows transparent pixels' hidden colour.
            rgba = picture.convert("RGBA")
            picture = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        return picture.convert("RGB")
    except UnidentifiedImageError as exc:
        raise RecognitionFailed(f"cannot decode image ({len(data)} bytes): not a supported image format") from exc
    except Exception as exc:  # Pillow reports damaged data with many exception types
        raise RecognitionFailed(f"cannot decode image ({len(data)} bytes): {exc}") from exc


def preprocess(image: Image.Image) -> np.ndarray:
    """Return the [1, 3, 224, 224] input: short side 256, centre crop 224, (x - 127) / 128."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    width, height = rgb.size
    scale = RESIZE_SHORT_SIDE / min(width, height)
    resized_w, resized_h = max(CROP_SIZE, round(width * scale)), max(CROP_SIZE, round(height * scale))
    left, top = round((resized_w - CROP_SIZE) / 2), round((resized_h - CROP_SIZE) / 2)
    # Resample only the centre crop's source box: resize-then-crop to within rounding, at half the work.
    x_scale, y_scale = resized_w / width, resized_h / height
    box = (left / x_scale, top / y_scale, (left + CROP_SIZE) / x_scale, (top + CROP_SIZE) / y_scale)
    # reducing_gap=3 pre-shrinks huge images by whole factors; Pillow documents it as indistinguishable.
    crop = rgb.resize((CROP_SIZE, CROP_SIZE), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    pixels = np.asarray(crop).transpose(2, 0, 1)[np.newaxis].astype(np.float32, order="C")
    pixels -= PIXEL_MEAN
    pixels /= PIXEL_SCALE
    return pixels
