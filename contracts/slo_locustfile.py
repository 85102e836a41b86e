"""The light, steady load `twintag sla check` drives through the public API (either variant).

Unlike loadtests/locustfile.py (a realistic mix that waits for tags), each user here sends a fixed number of
requests per second, so the objectives in microservices/<svc>/slo.yaml are measured at the rate they state.
Each request is named "METHOD /path/template", exactly as the objectives name their endpoints.

    TWINTAG_SLA_RPS_PER_USER=2 locust -f contracts/slo_locustfile.py --headless -u 5 -r 5 -t 20s --host URL
"""

from __future__ import annotations

import io
import os
import random
import uuid

from locust import FastHttpUser, constant_throughput, task
from PIL import Image

RPS_PER_USER = float(os.environ.get("TWINTAG_SLA_RPS_PER_USER", "2"))


def small_png(seed: int) -> bytes:
    """A small image with some texture (recognition has real work to do, but not much)."""
    image = Image.effect_noise((96, 72), 30 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SAMPLES = [small_png(seed) for seed in range(4)]


class SteadyUser(FastHttpUser):
    """Registers and logs in once, then browses, reads and occasionally uploads, at a steady rate."""

    wait_time = constant_throughput(RPS_PER_USER)

    def on_start(self) -> None:
        credentials = {"email": f"sla-{uuid.uuid4().hex[:12]}@example.com", "password": "sla-check-password"}
        self.client.post("/api/v1/users", json=credentials, name="POST /api/v1/users")
        token = self.client.post("/api/v1/tokens", json=credentials, name="POST /api/v1/tokens").json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        self.image_ids: list[str] = []
        self.labels: list[str] = []
        self.upload()

    @task(6)
    def list_images(self) -> None:
        self.client.get("/api/v1/images?limit=20", headers=self.headers, name="GET /api/v1/images")

    @task(4)
    def get_image(self) -> None:
        if self.image_ids:
            self.client.get(f"/api/v1/images/{random.choice(self.image_ids)}", headers=self.headers,
                            name="GET /api/v1/images/{image_id}")

    @task(2)
    def tags(self) -> None:
        response = self.client.get("/api/v1/tags", headers=self.headers, name="GET /api/v1/tags")
        if response.status_code == 200:
            self.labels = [item["label"] for item in response.json()["items"]]

    @task(1)
    def filter_by_tag(self) -> None:
        if self.labels:  # the same endpoint as a page of images; the gateway then asks results for the ids
            self.client.get("/api/v1/images", params={"tag": random.choice(self.labels), "limit": 20},
                            headers=self.headers, name="GET /api/v1/images")

    @task(1)
    def me(self) -> None:
        self.client.get("/api/v1/users/me", headers=self.headers, name="GET /api/v1/users/me")

    @task(1)
    def upload(self) -> None:
        response = self.client.post("/api/v1/images", headers=self.headers, name="POST /api/v1/images",
                                    files={"file": ("sla.png", random.choice(SAMPLES), "image/png")})
        if response.status_code == 202:
            self.image_ids.append(response.json()["id"])
