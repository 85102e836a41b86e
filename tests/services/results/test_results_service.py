"""The results service alone: deliveries from recognition, once each, and tag queries scoped to the user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.domain.ids import new_id
from shared.results.index import ResultIndex
from shared.results.tables import ResultRow, ResultTagRow
from tests.support.results import result_objects, stored_document


@pytest.fixture
def results(build_service):
    return build_service("results")


@pytest.fixture
def client(results):
    return results[0].test_client()


@pytest.fixture
def recognition(keys) -> dict:
    return keys.service("recognition", "results")


def body(owner_id: str, *labels: str, **changes) -> dict:
    tags = [{"label": label, "confidence": round(0.9 - i / 10, 2)} for i, label in enumerate(labels or ("cat",))]
    return {"owner_id": owner_id, "recognizer": "efficientnet-lite0", "version": "1", "tags": tags, **changes}


def deliver(client, headers, owner_id: str, *labels: str, image_id: str | None = None) -> str:
    image_id = image_id or new_id()
    response = client.put(f"/v1/results/{image_id}", json=body(owner_id, *labels), headers=headers)
    assert response.status_code == 201, response.get_json()
    return image_id


def rows(service, table) -> int:
    with Session(service.engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_delivery_is_201_then_200_on_redelivery_with_exactly_one_row(client, results, recognition, user_id):
    image_id = new_id()
    first = client.put(f"/v1/results/{image_id}", json=body(user_id, "cat", "sofa"), headers=recognition)
    assert first.status_code == 201 and first.get_json() == {"image_id": image_id, "created": True}
    again = client.put(f"/v1/results/{image_id}", json=body(user_id, "dog"), headers=recognition)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert (rows(results[1], ResultRow), rows(results[1], ResultTagRow)) == (1, 2)


def test_a_redelivery_racing_the_first_with_another_result_leaves_the_first_rows_and_their_own_object(
        client, results, recognition, user_id, monkeypatch):
    image_id = deliver(client, recognition, user_id, "cat", "sofa")
    # The second delivery checked for a result before the first inserted one (two threads or two replicas).
    monkeypatch.setattr(ResultIndex, "has_result", lambda index, image_id: False)

    again = client.put(f"/v1/results/{image_id}", json=body(user_id, "dog"), headers=recognition)

    assert again.status_code == 200 and again.get_json()["created"] is False
    index = results[1].index
    assert [t.label for t in index.tags_for(user_id, [image_id])[image_id]] == ["cat", "sofa"]
    assert [t["label"] for t in stored_document(index, image_id)["tags"]] == ["cat", "sofa"]
    assert len(result_objects(index, image_id)) == 1  # the loser's object is gone


@pytest.mark.parametrize(("changes", "fields"), [
    ({"owner_id": "someone"}, {"owner_id"}),
    ({"recognizer": ""}, {"recognizer"}),
    ({"version": 3}, {"version"}),
    ({"tags": [{"label": "cat", "confidence": 1.5}]}, {"tags"}),
    ({"tags": [{"label": "", "confidence": 0.5}]}, {"tags"}),
    ({"tags": [{"label": "cat", "confidence": True}]}, {"tags"}),
    ({"tags": [{"label": "cat\x00", "confidence": 0.5}]}, {"tags"}),  # PostgreSQL cannot store a NUL in text
    ({"version": "v" * 101}, {"version"}),  # the column holds 100
    ({"tags": "cat"}, {"tags"}),
    ({"owner_id": None, "recognizer": None, "version": None, "tags": None},
     {"owner_id", "recognizer", "version", "tags"}),
])
def test_an_invalid_delivery_is_422_naming_each_bad_field(client, results, recognition, user_id, changes, fields):
    response = client.put(f"/v1/results/{new_id()}", json={**body(user_id), **changes}, headers=recognition)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.get_json()["errors"]} == fields
    assert rows(results[1], ResultRow) == 0


def test_a_label_delivered_twice_keeps_its_best_confidence_in_its_first_place(client, results, recognition, user_id):
    tags = [{"label": "cat", "confidence": 0.2}, {"label": "sofa", "confidence": 0.5},
            {"label": "cat", "confidence": 0.9}]
    image_id = new_id()
    response = client.put(f"/v1/results/{image_id}", json={**body(user_id), "tags": tags}, headers=recognition)
    assert response.status_code == 201
    found = results[1].index.tags_for(user_id, [image_id])[image_id]
    assert [(t.label, t.confidence) for t in found] == [("cat", 0.9), ("sofa", 0.5)]


def test_a_delivery_for_a_bad_image_id_or_a_non_object_body_is_422(client, recognition, user_id):
    bad_id = client.put("/v1/results/not-an-id", json=body(user_id), headers=recognition)
    assert bad_id.status_code == 422 and bad_id.get_json()["errors"][0]["field"] == "image_id"
    not_object = client.put(f"/v1/results/{new_id()}", json=[1], headers=recognition)
    assert not_object.status_code == 422 and not_object.get_json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("caller", ["none", "user", "uploads", "recognition_for_uploads", "results_itself"])
def test_deliveries_need_recognitions_token_for_results(client, results, keys, user_id, caller):
    headers = {"none": {}, "user": keys.user(user_id), "uploads": keys.service("uploads", "results"),
               "recognition_for_uploads": keys.service("recognition", "uploads"),
               "results_itself": keys.service("results", "results")}[caller]
    assert client.put(f"/v1/results/{new_id()}", json=body(user_id), headers=headers).status_code == 401
    assert rows(results[1], ResultRow) == 0


def test_recognition_withdraws_any_owners_result_and_withdrawing_twice_is_fine(client, results, recognition,
                                                                              user_id):
    image_id = deliver(client, recognition, user_id, "cat", "sofa")
    for _ in range(2):
        assert client.delete(f"/v1/recognition/results/{image_id}", headers=recognition).status_code == 204
    assert (rows(results[1], ResultRow), rows(results[1], ResultTagRow)) == (0, 0)
    assert result_objects(results[1].index, image_id) == []


@pytest.mark.parametrize("caller", ["none", "owner", "uploads_for_results", "recognition_for_uploads"])
def test_only_recognition_may_withdraw_a_result(client, results, keys, recognition, user_id, caller):
    image_id = deliver(client, recognition, user_id, "cat")
    headers = {"none": {}, "owner": keys.user(user_id), "uploads_for_results": keys.service("uploads", "results"),
               "recognition_for_uploads": keys.service("recognition", "uploads")}[caller]
    assert client.delete(f"/v1/recognition/results/{image_id}", headers=headers).status_code == 401
    assert rows(results[1], ResultRow) == 1


def test_tags_for_returns_only_the_users_own_results(client, keys, recognition, user_id, other_user_id):
    mine = deliver(client, recognition, user_id, "cat", "sofa")
    theirs = deliver(client, recognition, other_user_id, "cat")
    found = client.get("/v1/results", query_string={"image_ids": f"{mine},{theirs},junk"},
                       headers=keys.user(user_id)).get_json()["items"]
    assert list(found) == [mine] and [t["label"] for t in found[mine]] == ["cat", "sofa"]


def test_images_by_tag_are_the_users_own_newest_first_before_an_id(client, keys, recognition, user_id,
                                                                    other_user_id):
    older, newer = deliver(client, recognition, user_id, "cat"), deliver(client, recognition, user_id, "cat")
    deliver(client, recognition, other_user_id, "cat")
    deliver(client, recognition, user_id, "dog")
    query = lambda **q: client.get("/v1/images-by-tag", query_string={"label": "cat", **q},  # noqa: E731
                                   headers=keys.user(user_id))
    assert query().get_json()["image_ids"] == [newer, older]
    assert query(before=newer).get_json()["image_ids"] == [older]
    assert query(limit="1").get_json()["image_ids"] == [newer]


@pytest.mark.parametrize("query", [{}, {"label": ""}, {"label": "x" * 201}, {"label": "cat", "before": "junk"},
                                   {"label": "cat", "limit": "0"}])
def test_images_by_tag_with_bad_parameters_is_422(client, keys, user_id, query):
    response = client.get("/v1/images-by-tag", query_string=query, headers=keys.user(user_id))
    assert response.status_code == 422


def test_tag_counts_are_the_users_own(client, keys, recognition, user_id, other_user_id):
    deliver(client, recognition, user_id, "cat", "sofa")
    deliver(client, recognition, user_id, "cat")
    deliver(client, recognition, other_user_id, "dog", "cat")
    counts = client.get("/v1/tags", headers=keys.user(user_id)).get_json()["items"]
    assert counts == [{"label": "cat", "count": 2}, {"label": "sofa", "count": 1}]


def test_delete_forgets_only_the_users_own_result_and_is_idempotent(client, results, keys, recognition, user_id,
                                                                    other_user_id):
    image_id = deliver(client, recognition, user_id, "cat")
    assert client.delete(f"/v1/results/{image_id}", headers=keys.user(other_user_id)).status_code == 204
    assert rows(results[1], ResultRow) == 1
    for _ in range(2):
        assert client.delete(f"/v1/results/{image_id}", headers=keys.user(user_id)).status_code == 204
    assert (rows(results[1], ResultRow), rows(results[1], ResultTagRow)) == (0, 0)
    assert client.get("/v1/tags", headers=keys.user(user_id)).get_json()["items"] == []


def test_a_delivery_after_the_owner_deleted_the_image_is_200_and_stores_nothing(client, results, keys, recognition,
                                                                             user_id, other_user_id):
    deleted, someone_elses_delete = new_id(), new_id()
    assert client.delete(f"/v1/results/{deleted}", headers=keys.user(user_id)).status_code == 204
    assert client.delete(f"/v1/results/{someone_elses_delete}", headers=keys.user(other_user_id)).status_code == 204

    late = client.put(f"/v1/results/{deleted}", json=body(user_id, "cat"), headers=recognition)
    assert late.status_code == 200 and late.get_json() == {"image_id": deleted, "created": False}
    assert (rows(results[1], ResultRow), result_objects(results[1].index, deleted)) == (0, [])
    # Another user's delete of an id that is not theirs refuses nothing.
    deliver(client, recognition, user_id, "dog", image_id=someone_elses_delete)
    assert client.get("/v1/tags", headers=keys.user(user_id)).get_json()["items"] == [{"label": "dog", "count": 1}]


def test_forgetting_something_that_is_not_an_id_is_422(client, keys, user_id):
    response = client.delete("/v1/results/not-an-id", headers=keys.user(user_id))
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "image_id"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/results?image_ids=x"), ("GET", "/v1/tags"),
                                              ("GET", "/v1/images-by-tag?label=cat"), ("DELETE", "/v1/results/x")])
def test_user_queries_refuse_service_tokens(client, keys, method, path):
    for headers in ({}, keys.service("recognition", "results")):
        assert client.open(path, method=method, headers=headers).status_code == 401
