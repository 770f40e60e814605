"""The figures an analytic question can ask for, each a constant SQL fragment over one level (customers, orders,
products): "average order value", "repeat customers", "revenue with no customer". First match wins, so the
specific come before the general. `analytics_questions` reads a question from them and builds its SELECT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.orders import cancellations, customers_who_bought, orders_placed, units_placed

# "customers who only bought once", "who ordered just once", "one-time buyers": counted from the customers' orders.
ONE_TIMERS = (
    r"\b(?:only|just) (?:bought|ordered|purchased|shopped)(?: from us)?(?: \w+)? once"
    r"|\b(?:bought|ordered|purchased|shopped)(?: from us)? (?:only |just )?once\b"
    r"|one.(?:time|off) (?:buyer|customer|shopper|client)s?|\bsingle.(?:purchase|order)"
    r"|never (?:came back|reordered|ordered again|bought again)"
    # "customers who never returned" (not "products that are never returned": sent back)
    r"|\b(?:who|customers?|people|shoppers?|buyers?|clients?|ones)\s+(?:\w+\s+){0,2}?never returned"
)
# "repeat customers", "returning buyers", "who bought more than once": customers with more than one order
REPEATERS = (
    r"\b(?:repeat|returning)(?: (?:customers?|buyers?|shoppers?|clients?|purchase\w*|rate))\b"
    r"|\b(?:bought|ordered|purchased|shopped)(?: from us)? (?:more than once|twice or more|multiple times)\b"
)


@dataclass(frozen=True)
class Figure:
    words: str  # what the user says
    level: str
    sql: str
    label: str
    aggregate: str  # the default aggregate
    money: bool = False
    counted: bool = False  # a number of things ("repeat customers"): its label takes no "average"/"total"
    whole: bool = False  # `sql` is already the aggregate (a ratio of two): not wrapped in another
    percent: bool = False  # a share, said as a percentage
    joins: str = ""  # orders only (their source has no WHERE): a JOIN the figure needs, e.g. each first order
    needs: str = ""  # what the data must record for it, said when it does not ("each line's quantity")
    among: str = ""  # whom its share is of, when not every row ("repeat customers": of those who ordered)
    mean: str = ""  # its average, when that is not the mean of the rows' values (see the order value)
    part_of: tuple[str, str] = ("", "")  # the whole it is a part of, said beside it: (SQL, words)


RETURN_WORDS = r"cancell?(?:ed|ations?)|returns|returned|refund(?:s|ed)?"
UNIT_WORDS = r"units|items|pieces|products|articles|things"
MONEY_WORDS = r"revenue|sales|value|money|amount|worth|how much"
# "revenue excluding returns", "sales net of refunds": the takings with returns taken off, which revenue already is
NET_OF_RETURNS = re.compile(
    rf"\b(?:excluding|excl\.?|ex|net of|minus|less|without|after|not counting|ignoring|leaving out|tak(?:e|ing) away"
    rf"|deducting|take off|taking off)\s+(?:the\s+|any\s+|all\s+)?(?:{RETURN_WORDS})\b"
)


ORDERS_PLACED = orders_placed()  # a return or a cancelled order is no order
# "how much of our sales have no customer attached", "guest orders": the log's lines that name no customer
GUEST = (
    r"\b(?:no|without (?:an? )?|missing (?:an? )?|unknown|anonymous)\s*customers?(?! (?:data|file|list))\b"
    r"|\bcustomers? (?:we )?don'?t know\b|\bguest (?:orders?|checkouts?|sales|purchases)\b"
)
FIGURES = [  # first match wins: the specific before the general
    Figure(
        rf"(?=.*(?:{GUEST}))(?=.*\b(?:how many|number of)\b.*\borders?\b)",
        "orders",
        orders_placed(also=" AND o.customer_id IS NULL"),
        "orders with no customer",
        "count",
        whole=True,
        counted=True,
        part_of=(ORDERS_PLACED, "of all orders"),
    ),
    Figure(
        GUEST,
        "orders",
        "sum(o.amount) FILTER (WHERE o.customer_id IS NULL)",
        "revenue with no customer",
        "sum",
        money=True,
        whole=True,
        part_of=("sum(o.amount)", "of all revenue"),
    ),
    Figure(  # "items per order" is a count of units, not the order value "per order" would otherwise read as
        r"\b(?:items|units|pieces|products|articles|things)\b[^?]*\b(?:per|in an?|in each|on an?|each)"
        r"(?: average| typical)? (?:order|basket|purchase)\b|\bbasket size in (?:items|units)"
        # "how many items does a typical order have"
        r"|\bhow many (?:items|units|pieces|products|things) (?:does|do|is|are|go) (?:in )?(?:an? |the |each |every )?"
        r"(?:average |typical |usual |normal )?(?:order|basket)\b",
        "orders",
        f"{units_placed()} / nullif({ORDERS_PLACED}, 0)",
        "items per order",
        "avg",
        whole=True,
        needs="each order line's quantity",
    ),
    Figure(  # "how many products did we sell in january": units, net of returns (as revenue is), not the catalogue
        rf"\b(?:{UNIT_WORDS})\b(?: \w+){{0,3}}? (?:sold|shipped|moved|shifted|went out)\b"
        rf"|\bhow many (?:{UNIT_WORDS})\b(?: \w+){{0,4}}? (?:sell|ship|move|shift)\b|\bunits\b(?! in stock)",
        "orders",
        "CASE WHEN o.sku IS NULL OR o.sku IN (SELECT sku FROM products) THEN o.quantity END",  # no postage, fees
        "units sold, net of returns",
        "sum",
        counted=True,
        needs="each order line's quantity",
    ),
    Figure(
        r"order value|aov|basket|\bper order\b|(?:deal|ticket|order|cart) size"
        r"|\b(?:average|avg|mean|typical) (?:order|purchase|sale)\b(?! (?:count|frequency|number))",  # "average order"
        "customers",
        "b.avg_order_value",
        "order value",
        "avg",
        money=True,
        # The spend over the orders, as the orders log gives it (€136.52 in the demo shop), not the mean of each
        # customer's own average (€85.43: one order of a one-time buyer weighs as much as a regular's fifty).
        mean="sum(b.total_spent) / nullif(sum(b.order_count), 0)",
    ),
    Figure(  # "what's the average customer worth"
        r"spen[dt]|lifetime value|clv|\bcustomers?\b.{0,15}\bworth\b|\bworth per customer",
        "customers",
        "b.total_spent",
        "spend",
        "avg",
        money=True,
    ),
    Figure(
        r"days since|recency|last (?:purchase|order)",
        "customers",
        "b.days_since_last_purchase",
        "days since last purchase",
        "avg",
    ),
    Figure(  # "the revenue from cancelled orders": what they took back, not the shop's whole revenue
        rf"(?:{MONEY_WORDS})\b.*\b(?:{RETURN_WORDS})|(?:{RETURN_WORDS})\b.*\b(?:{MONEY_WORDS})",
        "orders",
        "coalesce(-sum(o.amount) FILTER (WHERE o.is_return), 0)",
        "value of returns and cancellations",
        "sum",
        money=True,
        counted=True,
        whole=True,
    ),
    Figure(
        r"revenue|sales|turnover|takings|how much (?:did |do |have )?we (?:sell|sold|made|make|take|taken)\b"
        r"|(?:makes?|made|brings? in|brought in|earns?|earned|generates?) "
        r"(?:(?:us|the) )?(?:most |more |least )?money|\bbuys? (?:the )?(?:most|least)\b|most valuable"
        r"|\bsell (?:the )?most\b",
        "orders",
        "o.amount",
        "revenue",
        "sum",
        money=True,
    ),
    Figure(  # "how many customers have never ordered": signed up (a customer file) without an order yet
        r"(?:never|not yet|haven'?t|have not|hasn'?t|has not|didn'?t|did not) (?:\w+ )?(?:ordered|bought|purchased"
        r"|placed an order|made a purchase|shopped)\b(?!(?: anything| a thing)? (?:again|since|in|for|this|last|before"
        r"|after|over|within|during))(?!.*\bsince\b)"
        r"|(?:no|zero|without) (?:orders|purchases)",
        "customers",
        "CASE WHEN coalesce(b.order_count, 0) = 0 THEN 1 ELSE 0 END",
        "customers without an order",
        "sum",
        counted=True,
    ),
    Figure(  # before the repeat customers: "never ordered again" is about ordering again too
        ONE_TIMERS,
        "customers",
        "CASE WHEN b.order_count = 1 THEN 1 ELSE 0 END",
        "one-time customers",
        "sum",
        counted=True,
        among="b.order_count > 0",
    ),
    Figure(
        r"(?:bought|ordered|purchased|shopped) (?:from us )?(?:more than once|again|twice|multiple times)|repeat|loyal"
        r"|retention|retain(?:ed)?"  # "our retention rate": the share who ordered again
        r"|(?:came|come|coming) back for (?:an?other|a second|more)|\bsecond (?:order|purchase)|\breorder(?:ed)?\b",
        "customers",
        "CASE WHEN b.order_count > 1 THEN 1 ELSE 0 END",
        "repeat customers",
        "sum",
        counted=True,
        among="b.order_count > 0",
    ),
    Figure(  # "what's the average time between orders": over the customers who ordered more than once
        r"(?:time|days|how long|gap|interval) between (?:orders|purchases)|purchase (?:interval|cycle)",
        "customers",
        "(SELECT date_diff('day', min(x.ordered_at), max(x.ordered_at)) / nullif(count(DISTINCT x.order_id) - 1, 0) "
        "FROM orders x WHERE x.customer_id = c.customer_id AND NOT x.is_return)",
        "days between orders",
        "avg",
    ),
    Figure(
        r"orders per customer|order count|how (?:often|frequently) do (?:\w+ )?(?:come back|buy|order|shop|purchase)"
        r"|(?:orders|times) (?:does|do|will|would) (?:an? |the |each |every |our |your )?(?:typical |average |normal "
        r"|usual |regular )?(?:customer|shopper|buyer|client|person)s? (?:place|make|order|buy|shop|purchase)"
        r"|\b(?:buys?|orders?|shops?|purchases?|comes? back) (?:the )?most (?:often|frequently)\b",  # "which group ..."
        "customers",
        "b.order_count",
        "orders per customer",
        "avg",
    ),
    Figure(
        r"(?:return|cancell?ation|refund) rate|share (?:of orders )?(?:returned|cancell?ed|refunded)"
        # "what % of orders get cancelled", "what proportion of our orders are returned"
        r"|(?:%|\bpercent\w*|\bshare|\bproportion|\bfraction) of (?:(?:our|all|the) )?orders (?:\w+ ){0,2}"
        r"(?:returned|cancell?ed|refunded|sent back)",
        "orders",
        # of the orders placed and the returns of their own (a cancelled order's reversal is no order)
        "count(DISTINCT CASE WHEN o.is_return THEN o.order_id END) / nullif(count(DISTINCT o.order_id) - "
        f"{cancellations()}, 0)",
        "return and cancellation rate",
        "avg",
        whole=True,
        percent=True,
    ),
    Figure(
        r"cancell?(?:ed|ations?)|returns?\b|returned|refund(?:s|ed)?",  # not "returning customers"
        "orders",
        "DISTINCT CASE WHEN o.is_return THEN o.order_id END",
        "returns and cancellations",
        "count",
    ),
    Figure(r"\borders?\b|purchases|busiest|quietest", "orders", ORDERS_PLACED, "orders", "count", whole=True),
    Figure(r"\bprices?\b", "products", "o.price", "price", "avg", money=True),
    Figure(r"margins?", "products", "o.margin", "margin", "avg", percent=True),
    Figure(r"\bstock|inventory", "products", "o.stock", "units in stock", "sum"),
    Figure(r"\bproducts?\b|items|skus", "products", "o.sku", "products", "count"),
    Figure(r"customers?|people|shoppers|buyers|clients", "customers", "c.customer_id", "customers", "count"),
]
# A customer figure asked per a group only orders have ("average basket by country"): the same figure from
# the orders, counted as the customers' own figures are (cancellations lower revenue and are never an order).
ORDER_NET = "sum(o.amount)"
FROM_ORDERS = {
    "order value": Figure(
        "", "orders", f"{ORDER_NET} / nullif({ORDERS_PLACED}, 0)", "order value", "avg", money=True, whole=True
    ),
    "spend": Figure(
        "", "orders", f"{ORDER_NET} / nullif(count(DISTINCT o.customer_id), 0)", "spend", "avg", money=True, whole=True
    ),
    "orders per customer": Figure(
        "", "orders", f"{ORDERS_PLACED} / nullif(count(DISTINCT o.customer_id), 0)", "orders per customer", "avg",
        whole=True,
    ),
    "customers": Figure("", "orders", customers_who_bought(), "customers", "count", whole=True),
}  # fmt: skip
REVENUE = next(f for f in FIGURES if f.label == "revenue")  # the takings, net of returns
