"""What one product sold: "sales of hot water bottles", "how much did the flytrap tins make us", "how many units of
the flytrap did we sell". Before, these gave the whole shop's revenue, as if the product had not been named.

A product is found by the words of its name (each word said, in the singular, somewhere in the name: "flytrap
tins" is "GROW A FLYTRAP OR SUNFLOWER IN TIN"), from the orders log's lines, net of returns, with the gross and
the units beside it. A category, brand or country is left to the analytics breakdowns, which name them exactly.
"""

# The SQL is fixed; the words said are a bound list parameter.

from __future__ import annotations

import re
from datetime import date

from assistant.planner import analytics_filters as filters
from assistant.planner import periods, segment_slots, slots
from assistant.planner.memory import Plan, Request
from assistant.planner.recipes import one_row
from services.money import format_money

END = r"\s*(?:$|[?.!,]|\b(?:in|last|this|since|during|between|so far|overall|all time|altogether)\b)"
NAMED = r"(?:the |our |my |those |these )?(?P<{}>[a-z][a-z0-9 '&-]*?)"
ASKED = re.compile(  # the longer forms first: "how much did we make on jumbo bags" is not "how much did we make"
    r"\bhow much (?:money )?(?:did|do|have|has) we (?:make|made|take|taken|earn|earned|bring in|brought in|get|got)"
    r" (?:on|from|with|off|selling) "
    + NAMED.format("d")
    + END
    # "how many units did we sell of the night light"
    + r"|\bhow many (?:units|pieces|items)? ?(?:did|have|has) we (?:sell|sold) of "
    + NAMED.format("e")
    + END
    + r"|\b(?:sales|revenue|takings|turnover|income)\s+(?:of|from|for)\s+"
    + NAMED.format("a")
    + END
    + r"|\bhow much (?:did|do|have|has) "
    + NAMED.format("b")
    + r" (?:make|made|bring|brought|earn|earned|take|taken)"
    + r"|\bhow many (?:units of |of )?"
    + NAMED.format("c")
    + r" (?:did|have|has) we (?:sell|sold)\b",
    re.I,
)
NOT_A_PRODUCT = re.compile(  # the shop's figures by another name: "revenue from cancelled orders", "sales from email"
    r"^(?:it|them|that|this|everything|all|us|we)$|\b(?:products?|items?|units?|pieces?|things|stuff|orders?"
    r"|customers?|returns?|returned|cancel\w*|refund\w*|segments?|groups?|campaigns?|e-?mails?|newsletters?|countr\w*"
    r"|categor\w*|brands?|months?|years?"
    r"|weeks?|days?|quarters?|new|repeat|online|shop|store|website|discounts?|postage|shipping)\b"
)
SOLD = (
    "SELECT count(DISTINCT o.sku) AS products, coalesce(sum(o.quantity) FILTER (WHERE NOT o.is_return), 0) AS units, "
    "round(coalesce(sum(o.amount), 0), 2) AS net, round(coalesce(sum(o.amount) FILTER (WHERE NOT o.is_return), 0), 2) "
    "AS gross FROM orders o JOIN products p ON p.sku = o.sku "
    "WHERE list_bool_and(list_transform(string_split($words, ' '), lambda w: contains(lower(p.name), w))){within}"
)


def named(text: str, not_products: list[str]) -> str | None:
    """The product a question asks the sales of, as said; None when it names none (or a category, brand, place)."""
    found = ASKED.search(text)
    if found is None:
        return None
    said = next(g for g in found.groups() if g).strip().lower()
    own = {w.lower() for w in not_products}
    places = "|".join(filters.ALIASES.values())
    if any(noun in said for noun in segment_slots.SEGMENT_NICKNAMES):  # "revenue from the big spenders": a segment's
        return None
    if NOT_A_PRODUCT.search(said) or said in own or slots.singular(said) in own or re.fullmatch(places, said):
        return None
    if periods.found(said, date.today()):  # "revenue for the 1st of december": a day, not a product
        return None
    return said


def plan(req: Request) -> Plan | None:
    said = named(req.text, [*filters.shop_words(req), *req.vocabulary().countries])
    if said is None:
        return None
    words = slots.singular(said).split()
    if (limit := periods.within(req.text, req.today)) is None:
        return Plan(answer="One period at a time, please, e.g. *sales of the jumbo bags last month*.")
    within, params, period = limit.sql, {"words": " ".join(words), **limit.params}, limit.period
    when = f"{period.typed} ({period.span()})" if period else "over your whole orders log"
    row = one_row(req, SOLD.format(within=within), params)
    if isinstance(row, Plan):
        return row
    if not row.get("products"):
        return Plan(answer=f"No product with “{' '.join(words)}” in its name was sold {when}.")
    money = lambda v: format_money(v, req.vocabulary().currency)  # noqa: E731
    n = int(row["products"])
    return Plan(
        answer=f"Products named like “{' '.join(words)}” ({n} product{'s' if n != 1 else ''}) made "
        f"**{money(row['net'])}** net of returns ({money(row['gross'])} sold, {int(row['units'] or 0):,} units), "
        f"{when}."
    )
