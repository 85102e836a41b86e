"""Read-heavy Locust scenario: authenticated GET /api/v1/images/{id} and nothing else, in a closed loop.

    locust -f loadtests/locust_reads.py --host http://127.0.0.1:8000 --headless -u 8 -r 8 -t 20s

With TWINTAG_READS_SEED naming a JSON file {"token": "...", "image_ids": ["..."]} (loadtests/compare.py writes one),
every user reads those already-tagged images; without it each user registers, uploads one image and waits for its
tags before it starts reading (that setup is then part of the run).
"""

from __future__ import annotations

import io
import json
import os
import random
import time
import uuid

from locust import FastHttpUser, constant, task
from PIL import Image

SEED_ENV = "TWINTAG_READS_SEED"
READ_NAME = "GET /api/v1/images/{id}"
SETUP_TIMEOUT = 30.0


def small_jpeg() -> bytes:
    """A small textured JPEG to seed a user with when no seed file is given."""
    out = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


class ImageReader(FastHttpUser):
    """Reads one of its tagged images again and again, without pause: throughput is the server's capacity."""

    wait_time = constant(0)

    def on_start(self) -> None:
        seed = os.environ.get(SEED_ENV)
        if seed:
            data = json.loads(open(seed, encoding="utf-8").read())
            self.headers = {"Authorization": f"Bearer {data['token']}"}
            self.image_ids = list(data["image_ids"])
        else:
            self.headers, self.image_ids = self._seed_self()

    @task
    def read_image(self) -> None:
        self.client.get(f"/api/v1/images/{random.choice(self.image_ids)}", headers=self.headers, name=READ_NAME)

    def _seed_self(self) -> tuple[dict, list[str]]:
        email, password = f"reads-{uuid.uuid4().hex[:12]}@example.com", "load-test-password"
        self.client.post("/api/v1/users", json={"email": email, "password": password}, name="setup: register")
        token = self.client.post("/api/v1/tokens", json={"email": email, "password": password}, name="setup: log in")
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        image_id = self.client.post("/api/v1/images", headers=headers, name="setup: upload",
                                    files={"file": ("seed.jpg", small_jpeg(), "image/jpeg")}).json()["id"]
        deadline = time.monotonic() + SETUP_TIMEOUT
        while time.monotonic() < deadline:
            status = self.client.get(f"/api/v1/images/{image_id}", headers=headers, name="setup: poll").json()
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        return headers, [image_id]
