"""A file attached to the chat is imported under its own name, as the kind of data it holds.

Chainlit stores an upload under a random id; these tests store the fixtures the same way
(`.files/<session>/<id>.csv`) and import them as the web app does.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.uploads import guess_kind, named_upload
from tools import run_tool

FIXTURES = Path(__file__).parent / "fixtures"


def stored(tmp_path: Path, fixture: Path) -> str:
    """The fixture as Chainlit keeps an upload: a random id, the suffix its type gives."""
    folder = tmp_path / ".files" / "session-1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"5c1e0f9d2b7a4e31a8d6c0b4f2e19a77{fixture.suffix}"
    shutil.copyfile(fixture, path)
    return str(path)


def upload(ctx, tmp_path, fixture: Path, text: str = ""):
    """What the web app does with an attached file: its own name, its kind, imported as the person."""
    path = named_upload(stored(tmp_path, fixture), fixture.name)
    return run_tool(replace(ctx, uploads=(path,)), "import_data", kind=guess_kind(fixture.name, text), path=path)


def test_an_upload_is_reported_under_its_own_name_not_the_stored_id(ctx, tmp_path):
    result = upload(ctx, tmp_path, FIXTURES / "shopify_customers.csv", "here are my customers from shopify")
    assert "shopify_customers.csv" in result.summary
    assert "5c1e0f9d" not in result.summary


def test_an_uploaded_mailchimp_unsubscribed_export_still_says_no_to_email(ctx, tmp_path):
    """Mailchimp writes the status only in the file name: read from the stored id, an unsubscribed
    person who said yes in Shopify would stay emailable."""
    upload(ctx, tmp_path, FIXTURES / "shopify_customers.csv")
    upload(ctx, tmp_path, FIXTURES / "mailchimp" / "unsubscribed_members_export_3a9f1c.csv", "and the unsubscribed")
    consent = dict(ctx.db.execute("SELECT email, email_consent FROM customers").fetchall())
    assert consent["isla.ward@example.com"] is False


def test_an_uploaded_suppression_list_is_imported_as_one(ctx, tmp_path):
    upload(ctx, tmp_path, FIXTURES / "suppressions.csv", "these people must never get email")
    emails = {r["email"] for r in ctx.db.rows("SELECT email FROM suppressions")}
    assert "amelia.hughes@example.com" in emails


@pytest.mark.parametrize(
    ("file_name", "text", "kind"),
    [
        ("suppressions.csv", "", "suppressions"),
        ("list.csv", "these people must never get email", "suppressions"),
        ("hard_bounces.csv", "", "suppressions"),
        ("do-not-email.csv", "", "suppressions"),
        ("unsubscribed_members_export_3a9f1c.csv", "the unsubscribed ones", "customers"),  # Mailchimp's audience
        ("export.csv", "here's my orders export from shopify", "orders"),
        ("catalogue.csv", "my product list", "products"),
        ("customers_export.csv", "", "customers"),
    ],
)
def test_the_kind_of_an_upload_comes_from_its_name_or_the_message(file_name, text, kind):
    assert guess_kind(file_name, text) == kind


def test_an_upload_name_cannot_lead_out_of_its_folder(tmp_path):
    path = Path(named_upload(stored(tmp_path, FIXTURES / "suppressions.csv"), "../../evil.csv"))
    assert path.name == "evil.csv"
    assert path.parent.parent == tmp_path / ".files" / "session-1"
    assert path.read_text() == (FIXTURES / "suppressions.csv").read_text()
