"""What an import can fill: the schema columns per kind of file, their aliases, and the matching of a
file's headers to them (aliases, case and spacing ignored, `--map` for the rest)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from storage.errors import UserError

if TYPE_CHECKING:
    from tools.data.read import Source

Kind = Literal["customers", "products", "orders", "suppressions"]
# "id": text normalised the same way in every file (trimmed, Shopify's leading apostrophe dropped, a
# spreadsheet's "17850.0" read as "17850"); "consent": yes/no in the spellings exports use; "email": an
# address, lower-cased.
ColumnType = Literal["text", "id", "number", "integer", "timestamp", "list", "consent", "email"]


@dataclass(frozen=True)
class Column:
    """One schema column an import can fill, and the header names that commonly mean it."""

    name: str
    type: ColumnType
    table: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Header names read as this column only when no alias matched: an orders log that names its customers
    # (a wholesaler's "CUSTOMERNAME", a marketplace's "Buyer") but has no customer id.
    fallbacks: tuple[str, ...] = ()


CONSENT_ALIASES = (
    "accepts email marketing",
    "accepts marketing",
    "email marketing",
    "email marketing consent",
    "marketing consent",
    "consent",
    "opt-in",
    "optin",
    "opted in",
    "email opt-in",
    "newsletter",
    "subscribed",
    "subscription status",
    "member status",
    "email status",
)  # fmt: skip  (not a bare "status": in a CRM export that is often the account's, active/inactive)
ORDER_ID_ALIASES = (
    "id", "order", "order number", "order no", "transaction id", "invoice", "invoiceno", "invoice no", "invoice number",
)  # fmt: skip
CUSTOMER_NAME_FALLBACKS = ("customer name", "client name", "buyer", "buyer name", "company name", "account name")
_CUSTOMER_ID = ("customer id", "cust_id", "customer", "customer number", "customer no", "client id", "user id")
SCHEMAS: dict[str, list[Column]] = {
    "customers": [
        Column("customer_id", "id", "customers", (*_CUSTOMER_ID, "id", "member id"), required=True),
        Column("first_name", "text", "customers", ("first name", "firstname", "given name", "forename")),
        Column("last_name", "text", "customers", ("last name", "surname", "family name", "lastname")),
        Column("email", "text", "customers", ("e-mail", "email address", "e-mail address", "mail")),
        Column("created_at", "timestamp", "customers", ("signup date", "created", "registered at", "customer since")),
        Column("email_consent", "consent", "customers", CONSENT_ALIASES),
        Column("customer_type", "text", "customer_behavior", ("spender type", "type")),
        Column(
            "total_spent", "number", "customer_behavior", ("total", "total spend", "monetary", "lifetime value", "ltv")
        ),
        Column(
            "order_count",
            "integer",
            "customer_behavior",
            ("orders", "total orders", "frequency", "number of orders", "purchases"),
        ),
        Column("avg_order_value", "number", "customer_behavior", ("aov", "average order value", "avg basket")),
        Column("days_since_last_purchase", "integer", "customer_behavior", ("recency", "days since last order")),
        Column("visit_frequency", "number", "customer_behavior", ("visits", "visits per month")),
        Column("cart_abandonment_rate", "number", "customer_behavior", ("abandonment rate", "cart abandonment")),
        Column("style", "text", "customer_preferences", ("preferred style", "style preference")),
        Column("preferred_categories", "list", "customer_preferences", ("categories", "favourite categories")),
        Column("preferred_brands", "list", "customer_preferences", ("brands", "favourite brands")),
        Column("price_range_min", "number", "customer_preferences", ("min price", "price min")),
        Column("price_range_max", "number", "customer_preferences", ("max price", "price max")),
        Column("discount_sensitivity", "number", "customer_preferences", ("discount affinity",)),
        Column("luxury_affinity", "number", "customer_preferences", ("luxury",)),
    ],
    "products": [
        Column("sku", "id", "products", ("id", "product id", "item id", "article number", "product code"), True),
        Column("name", "text", "products", ("product name", "title", "product")),
        Column("category", "text", "products", ("product category", "product line", "product type")),
        Column("brand", "text", "products", ("brand name", "manufacturer")),
        Column("brand_tier", "text", "products", ("tier",)),
        Column("cost", "number", "products", ("unit cost", "cost price", "purchase price")),
        Column("margin", "number", "products", ("gross margin", "margin rate")),
        Column("markup", "number", "products", ("mark-up", "markup on cost")),
        Column("price", "number", "products", ("retail price", "sale price", "unit price")),
        # Not "quantity": in an orders log that is the quantity ordered, never what is in stock.
        Column("stock", "integer", "products", ("inventory", "stock level", "in stock", "on hand", "available")),
        Column("created_at", "timestamp", "products", ("created", "added")),
    ],
    "orders": [
        Column("order_id", "id", "orders", ORDER_ID_ALIASES, required=True),
        Column("customer_id", "id", "orders", _CUSTOMER_ID, fallbacks=CUSTOMER_NAME_FALLBACKS),  # none: still revenue
        Column(
            "ordered_at",
            "timestamp",
            "orders",
            ("date", "order date", "purchase date", "created at", "invoice date"),
            True,
        ),
        # A line total; without one, the amount is quantity x unit price.
        Column("amount", "number", "orders", ("total", "order total", "line total", "value", "revenue", "sales")),
        Column("quantity", "number", "orders", ("qty", "units", "quantity ordered", "lineitem quantity")),
        Column("unit_price", "number", "orders", ("unit price", "price", "price each", "item price", "lineitem price")),
        Column(
            "sku", "id", "orders", ("product id", "item id", "product code", "product", "stock code", "lineitem sku")
        ),
        Column("description", "text", "orders", ("product name", "item name", "lineitem name", "item description")),
        Column("category", "text", "orders", ("product category", "product line", "product type")),
        Column("country", "text", "orders", ("billing country", "shipping country", "customer country")),
        Column("status", "text", "orders", ("order status", "financial status", "transaction type", "line status")),
        # What was refunded of the order (Shopify's "Refunded Amount"): a partial refund takes off only that.
        Column(
            "refunded_amount",
            "number",
            "orders",
            ("amount refunded", "refund amount", "total refunded", "refunded total"),
        ),
        Column("line", "integer", "orders", ("line number", "line no", "order line number", "position")),
    ],
    "suppressions": [
        Column(
            "email", "email", "suppressions", ("e-mail", "email address", "e-mail address", "mail", "address"), True
        ),
        Column("reason", "text", "suppressions", ("type", "status", "event", "suppression reason")),
    ],
}
KEYS = {"customers": ["customer_id"], "products": ["sku"], "orders": ["order_id", "line"], "suppressions": ["email"]}
# The fields as a person says them (the chat's answers and tables; the CLI keeps the field names).
FIELD_WORDS = {
    "customer_id": "customer id", "email": "email address", "first_name": "first name", "last_name": "last name",
    "email_consent": "email consent", "created_at": "created", "total_spent": "total spent",
    "order_count": "number of orders", "avg_order_value": "average order value",
    "days_since_last_purchase": "days since last purchase", "order_id": "order number", "ordered_at": "order date",
    "unit_price": "unit price", "sku": "product code (SKU)", "description": "product name",
    "amount (or quantity and unit_price)": "line amount (or quantity and unit price)",
}  # fmt: skip


def field_words(field: str) -> str:
    """A field in words: "ordered_at" -> "order date"."""
    return FIELD_WORDS.get(field) or field.replace("_", " ")


def missing_fields(kind: str, fields: list[str]) -> list[str]:
    """The required fields a file's columns do not give. An order line's amount may come from quantity
    and unit price; a customer file without ids (Mailchimp's) takes them from the addresses."""
    missing = [c.name for c in SCHEMAS[kind] if c.required and c.name not in fields]
    if kind == "orders" and "amount" not in fields and "unit_price" not in fields:
        missing.append("amount (or quantity and unit_price)")
    return missing


def read_by_fallback(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """The file columns read as a field by a fallback name ({"CUSTOMERNAME": "customer_id"}): the summary says so."""
    fallbacks = {c.name: {header_key(f) for f in c.fallbacks} for c in SCHEMAS[kind]}
    return {src: dst for src, dst in mapping.items() if header_key(src) in fallbacks.get(dst, ())}


def header_key(name: str) -> str:
    """Header comparison key: case, spacing and punctuation do not matter ("E-mail" == "email")."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def match_columns(kind: str, source: Source, user_map: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """file column -> schema column, and the file columns nothing matched."""
    schema = {c.name: c for c in SCHEMAS[kind]}
    by_key = {header_key(c.name): c.name for c in schema.values()}
    by_key.update({header_key(a): c.name for c in schema.values() for a in c.aliases if header_key(a) not in by_key})
    file_by_key = {header_key(c): c for c in reversed(source.columns)} | {c: c for c in source.columns}
    mapping: dict[str, str] = {}
    ignored: set[str] = set()
    for src, dst in user_map.items():
        column = file_by_key.get(src) or file_by_key.get(header_key(src))
        if column is None:
            raise UserError(
                f"--map {src}={dst}: {source.path.name} has no column {src!r}.",
                hint=f"Its columns are: {', '.join(source.columns) or 'none'}.",
            )
        if header_key(dst) in ("ignore", "skip", ""):
            ignored.add(column)
            continue
        if dst not in schema:
            raise UserError(
                f"--map {src}={dst}: {kind} have no field {dst!r}.",
                hint=f"Fields for {kind}: {', '.join(schema)} (or 'ignore' to skip the column).",
            )
        mapping[column] = dst
    for column in source.columns:
        target = by_key.get(header_key(column))
        if column in mapping or column in ignored or target is None or target in mapping.values():
            continue
        mapping[column] = target
    for target in schema.values():  # a fallback only where no alias gave the column
        keys = {header_key(f) for f in target.fallbacks}
        column = next((c for c in source.columns if header_key(c) in keys and c not in mapping), None)
        if keys and column and column not in ignored and target.name not in mapping.values():
            mapping[column] = target.name
    unmatched = [c for c in source.columns if c not in mapping and c not in ignored and c != "__line"]
    return mapping, unmatched
