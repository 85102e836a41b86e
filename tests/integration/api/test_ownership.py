"""Row 16 of RELIABILITY.md: another user's image ids behave exactly like unknown ids, on every id route."""

from __future__ import annotations

import pytest

from shared.domain.ids import new_id
from tests.integration.api.test_images import upload
from tests.support.images import solid


def id_routes(app) -> list[tuple[str, str]]:
    """Every (method, rule) of the app's URL map that takes an image id."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules() if "<image_id>" in rule.rule
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def test_the_url_map_has_the_expected_id_routes(app):
    assert id_routes(app) == [("DELETE", "/api/v1/images/<image_id>"), ("GET", "/api/v1/images/<image_id>"),
                              ("GET", "/api/v1/images/<image_id>/content")]


def test_user_b_gets_404_for_user_a_ids_on_every_id_route_and_a_is_unchanged(app, client, auth):
    alice = auth.headers("alice@example.com")
    bob = auth.headers("bob@example.com")
    image = upload(client, alice, solid()).get_json()
    for method, rule in id_routes(app):
        theirs = client.open(rule.replace("<image_id>", image["id"]), method=method, headers=bob)
        unknown = client.open(rule.replace("<image_id>", new_id()), method=method, headers=bob)
        assert (theirs.status_code, theirs.get_json()["title"]) == (404, "Not Found"), rule
        assert (theirs.get_json()["detail"], theirs.status_code) == (unknown.get_json()["detail"], 404)
    assert client.get(f"/api/v1/images/{image['id']}", headers=alice).get_json() == image
    assert client.get("/api/v1/images", headers=bob).get_json()["items"] == []


@pytest.mark.parametrize("image_id", ["not-a-uuid", "1' OR '1'='1", "%00", "x" * 300])
def test_malformed_ids_are_404(client, auth, image_id):
    assert client.get(f"/api/v1/images/{image_id}", headers=auth.headers()).status_code == 404
