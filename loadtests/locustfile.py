"""One Locust scenario set for either variant: the host (monolith or gateway) is chosen on the command line.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 --headless -u 10 -r 5 -t 60s

Besides each endpoint, the time from upload to tags is reported as its own entry, "upload -> tags".
"""

from __future__ import annotations

import io
import random
import time
import uuid

from locust import FastHttpUser, between, events, task
from PIL import Image

PALETTE = ["red", "green", "blue", "orange", "purple", "white", "black", "yellow"]
TAG_WAIT_SECONDS = 30


def small_jpeg(color: str) -> bytes:
    """A small photo-sized JPEG with some texture (the classifier still has real work to do)."""
    image = Image.effect_noise((320, 240), 40).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, color), 0.6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


SAMPLES = {color: small_jpeg(color) for color in PALETTE}


class GalleryUser(FastHttpUser):
    """A user who browses, uploads and waits for tags, and filters by tag."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        email, password = f"load-{uuid.uuid4().hex[:12]}@example.com", "load-test-password"
        self.client.post("/api/v1/users", json={"email": email, "password": password}, name="register")
        token = self.client.post("/api/v1/tokens", json={"email": email, "password": password}, name="log in")
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.image_ids: list[str] = []

    @task(5)
    def browse(self) -> None:
        self.client.get("/api/v1/images?limit=20", headers=self.headers, name="list images")

    @task(5)
    def view_one(self) -> None:
        if self.image_ids:
            image_id = random.choice(self.image_ids)
            self.client.get(f"/api/v1/images/{image_id}", headers=self.headers, name="get image")

    @task(2)
    def filter_by_tag(self) -> None:
        tags = self.client.get("/api/v1/tags", headers=self.headers, name="tags").json().get("items", [])
        if tags:
            label = random.choice(tags)["label"]
            self.client.get("/api/v1/images", params={"tag": label}, headers=self.headers, name="list by tag")

    @task(1)
    def upload_and_wait_for_tags(self) -> None:
        started = time.perf_counter()
        color = random.choice(PALETTE)
        response = self.client.post("/api/v1/images", headers=self.headers, name="upload",
                                    files={"file": (f"{color}.jpg", SAMPLES[color], "image/jpeg")})
        if response.status_code != 202:
            return
        image_id = response.json()["id"]
        self.image_ids.append(image_id)
        self._wait_for_tags(image_id, started)

    def _wait_for_tags(self, image_id: str, started: float) -> None:
        while time.perf_counter() - started < TAG_WAIT_SECONDS:
            status = self.client.get(f"/api/v1/images/{image_id}", headers=self.headers, name="poll image")
            if status.status_code == 200 and status.json()["status"] in ("done", "failed"):
                events.request.fire(request_type="FLOW", name="upload -> tags", context={}, exception=None,
                                    response_time=1000 * (time.perf_counter() - started), response_length=0)
                return
            time.sleep(0.1)
        events.request.fire(request_type="FLOW", name="upload -> tags", context={}, response_length=0,
                            response_time=1000 * TAG_WAIT_SECONDS, exception=TimeoutError("no tags in time"))
