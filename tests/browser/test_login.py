"""Optional password login (PROMOPILOT_PASSWORD): the chat is behind Chainlit's login page, nothing before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, serve

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory) -> Iterator[App]:
    """The app with a password and no CHAINLIT_AUTH_SECRET: app.py makes one, so it still starts."""
    with serve(tmp_path_factory.mktemp("locked-app"), PROMOPILOT_USER="marketer", PROMOPILOT_PASSWORD="s3cret!") as app:
        yield app


def test_the_chat_needs_the_password(page: Page, locked_app, artifacts):
    config = page.request.get(f"{locked_app.url}/auth/config").json()
    assert config["requireLogin"] is True and config["passwordAuth"] is True

    page.goto(locked_app.url)
    expect(page).to_have_url(f"{locked_app.url}/login", timeout=TIMEOUT)
    page.locator("#email").fill("marketer")
    page.locator("#password").fill("wrong")
    page.locator("button[type=submit]").click()
    expect(page.get_by_text("Unable to sign in")).to_be_visible(timeout=TIMEOUT)
    expect(page).to_have_url(f"{locked_app.url}/login")
    page.screenshot(path=artifacts / "login-refused.png")

    page.locator("#password").fill("s3cret!")
    page.locator("button[type=submit]").click()
    expect(page.get_by_text("Generate demo data")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artifacts / "login-welcome.png")


def test_tracking_links_stay_open_without_a_login(page: Page, locked_app):
    """Recipients click links in their email: they have no PromoPilot login, and need none."""
    response = page.request.get(f"{locked_app.url}/t/c/not-a-valid-token", max_redirects=0)
    assert response.status == 404  # answered by the tracking route, not sent to the login page
    assert page.request.post(f"{locked_app.url}/login", form={"username": "marketer", "password": "nope"}).status == 401
