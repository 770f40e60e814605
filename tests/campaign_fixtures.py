"""Campaigns for the delivery tests: a small demo shop and an approved two-variant campaign over it.

Drafting and approval are tested in their own files; here the rows are written directly so the
delivery tests depend on nothing but the schema and the renderer.
"""

from __future__ import annotations

import json
import shutil

import pytest

from storage.db import Database
from tests.smtp_server import FaultySMTPServer
from tools import Settings, ToolContext, run_tool

COPY = [
    {
        "variant": "A",
        "subject": "{{ first_name }}, new in: {{ product }}",
        "preheader": "Picked for you",
        "blocks": ["We think you'll love the {{ recommended }}."],
        "cta_text": "Shop now",
    },
    {
        "variant": "B",
        "subject": "Your {{ category }} edit",
        "preheader": "Fresh arrivals",
        "blocks": ["Hello {{ first_name }}, the {{ recommended }} is back in stock."],
        "cta_text": "See it",
    },
]


@pytest.fixture(scope="session")
def shop_file(tmp_path_factory) -> str:
    """A small demo shop (30 customers), generated once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    with Database(path) as db:
        run_tool(
            ToolContext(db=db, settings=Settings(db_path=str(path))),
            "generate_demo_data",
            customers=30,
            products=12,
            seed=11,
        )
    return str(path)


@pytest.fixture
def shop(shop_file, tmp_path):
    """A context over a copy of the small shop, with no sending rate limit unless a test sets one."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(shop_file, path)
    db = Database(path)
    yield ToolContext(db=db, settings=Settings(db_path=str(path), send_rate=0))
    db.close()


@pytest.fixture
def smtp(shop):
    """A real SMTP server on 127.0.0.1 that the shop sends to."""
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        yield server


@pytest.fixture
def campaign(shop) -> int:
    return approved_campaign(shop)


def approved_campaign(ctx: ToolContext, *, approved: bool = True) -> int:
    """An approved campaign to every usable customer, with two variants over the first two products."""
    skus = [r[0] for r in ctx.db.execute("SELECT sku FROM products ORDER BY sku LIMIT 2").fetchall()]
    campaign_id = ctx.db.scalar(
        "INSERT INTO campaigns (name, skus) VALUES ('Spring edit', ?) RETURNING campaign_id", [skus]
    )
    ctx.db.execute(
        "INSERT INTO campaign_versions (campaign_id, version, author, variants, cta_url, skus)"
        " VALUES (?, 1, 'template', ?, NULL, ?)",
        [campaign_id, json.dumps(COPY), skus],
    )
    if approved:
        ctx.db.execute(
            "UPDATE campaigns SET status = 'approved', approved_version = 1, approved_by = 'tester',"
            " approved_at = now() WHERE campaign_id = ?",
            [campaign_id],
        )
    return campaign_id


def statuses(ctx: ToolContext, campaign_id: int) -> dict[str, str]:
    """email -> message status."""
    rows = ctx.db.execute("SELECT lower(email), status FROM messages WHERE campaign_id = ?", [campaign_id])
    return dict(rows.fetchall())
