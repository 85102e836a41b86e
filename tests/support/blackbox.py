"""A small client for black-box tests of the public API over real HTTP (the same for both variants)."""

from __future__ import annotations

import time
import uuid

import httpx

COFFEE_LABELS = {"espresso", "cup", "coffee mug", "consomme", "eggnog"}
CAT_LABELS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat", "lynx"}


class ApiUser:
    """One registered user talking to a running variant."""

    def __init__(self, base_url: str, email: str | None = None, password: str = "correct horse battery"):
        self.http = httpx.Client(base_url=base_url, timeout=30.0)
        self.email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
        registered = self.http.post("/api/v1/users", json={"email": self.email, "password": password})
        assert registered.status_code == 201, registered.text
        token = self.http.post("/api/v1/tokens", json={"email": self.email, "password": password})
        assert token.status_code == 200, token.text
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def upload(self, data: bytes, name: str = "photo.jpg", **headers) -> httpx.Response:
        """POST one image."""
        return self.http.post("/api/v1/images", files={"file": (name, data, "application/octet-stream")},
                              headers=headers)

    def wait_until_finished(self, image_id: str, timeout: float = 60.0) -> dict:
        """Poll the image until recognition is done or failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            image = self.http.get(f"/api/v1/images/{image_id}").json()
            if image["status"] in ("done", "failed"):
                return image
            time.sleep(0.1)
        raise AssertionError(f"image {image_id} still {image['status']} after {timeout} s")

    def close(self) -> None:
        self.http.close()
