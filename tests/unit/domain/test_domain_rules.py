"""The domain's rules: ids, account fields, filenames and query parameters (no I/O)."""

from __future__ import annotations

import time
import uuid

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.ids import is_id, new_id
from shared.domain.images import ImageStatus, clean_filename, page_size, status_filter
from shared.domain.users import check_credentials


def test_ids_are_uuid_version_7_and_sort_by_creation_time():
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert uuid.UUID(first).version == 7 and is_id(first)
    assert first < second


@pytest.mark.parametrize("text", ["", "abc", "01A22348-F10C-7C77-84CE-083E66D59AE6", "../../etc/passwd", "x" * 36,
                                  "01a22348-f10c-7c77-84ce-083e66d59ae6\n"])
def test_only_lower_case_uuids_are_ids(text):
    assert not is_id(text)


def test_credentials_are_normalized():
    assert check_credentials("  Ada@Example.COM ", "long enough") == ("ada@example.com", "long enough")


def test_every_problem_with_credentials_is_reported_at_once():
    with pytest.raises(InvalidInput) as caught:
        check_credentials("nope", "short")
    assert [e["field"] for e in caught.value.errors] == ["email", "password"]


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\cat.jpg", "cat.jpg"), ("a\x00b\nc.jpg", "abc.jpg"),
    ("", "image"), (None, "image"), ("x" * 300, "x" * 255),
])
def test_filenames_are_display_only(raw, shown):
    assert clean_filename(raw) == shown


@pytest.mark.parametrize(("raw", "size"), [(None, 20), ("", 20), ("1", 1), ("100", 100)])
def test_page_size_accepts_1_to_100(raw, size):
    assert page_size(raw) == size


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten", "1.5"])
def test_page_size_rejects_everything_else(raw):
    with pytest.raises(InvalidInput):
        page_size(raw)


def test_status_filter_knows_the_four_statuses():
    assert status_filter("done") is ImageStatus.DONE and status_filter(None) is None
    with pytest.raises(InvalidInput):
        status_filter("finished")
