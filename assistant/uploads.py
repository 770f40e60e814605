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
KINDS = (("orders", ("order", "purchase", "transaction", "invoice", "sales")), ("products", ("product", "inventory")))


def guess_kind(file_name: str, text: str) -> str:
    """suppressions / orders / products when the file name or the message says so; customers otherwise.

    Mailchimp's `unsubscribed_members_export_…` is an audience (customers whose consent its name gives),
    not a suppression list, so "unsubscribed" alone does not make one."""
    words = f"{file_name} {text}".lower()
    if SUPPRESSIONS.search(words):
        return "suppressions"
    for kind, stems in KINDS:
        if any(stem in words for stem in stems):
            return kind
    return "customers"


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
