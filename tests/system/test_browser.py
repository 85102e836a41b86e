"""The real page in headless Chromium against a running variant: what a person does, end to end.

Run: .venv/bin/python -m pytest tests/system/test_browser.py -q   (see docs/web-page.md)
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.images import phone_photo, photo
from tests.system.conftest import REPORTS_DIR

pytestmark = [pytest.mark.browser, pytest.mark.system]

COFFEE_LABELS = {"espresso", "cup", "coffee mug", "espresso maker", "coffeepot", "consomme"}
CAT_LABELS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat", "lynx"}
TAGGING_TIMEOUT_MS = 60_000


def card_for(page, filename: str):
    """The gallery card whose filename is exactly `filename`."""
    name = page.get_by_test_id("image-filename").get_by_text(filename, exact=True)
    return page.get_by_test_id("image-card").filter(has=name)


def tag_labels(card) -> list[str]:
    return card.get_by_test_id("image-tag").evaluate_all("nodes => nodes.map(n => n.dataset.label)")


def test_a_person_registers_uploads_sees_tags_filters_deletes_and_stays_signed_in(
        browser, live_stack, page, page_problems, tmp_path):
    from playwright.sync_api import expect

    email = f"browser-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct horse battery staple"
    # chelsea as a phone takes it: 12 megapixels, 2 MB, many reads of the server's multipart parser.
    files = {"coffee.jpg": photo("coffee"), "chelsea.jpg": phone_photo()}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    # Create an account (the page logs in straight after), log out, then log in with the same credentials.
    page.goto(live_stack.base_url + "/")
    expect(page.get_by_test_id("auth-panel")).to_be_visible()
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(password)
    page.get_by_test_id("register-button").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)
    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("auth-panel")).to_be_visible()
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(password)
    page.get_by_test_id("login-button").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)
    expect(page.get_by_test_id("app-panel")).to_be_visible()
    expect(page.get_by_test_id("gallery-empty")).to_be_visible()

    # Upload both photos at once through the file input.
    page.get_by_test_id("file-input").set_input_files([str(tmp_path / name) for name in files])
    uploads = page.get_by_test_id("upload-item")
    expect(uploads).to_have_count(2)
    for name in files:
        expect(uploads.and_(page.locator(f'[data-filename="{name}"]'))).to_have_attribute(
            "data-state", "done", timeout=20_000)

    # Each card reaches "done" by itself (the page polls) and shows its tags and thumbnail.
    cards = page.get_by_test_id("image-card")
    expect(cards).to_have_count(2)
    coffee, chelsea = card_for(page, "coffee.jpg"), card_for(page, "chelsea.jpg")
    for card in (coffee, chelsea):
        expect(card).to_have_attribute("data-status", "done", timeout=TAGGING_TIMEOUT_MS)
        expect(card.get_by_test_id("image-status")).to_have_text("Done")
        expect(card.get_by_test_id("image-thumb")).to_have_attribute("data-loaded", "true")
    expect(uploads.get_by_test_id("upload-status")).to_have_text(["Uploaded and tagged."] * 2)
    coffee_tags, chelsea_tags = tag_labels(coffee), tag_labels(chelsea)
    assert COFFEE_LABELS & set(coffee_tags), f"coffee.jpg was tagged {coffee_tags}"
    assert CAT_LABELS & set(chelsea_tags), f"chelsea.jpg was tagged {chelsea_tags}"
    expect(page.get_by_test_id("tag-filter-chip").first).to_be_visible()
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPORTS_DIR / "gallery.png"), full_page=True)

    # Clicking a tag on the coffee card shows only the images carrying it.
    label = next(t for t in coffee_tags if t in COFFEE_LABELS and t not in chelsea_tags)
    coffee.get_by_test_id("image-tag").and_(page.locator(f'[data-label="{label}"]')).get_by_role("button").click()
    expect(cards).to_have_count(1)
    expect(cards.get_by_test_id("image-filename")).to_have_text("coffee.jpg")
    expect(page.get_by_test_id("tag-filter-chip").and_(page.locator(f'[data-tag="{label}"]'))).to_have_attribute(
        "aria-pressed", "true")
    page.get_by_test_id("tag-filter-all").click()
    expect(cards).to_have_count(2)

    # Delete one image through the confirmation dialog.
    chelsea.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("confirm-cancel")).to_be_focused()
    page.get_by_test_id("confirm-delete").click()
    expect(dialog).to_be_hidden()
    expect(chelsea).to_have_count(0)
    expect(cards).to_have_count(1)

    # A reload keeps the session (sessionStorage) and shows what the server has: coffee only.
    page.reload()
    expect(page.get_by_test_id("user-email")).to_have_text(email)
    expect(page.get_by_test_id("auth-panel")).to_be_hidden()
    expect(cards).to_have_count(1)
    expect(coffee).to_have_attribute("data-status", "done")
    expect(coffee.get_by_test_id("image-thumb")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("error-message")).to_be_hidden()
    expect(page).to_have_title(re.compile("TwinTag"))
    page.screenshot(path=str(REPORTS_DIR / "after-reload.png"), full_page=True)

    assert not page_problems, str(page_problems)


def test_uploads_finish_under_a_filter_and_a_busy_server_is_waited_out(browser, live_stack, page, page_problems,
                                                                       tmp_path):
    from playwright.sync_api import expect

    for name, data in {"coffee.jpg": photo("coffee"), "chelsea.jpg": photo("chelsea")}.items():
        (tmp_path / name).write_bytes(data)
    page.goto(live_stack.base_url + "/")
    page.get_by_test_id("auth-email").fill(f"browser-{uuid.uuid4().hex[:12]}@example.com")
    page.get_by_test_id("auth-password").fill("correct horse battery staple")
    page.get_by_test_id("register-button").click()
    expect(page.get_by_test_id("app-panel")).to_be_visible()
    cards, uploads = page.get_by_test_id("image-card"), page.get_by_test_id("upload-status")

    # With a tag filter on, an upload the gallery does not show still reaches "tagged" in its row.
    page.get_by_test_id("file-input").set_input_files(str(tmp_path / "coffee.jpg"))
    coffee = card_for(page, "coffee.jpg")
    expect(coffee).to_have_attribute("data-status", "done", timeout=TAGGING_TIMEOUT_MS)
    label = next(t for t in tag_labels(coffee) if t in COFFEE_LABELS)
    coffee.get_by_test_id("image-tag").and_(page.locator(f'[data-label="{label}"]')).get_by_role("button").click()
    page.get_by_test_id("file-input").set_input_files(str(tmp_path / "chelsea.jpg"))
    expect(uploads).to_have_text(["Uploaded and tagged."] * 2, timeout=TAGGING_TIMEOUT_MS)
    expect(cards).to_have_count(1)  # the cat is not tagged with the coffee label

    # The server is busy when the gallery asks for its first page: the page offers to try again, and does not
    # claim there are no images.
    busy = {"status": 503, "headers": {"Retry-After": "1", "Content-Type": "application/problem+json"},
            "body": '{"type": "https://twintag.dev/problems/overloaded", "title": "Service Unavailable", '
                    '"status": 503, "detail": "TwinTag is busy."}'}
    page.route(re.compile(r".*/api/v1/images\?.*"), lambda route: route.fulfill(**busy), times=1)
    page.get_by_test_id("tag-filter-all").click()
    expect(page.get_by_test_id("error-message")).to_contain_text("TwinTag is busy.")
    expect(page.get_by_test_id("gallery-empty")).to_be_hidden()
    expect(page.get_by_test_id("load-more")).to_have_text("Try again")
    page.get_by_test_id("load-more").click()
    expect(cards).to_have_count(2)
    expect(page.get_by_test_id("load-more")).to_be_hidden()

    # Thumbnails asked for while the server sheds load are fetched again after its Retry-After.
    page.route(re.compile(r".*/api/v1/images/[^/]+/content$"), lambda route: route.fulfill(**busy), times=2)
    page.reload()
    expect(cards).to_have_count(2)
    for card in (coffee, card_for(page, "chelsea.jpg")):
        expect(card.get_by_test_id("image-thumb")).to_have_attribute("data-loaded", "true")
    assert not page_problems.page_errors and not page_problems.csp_violations, str(page_problems)
