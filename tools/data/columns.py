"""What an import can fill: the schema columns per kind of file, their aliases, and the matching of a
file's headers to them (aliases, case and spacing ignored, `--map` for the rest)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from storage.errors import UserError

if TYPE_CHECKING:
    from tools.data.read import Source

Kind = Literal["customers", "products", "orders"]
ColumnType = Literal["text", "number", "integer", "timestamp", "list"]


@dataclass(frozen=True)
class Column:
    """One schema column an import can fill, and the header names that commonly mean it."""

    name: str
    type: ColumnType
    table: str
    aliases: tuple[str, ...] = ()
    required: bool = False


_CUSTOMER_ID = ("customer id", "cust_id", "customer", "customer number", "customer no", "client id", "user id")
SCHEMAS: dict[str, list[Column]] = {
    "customers": [
        Column("customer_id", "text", "customers", (*_CUSTOMER_ID, "id", "member id"), required=True),
        Column("first_name", "text", "customers", ("first name", "firstname", "given name", "forename")),
        Column("last_name", "text", "customers", ("last name", "surname", "family name", "lastname")),
        Column("email", "text", "customers", ("e-mail", "email address", "e-mail address", "mail")),
        Column("created_at", "timestamp", "customers", ("signup date", "created", "registered at", "customer since")),
        Column("customer_type", "text", "customer_behavior", ("spender type", "type")),
        Column(
            "total_spent", "number", "customer_behavior", ("total", "total spend", "monetary", "lifetime value", "ltv")
        ),
        Column("order_count", "integer", "customer_behavior", ("orders", "frequency", "number of orders", "purchases")),
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
        Column("sku", "text", "products", ("id", "product id", "item id", "article number", "product code"), True),
        Column("name", "text", "products", ("product name", "title", "product")),
        Column("category", "text", "products", ("product category",)),
        Column("brand", "text", "products", ("brand name", "manufacturer")),
        Column("brand_tier", "text", "products", ("tier",)),
        Column("cost", "number", "products", ("unit cost", "cost price", "purchase price")),
        Column("margin", "number", "products", ("markup",)),
        Column("price", "number", "products", ("retail price", "sale price", "unit price")),
        Column("stock", "integer", "products", ("quantity", "qty", "inventory", "stock level", "in stock")),
        Column("created_at", "timestamp", "products", ("created", "added")),
    ],
    "orders": [
        Column("order_id", "text", "orders", ("id", "order", "order number", "order no", "transaction id"), True),
        Column("customer_id", "text", "orders", _CUSTOMER_ID, required=True),
        Column("ordered_at", "timestamp", "orders", ("date", "order date", "purchase date", "created at"), True),
        Column("amount", "number", "orders", ("total", "order total", "value", "revenue", "price"), required=True),
        Column("sku", "text", "orders", ("product id", "item id", "product code", "product")),
        Column("category", "text", "orders", ("product category",)),
        Column("line", "integer", "orders", ("line number", "line no", "position")),
    ],
}
KEYS = {"customers": ["customer_id"], "products": ["sku"], "orders": ["order_id", "line"]}


def header_key(name: str) -> str:
    """Header comparison key: case, spacing and punctuation do not matter ("E-mail" == "email")."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    unmatched = [c for c in source.columns if c not in mapping and c not in ignored and c != "__line"]
    return mapping, unmatched
