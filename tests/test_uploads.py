"""A file attached to the chat is imported under its own name, as the kind of data it holds.

Chainlit stores an upload under a random id; these tests store the fixtures the same way
(`.files/<session>/<id>.csv`) and import them as the web app does.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.uploads import guess_kind, header, named_upload, said_columns, said_date_order
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
    said = said_columns(text)
    return run_tool(
        replace(ctx, uploads=(path,)),
        "import_data",
        kind=guess_kind(fixture.name, text, header(path)),
        path=path,
        **({"map": said} if said else {}),
    )


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


def test_a_file_with_unknown_column_names_is_refused_with_advice_in_words_then_taken_when_the_message_says(
    ctx, tmp_path
):
    """No "--map" or "--dry-run" (the chat has no command line, and its cleaning left no advice at all): the
    columns found, the one needed, and two ways out; the second, a message with the file, then works."""
    from assistant.turn_view import error_text
    from storage.errors import UserError

    crm = tmp_path / "crm.csv"
    crm.write_text("Client,Mail,Spent\nA1,a@example.com,10\nA2,b@example.com,20\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        upload(ctx, tmp_path, crm)
    said = error_text(refused.value.to_dict())
    assert "--" not in said and "promopilot" not in said and "customer_id" not in said
    assert "Its columns are “Client”, “Mail”, “Spent”; a customers file needs the customer id" in said
    assert "Rename that column to “Customer ID”" in said and "*Client is the customer id*" in said
    assert "--map" in refused.value.hint  # the command line keeps its own advice
    imported = upload(ctx, tmp_path, crm, "Client is the customer id")
    assert imported.data["imported"] == 2
    assert ctx.db.rows("SELECT customer_id, email FROM customers ORDER BY 1") == [
        {"customer_id": "A1", "email": "a@example.com"},
        {"customer_id": "A2", "email": "b@example.com"},
    ]


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("Client is the customer id", {"Client": "customer_id"}),
        ("the Mail column holds the email", {"Mail": "email"}),
        ("“Kunde” is the customer number and Mail is the email address", {"Kunde": "customer_id", "Mail": "email"}),
        ("here is my customer list", {}),
        ("this is the newsletter export", {}),
    ],
)
def test_the_message_with_an_upload_can_say_which_column_is_which(text, columns):
    assert said_columns(text) == columns


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("online_retail.csv", "orders"),  # InvoiceNo, Quantity: the name says nothing, the columns do
        ("shopify_customers.csv", "customers"),
        ("excel_unicode.txt", "customers"),  # UTF-16, tab-separated
        ("mailchimp/subscribed_members_export_3a9f1c.csv", "customers"),
    ],
)
def test_an_upload_named_nothing_in_particular_is_told_by_its_columns(fixture, kind):
    assert guess_kind(Path(fixture).name, "", header(str(FIXTURES / fixture))) == kind


def test_the_uci_log_uploaded_without_a_word_is_imported_as_orders(ctx, tmp_path):
    """Was: imported as 57 customers, with 968 "duplicate id" rejections."""
    result = upload(ctx, tmp_path, FIXTURES / "online_retail.csv")
    assert result.data["kind"] == "orders" and result.data["rejected"] == 0


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("the dates are day first", "day-first"),
        ("they're dd/mm/yyyy", "day-first"),
        ("European dates", "day-first"),
        ("month first please", "month-first"),
        ("those are US dates", "month-first"),
        ("is it day first or month first?", None),  # a question, not an answer
        ("Client is the customer id", None),
    ],
)
def test_how_the_dates_are_written_is_read_from_a_message(text, order):
    assert said_date_order(text) == order
