"""Find products to promote, and keep the chosen ones on a named shortlist.

Filtering is one DuckDB query with bound parameters: each filter is a fixed SQL fragment plus
its values, so no user text ever becomes SQL. The total count comes from a second, cheap
`count(*)` with the same filters (cheaper on a million rows than a window count over the page).
When nothing matches, each filter is dropped in turn to tell the user which one to loosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from storage import products
from storage.db import Database
from storage.errors import UserError
from storage.shop import get_currency
from tools.catalog import promote
from tools.catalog.audience import require_products
from tools.catalog.product_words import leaders, product_names, search_words
from tools.context import CHAT_SHORTLIST_PREFIX, DEFAULT_SHORTLIST, ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

COLUMNS = "sku, name, category, brand, brand_tier, price, cost, margin, markup, stock"
SortKey = Literal[
    "stock_desc",
    "stock_asc",
    "price_desc",
    "price_asc",
    "margin_desc",
    "margin_asc",
    "name",
    "newest",
    "best_selling",
    "top_revenue",
    "slow_selling",
    "worth_promoting",
]
SOLD = ("best_selling", "top_revenue", "slow_selling")  # orders the orders log ranks
# Best sellers: units sold in the orders log (net of returns), then its revenue; the two columns are shown.
SALES = "(SELECT sku, sum(amount) AS revenue FROM orders WHERE sku IS NOT NULL GROUP BY sku)"
SORTS: dict[SortKey, str] = {
    "best_selling": "units_sold DESC NULLS LAST, revenue DESC NULLS LAST",
    "top_revenue": "revenue DESC NULLS LAST, units_sold DESC NULLS LAST",
    # A product the log never names sold none; one returned more than it sold in the log sold none either.
    "slow_selling": "greatest(coalesce(units_sold, 0), 0) ASC, coalesce(revenue, 0) ASC",
    "stock_desc": "stock DESC NULLS LAST",
    "stock_asc": "stock ASC NULLS LAST",
    "price_desc": "price DESC NULLS LAST",
    "price_asc": "price ASC NULLS LAST",
    "margin_desc": "margin DESC NULLS LAST",
    "margin_asc": "margin ASC NULLS LAST",
    "name": "name ASC NULLS LAST",
    "newest": "created_at DESC NULLS LAST",
    "worth_promoting": promote.ORDER,
}


class ProductFilter(BaseModel):
    min_stock: int | None = Field(None, ge=0, description="Only products with at least this many in stock.")
    max_stock: int | None = Field(None, ge=0, description="Only products with at most this many in stock.")
    min_margin: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Minimum gross margin, as a fraction of the price: 0.6 = at least 60% of the price is profit "
        "((price - cost) / price; the markup on cost is its own column).",
    )
    # NaN would compare false with every price (an empty result for no visible reason): refused instead.
    price_min: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Lowest price (in the shop's currency)."
    )
    price_max: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Highest price (in the shop's currency)."
    )
    category: list[str] = Field(default_factory=list, description="Category, e.g. Outerwear (any of these).")
    brand: list[str] = Field(default_factory=list, description="Brand name (any of these).")
    search: str | None = Field(None, description="Text to look for in the name, SKU, brand or category.")
    sort: SortKey = Field(
        "stock_desc",
        description="Order of the results. best_selling = most units sold in the orders log first (then revenue); "
        "top_revenue = most revenue in the orders log first, net of returns; "
        "slow_selling = fewest first (slow movers; a product the log never names sold none); "
        "stock_desc also falls back to it when no product's stock is known (an orders log gives none). "
        "worth_promoting = ideas for what to promote: in stock only, ranked by a score averaging how recent sales "
        "(last 90 days of orders), margin and stock rank among all products; each row says why.",
    )
    limit: int = Field(20, ge=1, le=500, description="How many products to show.")
    offset: int = Field(0, ge=0, description="Skip this many (for the next page).")


@dataclass(frozen=True)
class Condition:
    flag: str  # the CLI option a user would loosen
    sql: str  # a fixed fragment with `?` placeholders
    params: list[Any]


def conditions(args: ProductFilter) -> list[Condition]:
    """The active filters, each a constant SQL fragment with its bound values."""
    found: list[Condition] = []

    def add(flag: str, value: Any, sql: str, params: list[Any] | None = None) -> None:
        if value not in (None, [], ""):
            found.append(Condition(flag, sql, [value] if params is None else params))

    add("--min-stock", args.min_stock, "stock >= ?")
    add("--max-stock", args.max_stock, "stock <= ?")
    add("--min-margin", args.min_margin, "margin >= ?")
    add("--price-min", args.price_min, "price >= ?")
    add("--price-max", args.price_max, "price <= ?")
    # ILIKE, not lower(): DuckDB matches without building lowered copies (and faster without ESCAPE).
    for flag, column, wanted in (("--category", "category", args.category), ("--brand", "brand", args.brand)):
        if wanted:
            parts = [_ilike(column, w) for w in wanted]
            found.append(Condition(flag, "(" + " OR ".join(sql for sql, _ in parts) + ")", [v for _, v in parts]))
    needle = (args.search or "").strip()
    if needle:
        parts = [_ilike(column, needle, anywhere=True) for column in ("name", "sku", "brand", "category")]
        found.append(Condition("--search", "(" + " OR ".join(sql for sql, _ in parts) + ")", [v for _, v in parts]))
    return found


def _ilike(column: str, text: str, *, anywhere: bool = False) -> tuple[str, str]:
    """A case-insensitive match of `column` against `text` taken literally: a fixed SQL fragment and its
    pattern. % and _ in the text are escaped (and only then is ESCAPE used: it is slower)."""
    wildcard = "%" if anywhere else ""
    if any(ch in text for ch in "%_\\"):
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} ILIKE ? ESCAPE '\\'", f"{wildcard}{escaped}{wildcard}"
    return f"{column} ILIKE ?", f"{wildcard}{text}{wildcard}"


def _where(conds: list[Condition]) -> tuple[str, list[Any]]:
    if not conds:
        return "", []
    return " WHERE " + " AND ".join(c.sql for c in conds), [p for c in conds for p in c.params]


def count_products(db: Database, conds: list[Condition]) -> int:
    where, params = _where(conds)
    return db.scalar("SELECT count(*) FROM products" + where, params)  # noqa: S608 - fixed fragments


def _check_bounds(args: ProductFilter) -> None:
    for low, high, names in (
        (args.price_min, args.price_max, ("--price-min", "--price-max")),
        (args.min_stock, args.max_stock, ("--min-stock", "--max-stock")),
    ):
        if low is not None and high is not None and low > high:
            raise UserError(
                f"{names[0]} ({low:g}) is above {names[1]} ({high:g}): no product can match both.",
                hint=f"Swap the two values, or drop one of {names[0]} / {names[1]}.",
            )


@tool(cli="products")
def find_products(ctx: ToolContext, args: ProductFilter) -> ToolResult:
    """Find products by stock, margin, price, category, brand or text, e.g. overstocked outerwear under 100.

    Returns a page of products and the total count. Margin is the gross margin, (price - cost) / price.
    Keep the ones to promote with shortlist_add, then match them to segments or customers.
    """
    _check_bounds(args)
    conds = conditions(args)
    if args.sort == "worth_promoting":  # a sold-out product is no idea for a campaign
        conds.append(Condition("--sort worth_promoting (in stock only)", promote.IN_STOCK, []))
    total = count_products(ctx.db, conds)
    if total == 0:
        return _nothing_found(ctx.db, args, conds)
    where, params = _where(conds)
    args, note = _known_order(ctx.db, args, where, params)
    columns, source = COLUMNS, "products"
    if args.sort in SOLD:  # the figures it ranks by are shown too
        columns += ", units_sold, revenue"
        source = f"(SELECT p.*, s.revenue FROM products p LEFT JOIN {SALES} s USING (sku))"  # noqa: S608
    known = promote.factors(ctx.db) if args.sort == "worth_promoting" else None
    if known:
        columns += ", sold_90d, score" if known.sales else ", score"
        source = promote.source(known)
    page = ctx.db.df(
        f"SELECT {columns} FROM {source}{where} ORDER BY {SORTS[args.sort]}, sku LIMIT ? OFFSET ?",  # noqa: S608
        [*params, args.limit, args.offset],
    )
    if known:
        rows = page.to_dict("records")
        page["why"] = [promote.why(r, known) for r in rows]
        note = promote.pitch(rows, known) + note
    elif args.offset == 0:
        note = leaders(page.to_dict("records"), args.sort, get_currency(ctx.db)) + note
    first, last = args.offset + 1, args.offset + len(page)
    return ToolResult(
        summary=search_words(args, total, first, last, get_currency(ctx.db)) + note,
        data={"total": total, "offset": args.offset, "skus": page["sku"].tolist(), "sort": args.sort},
        tables=[Table.from_df("Products", page, limit=None, total=total)],
    )


def _known_order(db: Database, args: ProductFilter, where: str, params: list[Any]) -> tuple[ProductFilter, str]:
    """The order asked for, unless what it ranks by is unknown for every product: most stock first means
    nothing for a shop that only has an orders log (best sellers then), best sellers nothing without one
    (most stock then, and the answer says why)."""
    if args.sort not in ("stock_desc", *SOLD):
        return args, ""
    stock, sold = db.execute(
        f"SELECT count(stock), count(units_sold) FROM products{where}",  # noqa: S608 - fixed fragments
        params,
    ).fetchone()
    if args.sort == "stock_desc" and not stock and sold:
        return args.model_copy(update={"sort": "best_selling"}), ""
    if args.sort in SOLD and not sold:
        which = "worst" if args.sort == "slow_selling" else "best"
        note = f" No orders log with products is imported, so I cannot tell which sell {which}."
        return args.model_copy(update={"sort": "stock_desc"}), note
    return args, ""


def _nothing_found(db: Database, args: ProductFilter, conds: list[Condition]) -> ToolResult:
    """Say which single filter to drop for the most results (and name unknown categories/brands)."""
    if not conds or not count_products(db, []):
        raise UserError(
            "There are no products in the database yet.",
            hint="Generate demo data (promopilot demo) or import products (promopilot import products FILE).",
        )
    hints = []
    for column, wanted in (("category", args.category), ("brand", args.brand)):
        # Products without a category or brand have no name to offer (not a category called "None").
        sql = f"SELECT DISTINCT {column} FROM products WHERE {column} IS NOT NULL ORDER BY 1"  # noqa: S608
        known = [r[0] for r in db.execute(sql).fetchall()]
        unknown = [w for w in wanted if w.lower() not in {k.lower() for k in known}]
        if unknown:
            hints.append(f"There is no {column} {', '.join(unknown)}; known: {', '.join(known[:20]) or 'none'}.")
    loosened = {c.flag: count_products(db, [o for o in conds if o is not c]) for c in conds}
    flag, more = max(loosened.items(), key=lambda kv: kv[1])
    if more:
        hints.append(f"Without {flag} there would be {more:,} product{'s' if more != 1 else ''}.")
    else:
        hints.append("No single filter explains it: try fewer filters at once.")
    looked_for = search_words(args, 0, 1, 0, get_currency(db)).split(";")[0].removeprefix("0 ")  # "dresses under €50"
    return ToolResult(
        summary=f"No {looked_for}. " + " ".join(hints),
        data={"total": 0, "skus": [], "loosen": loosened},
    )


# -- shortlists ------------------------------------------------------------------------------
SHORTLIST_FIELD = "Which shortlist (none = this chat's own; 'default' at the command line)."


class ShortlistAddArgs(BaseModel):
    skus: Annotated[list[str], Positional()] = Field(min_length=1, description="SKUs to keep for the campaign.")
    shortlist: str | None = Field(None, min_length=1, description=SHORTLIST_FIELD)


class ShortlistArgs(BaseModel):
    shortlist: str | None = Field(None, min_length=1, description=SHORTLIST_FIELD)


class ShortlistRemoveArgs(BaseModel):
    skus: Annotated[list[str], Positional()] = Field(
        default_factory=list, description="SKUs to take off (none = clear the list)."
    )
    shortlist: str | None = Field(None, min_length=1, description=SHORTLIST_FIELD)


def shortlist_skus(db: Database, name: str = DEFAULT_SHORTLIST) -> list[str]:
    """The SKUs on a shortlist, in the order they were added."""
    return products.shortlist_skus(db, name)


def forget_chat_shortlists(db: Database) -> int:
    """Drop every chat's own shortlist; returns how many products were on them.

    A chat lives in the web app's memory only, so when the app starts, no earlier chat can come
    back to its shortlist: this keeps them from piling up. Named shortlists are the user's, and kept."""
    return products.forget_shortlists(db, CHAT_SHORTLIST_PREFIX)


def hand_over_to_campaign(ctx: ToolContext, skus: list[str], campaign_id: int) -> str:
    """Take a new campaign's products off this chat's own shortlist: they live on in the campaign, and the
    shortlist starts the next email afresh ("keep the top one" then means one, not the old three plus one).
    A named shortlist (and the CLI's 'default') is never emptied. Returns the sentence that says so."""
    if not ctx.chat_id:
        return ""
    name = ctx.shortlist()
    moved = [s for s in skus if s in set(shortlist_skus(ctx.db, name))]
    if not moved:
        return ""
    with ctx.db.transaction() as con:
        con.execute("DELETE FROM shortlists WHERE name = ? AND sku IN (SELECT unnest(?))", [name, moved])
    left = shortlist_skus(ctx.db, name)
    rest = f"it still holds {product_names(ctx.db, left)}" if left else "it is empty for the next email"
    return (
        f" {product_names(ctx.db, moved)} moved from this chat's shortlist into campaign {campaign_id}, so {rest}"
        f" (to shortlist {'it' if len(moved) == 1 else 'them'} again: *add {', '.join(moved)} to the shortlist*)."
    )


def _label(ctx: ToolContext, name: str, *, start: bool = False) -> str:
    """How a summary names a shortlist (`start`: at the start of a sentence): a chat's own by what it
    is, not by its generated name."""
    label = "this chat's shortlist" if ctx.chat_id and name == ctx.shortlist() else f"the shortlist '{name}'"
    return label[0].upper() + label[1:] if start else label


def resolve_skus(ctx: ToolContext, skus: list[str], shortlist: str | None, *, option: str = "--product") -> list[str]:
    """The products a request is about: the SKUs given, else the shortlist's (the chat's own when none is
    named; UserError if that is empty too, naming the caller's `option` for giving SKUs)."""
    if skus:
        return list(dict.fromkeys(skus))
    name = ctx.shortlist(shortlist)
    listed = shortlist_skus(ctx.db, name)
    if not listed:
        raise UserError(
            f"No product given and {_label(ctx, name)} is empty.",
            hint=f"Name a product ({option} SKU) or shortlist some first (promopilot shortlist add SKU ...).",
        )
    return listed


def _show(ctx: ToolContext, name: str, summary: str) -> ToolResult:
    rows = ctx.db.df(
        f"SELECT p.* FROM (SELECT {COLUMNS} FROM products) p "  # noqa: S608 - constant
        "JOIN (SELECT sku, position FROM shortlists WHERE name = ?) s USING (sku) ORDER BY s.position",
        [name],
    )
    return ToolResult(
        summary=summary,
        data={"name": name, "skus": rows["sku"].tolist()},
        tables=[Table.from_df(_label(ctx, name, start=True), rows, limit=None)] if len(rows) else [],
    )


@tool(cli="shortlist add")
def shortlist_add(ctx: ToolContext, args: ShortlistAddArgs) -> ToolResult:
    """Keep products on a shortlist for the campaign, so they can be referred to later ("those three").

    Without a name, each chat keeps its own shortlist."""
    name = ctx.shortlist(args.shortlist)
    skus = list(dict.fromkeys(args.skus))
    require_products(ctx.db, skus)
    # Kept anyway (stock may be on its way), but a campaign should not surprise anyone with a sold-out product.
    sold_out = [
        r[0]
        for r in ctx.db.execute(
            "SELECT sku FROM products WHERE sku IN (SELECT unnest($skus)) AND stock <= 0 "
            "ORDER BY list_position($skus, sku)",
            {"skus": skus},
        ).fetchall()
    ]
    with ctx.db.transaction() as con:
        con.execute(
            """INSERT INTO shortlists (name, sku, position)
               SELECT $name, sku, coalesce((SELECT max(position) FROM shortlists WHERE name = $name), 0)
                                  + row_number() OVER (ORDER BY i)
               FROM (SELECT unnest($skus) AS sku, generate_subscripts($skus, 1) AS i)
               WHERE sku NOT IN (SELECT sku FROM shortlists WHERE name = $name)""",
            {"name": name, "skus": skus},
        )
    listed = shortlist_skus(ctx.db, name)
    warning = f" Out of stock: {product_names(ctx.db, sold_out)}." if sold_out else ""
    held = product_names(ctx.db, listed)
    return _show(ctx, name, f"{_label(ctx, name, start=True)} now holds {len(listed)}: {held}.{warning}")


@tool(cli="shortlist show")
def shortlist_show(ctx: ToolContext, args: ShortlistArgs) -> ToolResult:
    """Show the products on a shortlist, in the order they were added."""
    name = ctx.shortlist(args.shortlist)
    listed = shortlist_skus(ctx.db, name)
    if not listed:
        # Named shortlists are shared and worth offering; other chats' own ones are theirs.
        others = ctx.db.execute(
            "SELECT DISTINCT name FROM shortlists WHERE NOT starts_with(name, ?) ORDER BY 1", [CHAT_SHORTLIST_PREFIX]
        ).fetchall()
        more = f" Other shortlists: {', '.join(r[0] for r in others)}." if others else ""
        return ToolResult(summary=f"{_label(ctx, name, start=True)} is empty.{more}", data={"name": name, "skus": []})
    return _show(ctx, name, f"{_label(ctx, name, start=True)} holds {len(listed)}: {product_names(ctx.db, listed)}.")


@tool(cli="shortlist remove")
def shortlist_remove(ctx: ToolContext, args: ShortlistRemoveArgs) -> ToolResult:
    """Take products off a shortlist (or clear it when no SKU is given)."""
    name = ctx.shortlist(args.shortlist)
    listed = shortlist_skus(ctx.db, name)
    missing = [s for s in args.skus if s not in listed]
    if missing:
        raise UserError(
            f"Not on {_label(ctx, name)}: {', '.join(missing)}.",
            hint=f"It holds: {', '.join(listed) or 'nothing'}.",
        )
    if not listed:
        return _show(ctx, name, f"{_label(ctx, name, start=True)} is already empty.")
    with ctx.db.transaction() as con:
        if args.skus:
            con.execute("DELETE FROM shortlists WHERE name = ? AND sku IN (SELECT unnest(?))", [name, args.skus])
        else:
            con.execute("DELETE FROM shortlists WHERE name = ?", [name])
    left = shortlist_skus(ctx.db, name)
    return _show(
        ctx,
        name,
        f"Removed {len(args.skus) or len(listed)} from {_label(ctx, name)}; "
        + (f"it holds {len(left)}: {product_names(ctx.db, left)}." if left else "it is now empty."),
    )
