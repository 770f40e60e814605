"""One customer on one screen: "what did customer 17850 buy?", "tell me about anna@example.com".

A marketer looks a person up before emailing them or after a reply: what they bought and when, what they spent,
what came back, which segment they are in, what the prediction says and whether they can be emailed now. Each
part comes from the place the rest of the product reads it (the orders log, the active segmentation, the
latest prediction, the campaign reach's exclusion reasons), so the card never disagrees with a list or a count.
The customer is found by id, then by email address, then by name ("Anna Schmidt"; several of a name: the first
by id, and how many share it). Names and addresses appear for a person, never in what the model is sent unless
sharing personal data is allowed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field

from services.money import format_money
from storage.customers import address_sql, named
from storage.errors import UserError
from storage.orders import orders_placed
from storage.predictions import latest_fit
from storage.segments import active_run_id
from storage.shop import get_currency
from tools.catalog.audience import SCRATCH, WORDS, flag_scope, pii_visible
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

# ruff: noqa: S608 - fixed fragments; the customer is always a bound parameter
BY_EMAIL = f"SELECT customer_id FROM customers WHERE {address_sql('email')} = {address_sql('$email')} LIMIT 1"
BY_NUMBER = (
    "SELECT customer_id FROM customers "
    "WHERE TRY_CAST(regexp_extract(customer_id, '^[A-Za-z]{1,4}[-_#]?0*(\\d+)$', 1) AS BIGINT) = $n LIMIT 2"
)
PERSON = """
    SELECT c.customer_id, trim(concat_ws(' ', c.first_name, c.last_name)) AS name, c.email, b.total_spent,
           b.order_count, p.style, p.preferred_categories, p.preferred_brands
    FROM customers c LEFT JOIN customer_behavior b USING (customer_id)
    LEFT JOIN customer_preferences p USING (customer_id) WHERE c.customer_id = $id"""
# Orders as placed (a return line is counted apart): the money is net of what was given back.
ORDERS = f"""
    SELECT {orders_placed("")} AS orders, round(sum(amount), 2) AS spent,
           min(ordered_at) FILTER (WHERE NOT is_return) AS first_order,
           max(ordered_at) FILTER (WHERE NOT is_return) AS last_order,
           count(DISTINCT order_id) FILTER (WHERE is_return) AS returns, round(-sum(amount) FILTER (WHERE is_return), 2)
               AS returned
    FROM orders WHERE customer_id = $id"""
RECENT = """
    SELECT order_id AS "Order", strftime(min(ordered_at), '%d %b %Y') AS "Date", count(*) AS "Lines",
           round(sum(amount), 2) AS "Amount", bool_or(is_return) AS "Return"
    FROM orders WHERE customer_id = $id GROUP BY order_id ORDER BY min(ordered_at) DESC, order_id LIMIT 10"""
EMAILS = """
    SELECT m.campaign_id AS "Campaign", c.name AS "Name", strftime(m.sent_at, '%d %b %Y') AS "Sent",
           m.variant AS "Variant",
           coalesce(bool_or(e.kind IN ('open', 'click')), false) AS "Opened",
           coalesce(bool_or(e.kind = 'click'), false) AS "Clicked",
           coalesce(bool_or(e.kind = 'unsubscribe'), false) AS "Unsubscribed"
    FROM messages m JOIN campaigns c USING (campaign_id)
    LEFT JOIN events e ON e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id
    WHERE m.customer_id = $id AND m.status = 'sent'
    GROUP BY ALL ORDER BY max(m.sent_at) DESC, 1 DESC"""
REFUSED = """
    SELECT campaign_id, last_reply FROM messages WHERE customer_id = $id AND status = 'failed'
    ORDER BY updated_at DESC LIMIT 1"""
BOUGHT = """
    SELECT coalesce(nullif(trim(p.name), ''), p.sku) AS "Product", p.category AS "Category",
           sum(coalesce(o.quantity, 1)) AS "Units",
           round(sum(o.amount), 2) AS "Spent", count(*) OVER () AS _products
    FROM orders o JOIN products p ON p.sku = o.sku
    WHERE o.customer_id = $id AND NOT o.is_return GROUP BY ALL ORDER BY 4 DESC, 3 DESC, 1 LIMIT 10"""
# An orders log without products (the demo shop's, a CRM's order totals): what they bought by category.
CATEGORIES = """
    SELECT category AS "Category", count(DISTINCT order_id) AS "Orders", round(sum(amount), 2) AS "Spent",
           count(*) OVER () AS _products
    FROM orders WHERE customer_id = $id AND NOT is_return AND category IS NOT NULL
    GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 10"""
SEGMENT = """
    SELECT m.segment, s.name FROM segment_members m LEFT JOIN segments s USING (run_id, segment)
    WHERE m.run_id = $run AND m.customer_id = $id"""
OUTLOOK = "SELECT * FROM predictions WHERE fit_id = $fit AND customer_id = $id"


class CustomerArgs(BaseModel):
    customer: Annotated[str, Positional()] = Field(
        min_length=1, description="The customer's id (e.g. C0000042 or 17850), email address or full name."
    )


@tool(cli="customer")
def customer_card(ctx: ToolContext, args: CustomerArgs) -> ToolResult:
    """One customer: orders, spend and last purchase, what they bought most, returns, segment, predicted outlook
    and whether they can be emailed now (and why not). Finds them by id, email address or name."""
    customer_id, namesakes = find_customer(ctx, args.customer.strip())
    person = ctx.db.rows(PERSON, {"id": customer_id})[0]
    orders = ctx.db.rows(ORDERS, {"id": customer_id})[0]
    currency = get_currency(ctx.db)
    shown = pii_visible(ctx)
    who = f"**{person['name']}** ({customer_id})" if shown and person["name"] else f"**Customer {customer_id}**"
    sentences = [who + " " + bought(orders, person, currency)]
    bought_most = ctx.db.df(BOUGHT, {"id": customer_id})
    if not len(bought_most):
        bought_most = ctx.db.df(CATEGORIES, {"id": customer_id})
    if len(bought_most):
        top = ", ".join(bought_most.iloc[:3, 0])
        sentences.append(f"Bought most: {top}.")
    if likes := preferences(person):
        sentences.append(likes)
    if orders["returns"]:
        sentences.append(
            f"{orders['returns']} return{'s' if orders['returns'] != 1 else ''} "
            f"({format_money(orders['returned'], currency)} given back)."
        )
    in_segment, segment = segment_words(ctx, customer_id)
    sentences += [s for s in (in_segment, outlook_words(ctx, customer_id, currency)) if s]
    emails = ctx.db.df(EMAILS, {"id": customer_id})
    sentences.append(emails_words(emails))
    if refused := ctx.db.rows(REFUSED, {"id": customer_id}):
        said = f" (the server said: {refused[0]['last_reply']})" if refused[0]["last_reply"] else ""
        sentences.append(f"Campaign {refused[0]['campaign_id']} could not be delivered to them{said}.")
    reason = why_not_emailable(ctx, customer_id)
    sentences.append("They can be emailed now." if reason is None else f"They cannot be emailed now: {reason}.")
    if namesakes > 1:
        sentences.append(f"{namesakes} customers have that name; this is the first by id. Ask for another by its id.")
    tables = []
    recent = ctx.db.df(RECENT, {"id": customer_id})
    if len(recent):
        recent["Return"] = recent["Return"].map({True: "yes", False: ""})
        tables.append(Table.from_df("Their latest orders", recent, limit=None, total=int(orders["orders"] or 0)))
    if len(bought_most):
        total = int(bought_most.pop("_products").iloc[0])
        if "Units" in bought_most and bought_most["Category"].isna().all():  # a log without categories (UCI's)
            bought_most = bought_most.drop(columns=["Category"])
        if "Units" in bought_most and (bought_most["Units"] % 1 == 0).all():
            bought_most["Units"] = bought_most["Units"].astype(int)
        tables.append(Table.from_df("What they bought most", bought_most, limit=None, total=total))
    if len(emails):
        for flag in ("Opened", "Clicked", "Unsubscribed"):
            emails[flag] = emails[flag].map({True: "yes", False: ""})
        tables.append(Table.from_df("Campaigns they were sent", emails, limit=None))
    data: dict[str, Any] = {
        "customer_id": customer_id,
        "orders": int(orders["orders"] or 0),
        "returns": int(orders["returns"] or 0),
        "spent": orders["spent"],
        "last_order": f"{orders['last_order']:%Y-%m-%d}" if orders["last_order"] else None,
        "emailable": reason is None,
        "why_not": reason,
        "segment": segment,  # its number, None outside the active segmentation (or without one)
        "segment_said": in_segment,  # "which segment are they in": the card's own words
    }
    if shown:
        data |= {"name": person["name"], "email": person["email"]}
    return ToolResult(summary=" ".join(sentences), data=data, tables=tables)


def find_customer(ctx: ToolContext, said: str) -> tuple[str, int]:
    """The customer's id, by id, email address or name, and how many share the name (1 otherwise)."""
    if ctx.db.scalar("SELECT count(*) FROM customers WHERE customer_id = $id", {"id": said}):
        return said, 1
    number = re.fullmatch(r"[A-Za-z]{1,4}[-_ #]?(\d+)", said.strip())  # "C12748" where the ids are plain numbers
    if number and ctx.db.scalar("SELECT count(*) FROM customers WHERE customer_id = $id", {"id": number[1]}):
        return number[1], 1
    if said.strip().isdigit():  # "customer 12" where the ids are "C0000012": the one id with that number
        found = ctx.db.rows(BY_NUMBER, {"n": int(said)})
        if len(found) == 1:
            return found[0]["customer_id"], 1
    if "@" in said:
        found = ctx.db.rows(BY_EMAIL, {"email": said})
        if found:
            return found[0]["customer_id"], 1
    count, first = named(ctx.db, said)
    if first:
        return first["customer_id"], count
    examples = [r["customer_id"] for r in ctx.db.rows("SELECT customer_id FROM customers ORDER BY 1 LIMIT 3")]
    if not examples:
        raise UserError("There are no customers yet.", hint="Import your customers or orders, or make a demo shop.")
    raise UserError(
        f"No customer has the id, email address or name {said!r}.",
        hint=f"Customer ids here look like {', '.join(examples)}.",
    )


def bought(orders: dict[str, Any], person: dict[str, Any], currency: str) -> str:
    """Their orders and spend in words, from the orders log (or, with no log, the customer file's figures)."""
    if orders["orders"]:
        first, last = orders["first_order"], orders["last_order"]
        same_day = first.date() == last.date()
        span = f"on {last:%-d %b %Y}" if same_day else f"between {first:%-d %b %Y} and {last:%-d %b %Y}"
        times = "once," if orders["orders"] == 1 else f"{orders['orders']} times," + (" all" if same_day else "")
        return f"has ordered {times} {span}, spending {format_money(orders['spent'], currency)} in all."
    if count := person["order_count"]:
        spent = format_money(person["total_spent"], currency)
        return (
            f"has {count} order{'s' if count != 1 else ''} and {spent} spent on file "
            "(from the customer file; no order lines of theirs are loaded)."
        )
    return "has no orders on file."


def preferences(person: dict[str, Any]) -> str | None:
    """What the customer file says they like (the demo shop's, a CRM's), when it says anything."""
    liked = [*(person["preferred_categories"] or [])[:3], *(person["preferred_brands"] or [])[:2]]
    style = f"{person['style']} style" if person["style"] else None
    said = ", ".join(x for x in [style, *liked] if x)
    return f"Likes: {said}." if said else None


def emails_words(emails: Any) -> str:
    """What they did with the campaigns sent to them ("Sent 2 campaigns: opened 1, clicked none; ...")."""
    if not len(emails):
        return "No campaign has been sent to them yet."
    n, opened, clicked = len(emails), int(emails["Opened"].sum()), int(emails["Clicked"].sum())
    said = f"Sent {n} campaign{'s' if n != 1 else ''}: opened {opened or 'none'}, clicked {clicked or 'none'}"
    last = emails.iloc[0]
    did = "clicked" if last["Clicked"] else "opened, no click" if last["Opened"] else "not opened"
    said += f"; the last, campaign {last['Campaign']} on {last['Sent']}: {did}"
    left = emails[emails["Unsubscribed"]]
    if len(left):
        said += f"; unsubscribed through campaign {left.iloc[0]['Campaign']}"
    return said + "."


def segment_words(ctx: ToolContext, customer_id: str) -> tuple[str | None, int | None]:
    """The card's sentence on their segment in the active segmentation (None without one), and its number."""
    run = active_run_id(ctx.db)
    if run is None:
        return None, None
    found = ctx.db.rows(SEGMENT, {"run": run, "id": customer_id})
    if not found:
        return "They are in no segment of the active segmentation (joined since, or left out of it).", None
    name = f" ({found[0]['name']})" if found[0]["name"] else ""
    return f"Segment {found[0]['segment']}{name}.", int(found[0]["segment"])


def outlook_words(ctx: ToolContext, customer_id: str, currency: str) -> str | None:
    fit = latest_fit(ctx.db)
    if fit is None:
        return None
    found = ctx.db.rows(OUTLOOK, {"fit": fit["fit_id"], "id": customer_id})
    if not found:
        return None
    p = found[0]
    due = f", next order likely by {p['next_order_date']:%-d %b %Y}" if p["next_order_date"] else ""
    value = p["expected_order_value"]
    worth = f", about {format_money(value, currency)} an order" if value is not None and value == value else ""
    return (
        f"Predicted: {p['p_active']:.0%} likely still a customer, {p['orders_90d']:.1f} orders expected in the "
        f"next 90 days{due}{worth}; {p['churn_risk']} churn risk."
    )


def why_not_emailable(ctx: ToolContext, customer_id: str) -> str | None:
    """The campaign reach's reason this customer would be left out today (None = they would get it)."""
    since = datetime.now() - timedelta(days=max(ctx.settings.frequency_cap_days, 0))
    try:
        flag_scope(ctx.db, None, None, since, ctx.settings.email_unknown_consent, None)
        reason = ctx.db.scalar(f"SELECT reason FROM {SCRATCH} WHERE customer_id = $id", {"id": customer_id})
    finally:
        ctx.db.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    return None if reason is None else WORDS.get(reason, reason.replace("_", " "))
