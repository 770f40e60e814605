"""A file attached to the chat, made ready to import: under its own name, as the kind of data it holds.

Chainlit stores an upload under a random id (`.files/<session>/3f2a….csv`). The import reads a file's
name: it is what the answer says ("Imported 6 rows from 3f2a….csv" means nothing to the person), what
each customer's source records, and, for Mailchimp's per-status exports (`unsubscribed_members_export_…`),
the only place their consent is written. So the upload is linked (or copied) under the name the person
gave it, in a folder of its own beside the stored one, before it is imported. Plain Python, tested
without a browser; `assistant.webapp` calls it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".jsonl", ".ndjson", ".json"}
# A list of addresses never to email: said in the file name or the message ("these people must never get email").
SUPPRESSIONS = re.compile(
    r"suppress|bounce|block ?list|black ?list|do.?not.?(?:e-?mail|contact|mail)|dnc|opt.?outs?\b"
    r"|never (?:to )?(?:get|receive|be (?:e-?mailed|contacted|sent)|e-?mail)"
)
# "Client is the customer id", "the Mail column holds the email": which file column means which field.
SAYS_FIELD = {
    "customer_id": r"customer (?:id|number|no)|client id|id",
    "email": r"e-?mail(?: address)?|address",
    "order_id": r"order (?:id|number|no)|invoice(?: number| no)?",
    "ordered_at": r"order date|date",
    "sku": r"sku|product code|stock code",
}
COLUMN_IS = re.compile(
    r"[\"“'‘]?([^\"“”'‘’,;:.!?]{1,40}?)[\"”'’]?(?: column)?\s+(?:is|holds|has|=|means)\s+"
    r"(?:the\s+)?([a-z -]{2,20}?)\s*(?:column)?\s*(?:$|[,;.!?]|\band\b)",
    re.IGNORECASE,
)
# Header keys (lower-case, letters and digits) that make a file an orders log or a product list.
ORDER_KEYS = {"invoiceno", "invoice", "invoicenumber", "orderid", "ordernumber", "orderno", "transactionid"}
LINE_KEYS = {"quantity", "qty", "invoicedate", "orderdate", "unitprice", "lineitemquantity", "lineitemname", "sku"}
PRODUCT_KEYS = {"stock", "inventory", "stocklevel", "onhand", "variantsku", "variantinventoryqty"}
CUSTOMER_KEYS = {"customerid", "email", "emailaddress", "customer"}
KINDS = (("orders", ("order", "purchase", "transaction", "invoice", "sales")), ("products", ("product", "inventory")))


def guess_kind(file_name: str, text: str, columns: list[str] | tuple[str, ...] = ()) -> str:
    """suppressions / orders / products when the file name or the message says so, or else its columns (an
    orders log such as UCI's `online_retail.csv` names no orders: its InvoiceNo and Quantity do); customers
    otherwise.

    Mailchimp's `unsubscribed_members_export_…` is an audience (customers whose consent its name gives),
    not a suppression list, so "unsubscribed" alone does not make one."""
    words = f"{file_name} {text}".lower()
    if SUPPRESSIONS.search(words):
        return "suppressions"
    for kind, stems in KINDS:
        if any(stem in words for stem in stems):
            return kind
    keys = {re.sub(r"[^0-9a-z]", "", c.lower()) for c in columns}
    if keys & ORDER_KEYS and keys & LINE_KEYS:
        return "orders"
    if keys & PRODUCT_KEYS and not keys & CUSTOMER_KEYS:
        return "products"
    return "customers"


def header(path: str) -> list[str]:
    """A text file's column names, from its first line (UTF-8 or Excel's UTF-16; comma, tab, semicolon or
    pipe); none for Parquet and JSON, or a file that cannot be read (the import says what is wrong with it)."""
    if Path(path).suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return []
    try:
        with open(path, "rb") as file:
            start = file.read(65536)
    except OSError:
        return []
    encoding = "utf-16" if start[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    first = start.decode(encoding, errors="replace").splitlines()[:1]
    if not first:
        return []
    delimiter = max((",", "\t", ";", "|"), key=first[0].count)
    return [c.strip().strip('"') for c in first[0].split(delimiter)]


def said_columns(text: str) -> dict[str, str]:
    """The columns the message says hold which field ("Client is the customer id" -> {"Client": "customer_id"}),
    as import_data's `map`: how a person fixes a file whose id or email column has a name no alias knows."""
    found: dict[str, str] = {}
    for column, words in COLUMN_IS.findall(text):
        column = re.sub(r"^(?:the|and|but|so)\s+", "", column.strip(), flags=re.IGNORECASE)
        field = next((f for f, pattern in SAYS_FIELD.items() if re.fullmatch(pattern, words.strip().lower())), None)
        if field and column:
            found[column] = field
    return found


# "the dates are day first", "they're US dates", "dd/mm/yyyy": how a file's dates are written, for the import
DATE_ORDERS = {
    "day-first": r"day (?:comes )?first|dd[/.-]mm|d/m/y|european|uk dates|british|day before (?:the )?month",
    "month-first": r"month (?:comes )?first|mm[/.-]dd|m/d/y|american|us (?:dates|format|style)"
    r"|month before (?:the )?day",
}


def said_date_order(text: str) -> str | None:
    """The date order a message gives (import_data's `date_format`), if it gives exactly one."""
    said = [order for order, words in DATE_ORDERS.items() if re.search(rf"\b(?:{words})", text.lower())]
    return said[0] if len(said) == 1 else None


def upload_note(name: str, kind: str, *, summary: str | None = None, failed: str | None = None) -> str:
    """What the conversation records of an upload (after NOTE_PREFIX): what was imported, or why it failed;
    "why did that fail?" and "why were rows skipped?" are answered from it (see planner.memory.NOTE_UPLOAD)."""
    if failed is not None:
        return f"The user uploaded {name!r} as {kind}; the import failed: {failed}"
    return f"The user uploaded {name!r} as {kind}: {summary}"


def named_upload(stored: str, name: str) -> str:
    """The path of the upload `stored` under its own file `name` (a link, or a copy where links fail).

    `name` comes from the browser: only its last part is used, so it cannot lead out of the folder."""
    source = Path(stored)
    safe = Path(name.replace("\\", "/")).name.strip()
    if safe in {"", ".", ".."}:
        safe = source.name
    target = source.parent / source.stem / safe
    if target.exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy
        shutil.copyfile(source, target)
    return str(target)
