"""Real shops' data: consent honoured, order logs counted right, or refused with a reason.

The fixtures in tests/fixtures are real-shaped exports (see their README): 1,700 real lines of the
UCI Online Retail log, a Shopify customers export, Mailchimp's per-status audience files, a
suppression list and an Excel "Unicode Text" sheet. Expected figures are computed here with pandas
from the files themselves, never copied from what the importer printed.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pandas as pd
import pytest

from storage.errors import UserError
from storage.shop import get_currency
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign
from tests.smtp_server import FaultySMTPServer
from tests.uci import uci_lines
from tools import run_tool

FIXTURES = Path(__file__).parent / "fixtures"
RETAIL = FIXTURES / "online_retail.csv"
SHOPIFY = FIXTURES / "shopify_customers.csv"
MAILCHIMP = FIXTURES / "mailchimp"
SCARCITY = ("selling fast", "almost gone", "while stock lasts", "limited availability", "sell out", "going fast")


def load(ctx, kind, path, **options):
    return run_tool(ctx, "import_data", kind=kind, path=str(path), **options)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def retail_by_pandas() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The log's lines (`tests.uci`) and per-customer figures, the obvious way."""
    lines = uci_lines()
    bought = lines[~lines["returned"]]
    latest = bought["when"].max().normalize()
    known = lines[lines["customer"] != ""]
    per = pd.DataFrame(
        {
            "net": known.groupby("customer")["amount"].sum(),
            "orders": bought[bought["customer"] != ""].groupby("customer")["InvoiceNo"].nunique(),
            "last": bought[bought["customer"] != ""].groupby("customer")["when"].max(),
        }
    )
    per["orders"] = per["orders"].fillna(0).astype(int)
    per["buyer"] = (per["orders"] > 0) & (per["net"] > 0)
    per["recency"] = (latest - per["last"].dt.normalize()).dt.days
    return lines, per


def behaviour(db) -> pd.DataFrame:
    return db.df("SELECT * FROM customer_behavior").set_index("customer_id")


# -- 1. consent and suppressions --------------------------------------------------------------------


def test_shopify_consent_is_stored_per_customer_with_its_source_and_the_apostrophe_dropped(ctx):
    result = load(ctx, "customers", SHOPIFY)
    consent = dict(ctx.db.execute("SELECT customer_id, email_consent FROM customers").fetchall())
    shopify = pd.read_csv(SHOPIFY, dtype=str)
    expected = dict(
        zip(shopify["Customer ID"].str.lstrip("'"), shopify["Accepts Email Marketing"] == "yes", strict=True)
    )
    assert consent == expected
    assert "Accepts Email Marketing" not in result.data["unmatched_columns"]
    assert "Accepts SMS Marketing" in result.data["unmatched_columns"]  # SMS consent is not email consent
    assert "4 yes, 2 no (never emailed)" in result.summary
    sources = ctx.db.execute("SELECT DISTINCT consent_source FROM customers").fetchall()
    assert sources == [("import:shopify_customers.csv",)]
    assert ctx.db.scalar("SELECT count(*) FROM customers WHERE consent_at IS NULL") == 0


def test_an_excel_unicode_sheet_gives_opt_in_and_us_dates(ctx):
    result = load(ctx, "customers", FIXTURES / "excel_unicode.txt")
    assert (result.data["encoding"], result.data["delimiter"]) == ("utf-16", "\t")
    assert result.data["columns"]["Opt-in"] == "email_consent" and not result.data["unmatched_columns"]
    rows = ctx.db.rows("SELECT customer_id, first_name, email_consent, created_at::DATE::VARCHAR AS d FROM customers")
    assert {r["customer_id"]: (r["email_consent"], r["d"]) for r in rows} == {
        "K-1001": (True, "2024-03-14"),
        "K-1002": (False, "2023-12-01"),  # 12/1/2023 in a month-first column: 1 December
        "K-1003": (True, "2024-01-22"),
        "K-1004": (None, "2024-02-03"),  # a blank Opt-in cell: unknown, not no
    }
    assert {r["first_name"] for r in rows} >= {"Zoë", "Björn"}


def test_mailchimp_exports_set_consent_from_their_file_names_and_find_known_addresses(ctx):
    load(ctx, "customers", SHOPIFY)
    for name in ("subscribed", "unsubscribed", "cleaned"):
        result = load(ctx, "customers", MAILCHIMP / f"{name}_members_export_3a9f1c.csv")
        assert result.data["columns"]["(consent from the file name)"] == "email_consent"
    consent = dict(ctx.db.execute("SELECT email, email_consent FROM customers").fetchall())
    assert consent["isla.ward@example.com"] is False  # yes in Shopify, later unsubscribed in Mailchimp
    assert consent["old.address@example.com"] is False  # cleaned: bounced, and suppressed as such
    # Both stick: an unsubscribe is suppressed as a bounce is, with the file that said so.
    assert ctx.db.rows("SELECT email, reason, source FROM suppressions ORDER BY email") == [
        {
            "email": "isla.ward@example.com",
            "reason": "unsubscribed",
            "source": "import:unsubscribed_members_export_3a9f1c.csv",
        },
        {"email": "old.address@example.com", "reason": "bounced", "source": "import:cleaned_members_export_3a9f1c.csv"},
    ]
    assert consent["lucy.morgan@example.com"] is True
    # Olivia is known by her address: one customer, her Shopify id kept.
    assert ctx.db.rows("SELECT customer_id FROM customers WHERE email = 'olivia.bennett@example.com'") == [
        {"customer_id": "7061123456789"}
    ]


def test_the_demo_shop_is_consented(ctx):
    run_tool(ctx, "generate_demo_data", customers=50, products=5, seed=3)
    assert ctx.db.rows("SELECT DISTINCT email_consent, consent_source FROM customers") == [
        {"email_consent": True, "consent_source": "demo"}
    ]


def test_a_mailchimp_status_column_is_consent(ctx, tmp_path):
    path = write(
        tmp_path,
        "audience.csv",
        "Email Address,First Name,Email Marketing,LEID,EUID\n"
        "a@example.com,Ann,Subscribed,1,x1\nb@example.com,Bo,Unsubscribed,2,x2\nc@example.com,Cy,Pending,3,x3\n"
        "D@Example.com,Di,Cleaned,4,x4\n",
    )
    result = load(ctx, "customers", path)
    assert dict(ctx.db.execute("SELECT customer_id, email_consent FROM customers").fetchall()) == {
        "a@example.com": True,
        "b@example.com": False,
        "c@example.com": False,  # a double opt-in never confirmed is not a yes
        "d@example.com": False,
    }
    # "Cleaned" is Mailchimp's word for an address that bounced hard: suppressed as such, as its cleaned_ file is;
    # an unsubscribe is suppressed too (a pending double opt-in is a no, not an unsubscribe).
    assert ctx.db.rows("SELECT email, reason FROM suppressions ORDER BY email") == [
        {"email": "b@example.com", "reason": "unsubscribed"},
        {"email": "d@example.com", "reason": "bounced"},
    ]
    assert (result.data["suppressed_bounces"], result.data["suppressed_unsubscribes"]) == (1, 1)


def test_an_unsubscribe_sticks_when_an_older_export_says_yes_again(ctx, tmp_path):
    """Isla said yes in Shopify, then unsubscribed in Mailchimp. The Shopify export, imported again, still
    says yes: her consent stays no, her address stays suppressed, and the summary says why."""
    load(ctx, "customers", SHOPIFY)
    load(ctx, "customers", MAILCHIMP / "unsubscribed_members_export_3a9f1c.csv")
    again = load(ctx, "customers", SHOPIFY)
    isla = "SELECT email_consent FROM customers WHERE customer_id = '7061123456793'"
    assert ctx.db.scalar(isla) is False
    assert ctx.db.scalar("SELECT reason FROM suppressions WHERE email = 'isla.ward@example.com'") == "unsubscribed"
    assert again.data["kept_unsubscribed"] == 1
    assert "1 person who unsubscribed earlier is marked yes in this file: they stay unsubscribed" in again.summary
    # Any file saying yes is not her own new opt-in: a spreadsheet with a yes column changes nothing either.
    load(
        ctx,
        "customers",
        write(tmp_path, "crm.csv", "Customer ID,Email,Opt-in\n7061123456793,Isla.Ward@example.com,yes\n"),
    )
    assert ctx.db.scalar(isla) is False
    load(ctx, "customers", write(tmp_path, "ids.csv", "Customer ID,Accepts Email Marketing\n'7061123456793,yes\n"))
    assert ctx.db.scalar(isla) is False  # nor a file of ids and yeses without the address


def test_a_file_without_a_consent_column_says_so_and_keeps_what_is_known(ctx, tmp_path):
    load(ctx, "customers", SHOPIFY)
    path = write(tmp_path, "crm.csv", "Customer ID,Email,Total Spent\n'7061123456790,harry.clarke@example.com,70\n")
    result = load(ctx, "customers", path)
    assert "no consent column" in result.summary
    assert ctx.db.scalar("SELECT email_consent FROM customers WHERE customer_id = '7061123456790'") is False


def test_a_suppression_list_is_imported_with_its_reasons(ctx):
    result = load(ctx, "suppressions", FIXTURES / "suppressions.csv")
    assert (result.data["imported"], result.data["rejected"]) == (3, 1)
    assert result.data["problems"] == [{"field": "email", "problem": "not an email address", "rows": 1}]
    assert dict(ctx.db.execute("SELECT email, reason FROM suppressions").fetchall()) == {
        "amelia.hughes@example.com": "complaint",
        "bounced.person@example.com": "bounced",  # lower-cased, as the audience compares them
        "someone@example.com": "manual",
    }
    again = load(ctx, "suppressions", FIXTURES / "suppressions.csv")
    assert (again.data["inserted"], again.data["updated"]) == (0, 0)


def shop_from_exports(ctx, tmp_path):
    """Shopify customers, Mailchimp's statuses, an Excel sheet, a suppression list and two products."""
    load(ctx, "customers", SHOPIFY)
    for name in ("subscribed", "unsubscribed", "cleaned"):
        load(ctx, "customers", MAILCHIMP / f"{name}_members_export_3a9f1c.csv")
    load(ctx, "customers", FIXTURES / "excel_unicode.txt")
    load(ctx, "suppressions", FIXTURES / "suppressions.csv")
    load(ctx, "products", write(tmp_path, "p.csv", "sku,name,category,price,stock\nA1,Rain Coat,Outerwear,80,100\n"))


def test_no_consent_and_suppressed_addresses_never_reach_the_mail_server(ctx, tmp_path):
    shop_from_exports(ctx, tmp_path)
    ctx.settings.send_rate = 0
    campaign = approved_campaign(ctx)
    with FaultySMTPServer() as server:
        ctx.settings.smtp_url = server.url
        result = run_tool(ctx, "campaign_send", campaign_id=campaign)
    # Yes in every file, not suppressed: the only addresses a campaign may reach.
    assert sorted(server.received) == [
        "chloe.martin@example.com",
        "lucy.morgan@example.com",
        "noah.price@example.com",
        "olivia.bennett@example.com",
        "zoe.fischer@example.com",
    ]
    excluded = result.data["excluded"]
    # Harry, Jack (no), Isla (unsubscribed in Mailchimp), Tom (cleaned), Björn (FALSE).
    assert excluded["no_consent"] == 5
    assert excluded["consent_unknown"] == 1  # Mateo: a blank Opt-in cell
    assert excluded["suppressed"] == 1  # Amelia said yes, then complained
    assert "5 no consent" in result.summary and "1 consent unknown" in result.summary


def test_unknown_consent_is_emailed_only_when_the_setting_allows(ctx, tmp_path):
    shop_from_exports(ctx, tmp_path)
    ctx.settings.send_rate, ctx.settings.email_unknown_consent = 0, True
    campaign = approved_campaign(ctx)
    with FaultySMTPServer() as server:
        ctx.settings.smtp_url = server.url
        run_tool(ctx, "campaign_send", campaign_id=campaign)
    assert server.received["mateo.ruiz@example.com"] == 1
    assert server.received["bjorn.lund@example.com"] == server.received["harry.clarke@example.com"] == 0


shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def test_a_no_given_after_the_list_was_frozen_stops_that_message(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign, limit=1)
        later = shop.db.rows(
            "SELECT customer_id, email FROM messages WHERE status = 'queued' ORDER BY customer_id DESC LIMIT 1"
        )[0]
        load(shop, "customers", write_later_no(shop, later["customer_id"]))
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    assert server.received[later["email"].lower()] == 0
    assert result.data["messages"]["skipped"] == 1


def write_later_no(shop, customer_id: str) -> Path:
    path = Path(shop.db.path).with_name("consent.csv")
    path.write_text(f"Customer ID,Accepts Email Marketing\n{customer_id},no\n", encoding="utf-8")
    return path


def test_every_email_carries_the_senders_postal_address(shop, tmp_path):
    shop.settings.postal_address = "Northlane Ltd, 5 Quay Street, Bristol BS1 4DB"
    shop.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
    run_tool(shop, "campaign_send", campaign_id=approved_campaign(shop))
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in (tmp_path / "out").iterdir()
    ]
    assert messages
    for message in messages:
        for part in ("plain", "html"):
            assert "Northlane Ltd, 5 Quay Street, Bristol BS1 4DB" in message.get_body((part,)).get_content()


# -- 2. dates read per column ------------------------------------------------------------------------


def test_an_m_d_yyyy_log_gives_the_right_recency(ctx):
    result = load(ctx, "orders", RETAIL)
    assert result.data["rejected"] == 0  # the old value-by-value reading rejected half the lines
    assert result.data["date_order"] == {
        "InvoiceDate": "month-first (1,000 dates have a second part above 12 (e.g. 12/13))"
    }
    _, per = retail_by_pandas()
    got = behaviour(ctx.db)
    buyers = per[per["buyer"]]
    assert got.loc[buyers.index, "days_since_last_purchase"].tolist() == buyers["recency"].astype(int).tolist()
    assert got.loc[per.index[~per["buyer"]], "days_since_last_purchase"].isna().all()
    first = ctx.db.scalar("SELECT min(ordered_at)::VARCHAR FROM orders")
    assert first == "2010-12-01 08:26:00"  # 12/1/2010 8:26 is 1 December, not 12 January


def test_the_dry_run_shows_each_date_columns_order(ctx):
    result = load(ctx, "orders", RETAIL, dry_run=True)
    assert "Dates in InvoiceDate: read month-first" in result.summary


def test_a_column_that_stays_ambiguous_is_refused_naming_date_format(ctx, tmp_path):
    path = write(tmp_path, "o.csv", "order,customer,date,amount\nO1,C1,01/02/2024,5\nO2,C1,03/04/2024,7\n")
    with pytest.raises(UserError, match="could be day/month or month/day") as caught:
        load(ctx, "orders", path)
    assert "--date-format" in caught.value.hint
    assert ctx.db.scalar("SELECT count(*) FROM orders") == 0
    load(ctx, "orders", path, date_format="day-first")
    assert ctx.db.scalar("SELECT min(ordered_at)::DATE::VARCHAR FROM orders") == "2024-02-01"


def test_a_column_written_both_ways_is_refused_never_read_two_ways(ctx, tmp_path):
    path = write(tmp_path, "o.csv", "order,customer,date,amount\nO1,C1,13/01/2024,5\nO2,C1,01/13/2024,7\n")
    with pytest.raises(UserError, match="written both ways") as caught:
        load(ctx, "orders", path)
    assert "--date-format" in caught.value.hint


# -- 3. cancellations, 4. line amounts ------------------------------------------------------------------


def test_cancellations_change_spend_but_not_order_counts(ctx):
    load(ctx, "orders", RETAIL)
    lines, per = retail_by_pandas()
    got = behaviour(ctx.db)
    assert got.loc[per.index, "order_count"].tolist() == per["orders"].where(per["buyer"], 0).tolist()
    expected_spend = per["net"].where(per["buyer"], 0).round(2)
    assert got.loc[per.index, "total_spent"].round(2).tolist() == expected_spend.tolist()
    assert (got["total_spent"] >= 0).all()  # no segment can have a negative mean spend
    # Customers who only cancelled (real ones: 14527's discount, 17548's returns) are not buyers.
    only_cancelled = per.index[per["orders"] == 0]
    assert len(only_cancelled) == 7 and (got.loc[only_cancelled, "order_count"] == 0).all()
    # 12476 bought once and cancelled part of it: one order, lower spend.
    assert got.loc["12476", "order_count"] == 1
    assert got.loc["12476", "total_spent"] == pytest.approx(per.loc["12476", "net"], abs=0.01)
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE is_return") == int(lines["returned"].sum())


def test_validation_does_not_call_the_logs_cancellations_errors(ctx):
    load(ctx, "orders", RETAIL)
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE amount < 0") > 0
    checks = {c["check"]: c for c in run_tool(ctx, "validate_data", examples=50).data["checks"]}
    assert checks["order_negative_amount"]["rows"] == 0  # recognised returns lower spend; they are not errors


def test_a_status_column_marks_an_order_refunded_not_a_refund_of_another(ctx, tmp_path):
    path = write(
        tmp_path,
        "o.csv",
        "Order Number,Customer,Date,Total,Status\nA1,C1,2025-01-01,50,paid\nA2,C1,2025-01-05,20,paid\n"
        "A3,C1,2025-01-09,20,refunded\n",
    )
    result = load(ctx, "orders", path)
    # A3 is an order that was refunded, listed once with its state: it nets to nothing (it was read as a refund
    # of some other order, taking 20 off the spend of A1 and A2). Refunded in full, it was never a sale: it is no
    # order placed (the average order value is 70 / 2), and its reversal is a return.
    row = ctx.db.rows("SELECT total_spent, order_count, avg_order_value FROM customer_behavior")[0]
    assert row == {"total_spent": 70.0, "order_count": 2, "avg_order_value": 35.0}
    assert result.data["cancelled_orders"] == 1 and result.data["return_lines"] == 1
    assert ctx.db.scalar("SELECT count(*) FROM orders") == 4 and ctx.db.scalar("SELECT sum(amount) FROM orders") == 70


def test_a_price_without_quantities_is_the_line_amount(ctx, tmp_path):
    path = write(tmp_path, "o.csv", "order,customer,date,price\nO1,C1,2025-01-01,19.90\nO2,C1,2025-01-02,5\n")
    load(ctx, "orders", path)
    assert ctx.db.scalar("SELECT total_spent FROM customer_behavior") == pytest.approx(24.90)


def test_a_unit_price_mapped_to_the_amount_is_called_out(ctx):
    result = load(ctx, "orders", RETAIL, map={"UnitPrice": "amount"})
    assert "UnitPrice looks like a price per unit but was read as the line amount" in result.summary


def test_line_amount_is_quantity_times_unit_price(ctx):
    result = load(ctx, "orders", RETAIL)
    lines, _ = retail_by_pandas()
    assert result.data["columns"]["UnitPrice"] == "unit_price" and result.data["columns"]["Quantity"] == "quantity"
    assert ctx.db.scalar("SELECT round(sum(amount), 2) FROM orders") == pytest.approx(lines["amount"].sum(), abs=0.01)
    purchases = lines[~lines["returned"]]
    share = purchases.loc[purchases["CustomerID"] == "", "amount"].sum() / purchases["amount"].sum()
    assert result.data["revenue_without_customer_share"] == pytest.approx(share, abs=1e-4)
    assert f"{share:.1%} of the file's revenue is on lines without a customer id" in result.summary
    assert ctx.db.scalar("SELECT count(*) FROM data_issues") == 0  # one summary line, not an alarm per row


# -- 5. identifiers ------------------------------------------------------------------------------------------


def test_ids_link_across_files_however_they_are_spelled(ctx, tmp_path):
    crm = write(
        tmp_path, "crm.csv", "Customer ID,Email\n17850,a@example.com\n 13047 ,b@example.com\n'12583,c@example.com\n"
    )
    load(ctx, "customers", crm)
    result = load(ctx, "orders", RETAIL)
    _, per = retail_by_pandas()
    assert (result.data["linked_customers"], result.data["file_customers"]) == (3, len(per))
    assert "3 of the file's 57 customers matched existing customers" in result.summary
    assert "fewer than half matched" in result.summary
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE customer_id LIKE '%.0'") == 0
    assert (
        ctx.db.scalar("SELECT order_count FROM customer_behavior WHERE customer_id = '17850'")
        == per.loc["17850", "orders"]
    )


# -- 6. a shop without email addresses ---------------------------------------------------------------------


def test_an_orders_only_shop_can_be_checked_segmented_and_matched_but_not_emailed(ctx):
    load(ctx, "orders", RETAIL)
    status = run_tool(ctx, "data_overview")
    lines = uci_lines()  # without the 2 stock movements (a write-off, a correction): no sale, not stored
    assert (status.data["customers"], status.data["order_lines"]) == (57, len(lines)) == (57, 1698)
    # postage, carriage, "Manual" and "Discount" are lines, not products (tools/data/service_lines.py)
    assert status.data["products"] == lines.loc[~lines["service"], "StockCode"].nunique()
    assert "57 without an email address" in status.summary
    checked = run_tool(ctx, "validate_data", fix=True)
    assert checked.data["checked"]["customers"] == 57 and checked.data["changes"]["quarantined"] == 0
    run_tool(ctx, "segment_run", k=3)
    sku = ctx.db.scalar("SELECT sku FROM orders GROUP BY sku ORDER BY count(*) DESC LIMIT 1")
    assert run_tool(ctx, "match_segments", product=[sku]).data["best"][sku] is not None
    assert ctx.db.scalar("SELECT count(*) FROM data_issues WHERE problem = 'missing_name'") == 0  # nobody to greet
    with pytest.raises(UserError, match=r"57 not contactable \(no email address\)") as caught:
        run_tool(ctx, "rank_customers", product=[sku])
    assert "invalid" not in str(caught.value)


def test_ids_imported_alone_then_their_orders_are_never_quarantined(ctx, tmp_path):
    lines = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    ids = sorted({c for c in lines["CustomerID"] if c})
    load(ctx, "customers", write(tmp_path, "ids.csv", "CustomerID\n" + "\n".join(ids) + "\n"))
    load(ctx, "orders", RETAIL)
    fixed = run_tool(ctx, "validate_data", fix=True)
    assert fixed.data["changes"]["quarantined"] == 0
    assert ctx.db.scalar("SELECT count(*) FROM customers") == len(ids) == 57


# -- 7. re-import -------------------------------------------------------------------------------------------


def test_reimporting_an_unchanged_file_keeps_repairs_and_logs_nothing_twice(ctx, tmp_path):
    path = write(
        tmp_path,
        "crm.csv",
        "customer_id,email,total_spent,order_count,avg_order_value\n"
        "C1, Bob@Example.COM,50,2,25\nC2,ann@example.com,90,3,99\nC3,cy@example.com,abc,1,5\n",
    )
    load(ctx, "customers", path)
    run_tool(ctx, "validate_data", fix=True)
    repaired = ctx.db.rows("SELECT customer_id, email FROM customers ORDER BY 1")
    aov = ctx.db.scalar("SELECT avg_order_value FROM customer_behavior WHERE customer_id = 'C2'")
    issues = ctx.db.scalar("SELECT count(*) FROM data_issues")
    again = load(ctx, "customers", path)
    assert "(0 new, 0 changed, 2 unchanged)" in again.summary
    assert ctx.db.rows("SELECT customer_id, email FROM customers ORDER BY 1") == repaired
    assert ctx.db.scalar("SELECT avg_order_value FROM customer_behavior WHERE customer_id = 'C2'") == aov == 30.0
    assert ctx.db.scalar("SELECT count(*) FROM data_issues") == issues  # the rejected C3 is not logged twice


# -- 8. the catalogue from an orders log --------------------------------------------------------------------


def test_an_orders_log_gives_the_catalogue_with_stock_unknown(ctx):
    load(ctx, "orders", RETAIL)
    lines, _ = retail_by_pandas()
    sku = "85123A"
    mine = lines[lines["StockCode"] == sku]
    product = ctx.db.rows("SELECT name, price, units_sold, stock FROM products WHERE sku = ?", [sku])[0]
    latest = mine[~mine["returned"]].sort_values("when").iloc[-1]
    assert product == {
        "name": latest["Description"],
        "price": float(latest["UnitPrice"]),
        "units_sold": mine["Quantity"].astype(float).sum(),
        "stock": None,
    }
    assert ctx.db.scalar("SELECT count(*) FROM products WHERE stock IS NOT NULL") == 0


def test_a_write_off_names_no_product_and_sold_nothing(ctx):
    """UCI's 84406B was last seen as a write-off, "incorrectly made-thrown away." at price 0: the product keeps
    its sale lines' name, and the 64 thrown away were never sold, so they are not taken off its units sold. Nor
    is it a cancelled order: "how many orders were cancelled" counted it (11, where the log has 10 C invoices)."""
    result = load(ctx, "orders", RETAIL)
    lines = uci_lines(stock_movements=True)
    mine = lines[lines["StockCode"] == "84406B"]
    written_off = mine["returned"] & (mine["amount"] == 0)
    assert written_off.any() and mine.sort_values("when").iloc[-1]["Description"].startswith("incorrectly made")
    cancelled = ctx.db.scalar("SELECT count(DISTINCT order_id) FROM orders WHERE is_return")
    assert cancelled == lines.loc[lines["InvoiceNo"].str.startswith("C"), "InvoiceNo"].nunique() == 10
    assert "2 lines with units but no customer and no money (such as “incorrectly made-thrown away.”)" in result.summary
    product = ctx.db.rows("SELECT name, units_sold FROM products WHERE sku = '84406B'")[0]
    assert product == {
        "name": mine[~mine["returned"]].sort_values("when").iloc[-1]["Description"],
        "units_sold": mine.loc[~written_off, "Quantity"].astype(float).sum(),
    }


def test_a_stock_movement_is_no_order_but_a_free_gift_to_a_customer_is(ctx, tmp_path):
    """A line with units, no customer and no money is stock counted or thrown away; a line at price 0 in a
    customer's order (a free gift) is part of that order."""
    path = write(
        tmp_path,
        "o.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "A1,S1,Mug,2,1/25/2025 10:00,4.50,C1\nA1,S2,Free tote,1,1/25/2025 10:00,0,C1\n"
        "A2,S1,damaged,-3,1/6/2025 09:00,0,\nA3,S2,found in stock,5,1/7/2025 09:00,0,\n"
        "A4,S1,Mug,1,1/8/2025 12:00,4.50,\n",
    )
    result = load(ctx, "orders", path)
    stored = {(r["order_id"], r["sku"]) for r in ctx.db.rows("SELECT order_id, sku FROM orders")}
    assert stored == {("A1", "S1"), ("A1", "S2"), ("A4", "S1")}
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE is_return") == 0
    assert "2 lines with units but no customer and no money (such as “found in stock”)" in result.summary
    assert result.summary.startswith("Imported 3 of 5 rows")


def test_an_orders_log_offered_as_products_is_refused_with_where_it_belongs(ctx):
    with pytest.raises(UserError) as caught:
        load(ctx, "products", RETAIL)
    assert "looks like an orders log" in caught.value.hint
    assert ctx.db.scalar("SELECT count(*) FROM products") == 0


def test_copy_never_claims_scarcity_without_a_known_stock(ctx):
    load(ctx, "orders", RETAIL)
    draft = run_tool(ctx, "campaign_draft", skus=["85123A"], variants=5, tone="urgent")
    text = str(draft.data).lower()
    assert not [claim for claim in SCARCITY if claim in text]


# -- 9. currency and margin ----------------------------------------------------------------------------------


def test_the_currency_is_detected_from_the_log_and_a_users_choice_wins(ctx, tmp_path):
    load(ctx, "orders", RETAIL)
    assert get_currency(ctx.db) == "GBP"  # nearly every line comes from the United Kingdom
    campaign = run_tool(ctx, "campaign_draft", skus=["85123A"]).data["campaign_id"]
    preview = run_tool(ctx, "campaign_preview", campaign_id=campaign)
    assert "£2.55" in " ".join(preview.data["paragraphs"]) and "€" not in str(preview.data)
    run_tool(ctx, "shop_settings", currency="usd")
    load(ctx, "products", write(tmp_path, "p.csv", "sku,name,price\nX1,Mug,€12.50\n"))
    assert get_currency(ctx.db) == "USD"


def test_margin_is_gross_margin_and_an_existing_database_is_migrated(tmp_path, monkeypatch):
    from storage import migrations
    from storage.db import Database

    path = tmp_path / "old.duckdb"
    names = [m.__name__ for m in migrations.MIGRATIONS]
    before = migrations.MIGRATIONS[: names.index("m009_real_shop_data")]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)  # the schema before this change
    with Database(path) as db:
        db.execute("INSERT INTO products (sku, price, cost, margin, source) VALUES ('S1', 410.75, 128.36, 2.2, 'demo')")
    monkeypatch.undo()
    with Database(path) as db:
        row = db.rows("SELECT margin, markup FROM products")[0]
    assert row == {"margin": pytest.approx((410.75 - 128.36) / 410.75, abs=0.001), "markup": 2.2}


def test_a_margin_column_holding_markups_is_stored_as_markup(ctx, tmp_path):
    path = write(tmp_path, "p.csv", "sku,name,cost,price,margin\nS1,Coat,128.36,410.75,2.2\nS2,Tee,10,15,0.5\n")
    result = load(ctx, "products", path)
    assert "holds markups on cost" in result.summary
    rows = ctx.db.rows("SELECT sku, margin, markup FROM products ORDER BY sku")
    assert rows == [
        {"sku": "S1", "margin": pytest.approx((410.75 - 128.36) / 410.75, abs=0.001), "markup": 2.2},
        {"sku": "S2", "margin": pytest.approx(5 / 15, abs=0.001), "markup": 0.5},
    ]
    filtered = run_tool(ctx, "find_products", min_margin=0.6)  # "margin over 60%" means gross margin
    assert filtered.tables[0].to_df()["sku"].tolist() == ["S1"]


# -- 10. matching uses purchase history ------------------------------------------------------------------------


def test_a_segment_that_bought_the_product_scores_higher_and_the_reason_says_so(demo_ctx, tmp_path):
    run_tool(demo_ctx, "segment_run", k=3, seed=1)
    sku = demo_ctx.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")
    before = run_tool(demo_ctx, "match_segments", product=[sku]).tables[0].to_df().set_index("segment")
    last = before.index[-1]  # the worst-fitting segment
    buyers = demo_ctx.db.execute(
        "SELECT customer_id FROM segment_members WHERE segment = ? AND run_id = 1", [int(last)]
    ).fetchall()
    rows = "".join(f"B{i},{cid},2025-01-01,50,{sku}\n" for i, (cid,) in enumerate(buyers))
    load(demo_ctx, "orders", write(tmp_path, "o.csv", "order,customer,date,amount,sku\n" + rows))
    after = run_tool(demo_ctx, "match_segments", product=[sku])
    ranking = after.tables[0].to_df().set_index("segment")
    assert ranking.loc[last, "score"] > before.loc[last, "score"]
    assert ranking.loc[last, "category_fit"] == pytest.approx(1.0)
    assert "100% bought this product before" in ranking.loc[last, "reason"]


def test_bench_data_imports_an_orders_log_against_the_simple_way(monkeypatch, capsys):
    import json
    import sys

    from bench import data

    argv = ["bench.data", "--customers", "0", "--orders", "3000", "--simple", "300", "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    data.main()
    orders = json.loads(capsys.readouterr().out)["orders"]
    assert orders["lines"] == 3000 and orders["seconds"]["orders_import"] > 0 and orders["simple_seconds"] > 0
    assert orders["per_row_speedup"] > 0 and "within_target" in orders


def test_prediction_counts_purchases_of_customers_never_returns_or_anonymous_lines(ctx):
    from storage.predictions import PURCHASE_DAYS

    load(ctx, "orders", RETAIL)
    lines, _ = retail_by_pandas()
    days = ctx.db.df(PURCHASE_DAYS)
    assert days["customer_id"].notna().all() and (days["amount"] > 0).all()
    bought = lines[~lines["returned"] & (lines["customer"] != "")]
    expected = bought.groupby(["customer", bought["when"].dt.date])["amount"].sum()
    assert len(days) == len(expected)
    assert days["amount"].sum() == pytest.approx(expected.sum(), abs=0.01)
