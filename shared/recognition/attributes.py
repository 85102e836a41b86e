"""Cheap, deterministic tags about how an image looks: colour, brightness, orientation.

Colour and brightness are measured on a thumbnail about 64 pixels on its long
side (a box-filtered integer reduction), with channels scaled to [0, 1].
For each pixel, value = max(R, G, B) and chroma = max - min.  Thresholds:

============  ==========================================================
black         value < 0.20
white         chroma < 0.10 and value > 0.85
gray          chroma < 0.10 otherwise
brown         hue in [15, 45) degrees and value < 0.60
pink          hue in [320, 345), or a red hue with value > 0.80 and
              chroma/value < 0.50 (light red)
by hue        red [345, 15), orange [15, 45), yellow [45, 70),
              green [70, 165), blue [165, 260), purple [260, 320)
============  ==========================================================

Tags produced (confidence in brackets):

* the dominant colour name (the share of pixels that have that colour);
* ``bright`` when mean luminance (ITU-R 601 luma) >= 0.65 (the mean),
  ``dark`` when it is <= 0.25 (one minus the mean); pure red (0.30) and
  pure green (0.59) are neither, pure blue (0.11) is dark;
* ``grayscale`` when mean chroma <= 0.02 (1.0);
* ``landscape`` / ``portrait`` when one side is more than 5% longer than the
  other, else ``square`` (1.0).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from shared.recognition.recognizer import TagScore

THUMBNAIL_LONG_SIDE = 64
BLACK_MAX_VALUE = 0.20
ACHROMATIC_MAX_CHROMA = 0.10
WHITE_MIN_VALUE = 0.85
BROWN_MAX_VALUE = 0.60
BRIGHT_MIN_LUMINANCE = 0.65
DARK_MAX_LUMINANCE = 0.25
GRAYSCALE_MAX_CHROMA = 0.02
SQUARE_TOLERANCE = 1.05

PALETTE = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray")
RED, ORANGE, YELLOW, GREEN, BLUE, PURPLE, PINK, BROWN, BLACK, WHITE, GRAY = range(len(PALETTE))
# Upper hue bounds in degrees and the colour below each; red wraps around 0/360.
_HUE_BOUNDS = np.array([15.0, 45.0, 70.0, 165.0, 260.0, 320.0, 345.0], dtype=np.float32)
_HUE_CODES = np.array([RED, ORANGE, YELLOW, GREEN, BLUE, PURPLE, PINK, RED], dtype=np.uint8)


def describe(image: Image.Image) -> tuple[TagScore, ...]:
    """Return the colour, brightness, grayscale and orientation tags of an image."""
    pixels = _thumbnail_pixels(image)
    tags = [dominant_colour(pixels)]
    tags.extend(brightness(pixels))
    if float(np.mean(_value_and_chroma(pixels)[1])) <= GRAYSCALE_MAX_CHROMA:
        tags.append(TagScore("grayscale", 1.0))
    tags.append(orientation(*image.size))
    return tuple(tags)


def _thumbnail_pixels(image: Image.Image) -> np.ndarray:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # An integer box reduction is several times cheaper than a resampling resize.
    small = rgb.reduce(max(1, max(rgb.size) // THUMBNAIL_LONG_SIDE))
    return np.asarray(small, dtype=np.float32).reshape(-1, 3) / 255.0


def colour_codes(pixels: np.ndarray) -> np.ndarray:
    """Return the PALETTE index of each row of an (N, 3) array of RGB values in [0, 1]."""
    value, chroma = _value_and_chroma(pixels)
    codes = _HUE_CODES[np.searchsorted(_HUE_BOUNDS, _hue_degrees(pixels, value, chroma), side="right")]
    codes[(codes == ORANGE) & (value < BROWN_MAX_VALUE)] = BROWN
    codes[(codes == RED) & (value > 0.80) & (chroma < 0.50 * value)] = PINK
    achromatic = chroma < ACHROMATIC_MAX_CHROMA
    codes[achromatic] = np.where(value[achromatic] > WHITE_MIN_VALUE, WHITE, GRAY)
    codes[value < BLACK_MAX_VALUE] = BLACK
    return codes


def _value_and_chroma(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    red, green, blue = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    # Element-wise max/min over three columns beats a reduction along a length-3 axis.
    value = np.maximum(np.maximum(red, green), blue)
    return value, value - np.minimum(np.minimum(red, green), blue)


def _hue_degrees(pixels: np.ndarray, value: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    red, green, blue = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    safe = np.where(chroma > 0, chroma, 1.0)
    hue = np.where(value == red, ((green - blue) / safe) % 6.0, 0.0)
    hue = np.where((value == green) & (value != red), (blue - red) / safe + 2.0, hue)
    hue = np.where((value == blue) & (value != red) & (value != green), (red - green) / safe + 4.0, hue)
    return hue * 60.0


def dominant_colour(pixels: np.ndarray) -> TagScore:
    """Return the most common palette colour with its share of the pixels."""
    counts = np.bincount(colour_codes(pixels), minlength=len(PALETTE))
    best = int(np.argmax(counts))  # ties go to the earlier palette entry
    return TagScore(PALETTE[best], round(float(counts[best]) / len(pixels), 4))


def brightness(pixels: np.ndarray) -> list[TagScore]:
    """Return ``bright`` or ``dark`` (or nothing) from the mean luminance."""
    luminance = float(np.mean(pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)))
    if luminance >= BRIGHT_MIN_LUMINANCE:
        return [TagScore("bright", round(luminance, 4))]
    if luminance <= DARK_MAX_LUMINANCE:
        return [TagScore("dark", round(1.0 - luminance, 4))]
    return []


def orientation(width: int, height: int) -> TagScore:
    """Return ``landscape``, ``portrait`` or ``square`` for an image size."""
    if width > height * SQUARE_TOLERANCE:
        return TagScore("landscape", 1.0)
    if height > width * SQUARE_TOLERANCE:
        return TagScore("portrait", 1.0)
    return TagScore("square", 1.0)
