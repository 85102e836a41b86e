"""Benchmark the bundled classifier: decode + resize + inference, and inference alone, per image.

Usage: python loadtests/bench_classify.py [--images N] [--threads 1] [--format JPEG|PNG]
Runs single-process on scikit-image's sample photos and prints median / p95 milliseconds and images/s.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np
import onnxruntime as ort
from PIL import Image
from skimage import data as samples

from shared.recognition.efficientnet.classifier import EfficientNetLite0
from shared.recognition.efficientnet.imaging import decode_image, preprocess

SAMPLES = ("coffee", "chelsea", "astronaut", "rocket", "camera")
WARM_UP_IMAGES = 10


def encoded_samples(fmt: str) -> list[bytes]:
    """Return the sample photos encoded as they would be uploaded."""
    encoded = []
    for name in SAMPLES:
        out = io.BytesIO()
        Image.fromarray(getattr(samples, name)()).save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        encoded.append(out.getvalue())
    return encoded


def time_one(model: EfficientNetLite0, image: bytes) -> tuple[float, float, float]:
    """Return seconds for decode + resize + inference, for inference alone, and for recognize()."""
    start = time.perf_counter()
    batch = preprocess(decode_image(image))
    inference_start = time.perf_counter()
    model.probabilities(batch)
    end = time.perf_counter()
    model.recognize(image)
    return end - start, end - inference_start, time.perf_counter() - end


def summary(label: str, seconds: list[float]) -> str:
    """Format median and p95 in milliseconds."""
    ms = np.array(seconds) * 1000
    return f"{label:<34} median {np.median(ms):6.2f} ms   p95 {np.percentile(ms, 95):6.2f} ms"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="timed images (the samples are cycled)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--format", default="JPEG", choices=["JPEG", "PNG"], help="encoding of the samples")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    model = EfficientNetLite0(intra_op_num_threads=args.threads)
    model.warm_up()
    print(f"model ready in {time.perf_counter() - started:.2f} s ({model.model_origin}), version {model.version}")
    images = encoded_samples(args.format)
    for i in range(WARM_UP_IMAGES):
        time_one(model, images[i % len(images)])

    timings = [time_one(model, images[i % len(images)]) for i in range(args.images)]
    full, inference, recognize_extra = (list(column) for column in zip(*timings, strict=True))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, onnxruntime {ort.__version__}, "
          f"load {os.getloadavg()[0]:.2f}, intra-op threads {args.threads}, {args.images} {args.format} images")
    print(summary("decode + resize + inference", full))
    print(summary("inference alone", inference))
    print(summary("recognize() (adds attribute tags)", recognize_extra))
    print(f"throughput (decode+resize+inference): {1 / statistics.fmean(full):.1f} images/s on one process")


if __name__ == "__main__":
    main()
