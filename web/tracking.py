"""The links inside sent messages: open pixel, click redirect, unsubscribe (`/t/...`).

    GET  /t/o/{token}.gif   a 1x1 GIF; records an open
    GET  /t/c/{token}       records a click, then 302 to the campaign's own URL number `url_index`
    GET  /t/u/{token}       a confirmation page with one button (link scanners fetch GETs: no change)
    POST /t/u/{token}       unsubscribes: one click per RFC 8058 (mail apps POST
                            `List-Unsubscribe=One-Click`), or the page's button; replaying it changes nothing

Tokens are HMAC-signed (`tools.campaigns.links`): a tampered or unknown token gets 404 and changes nothing.
A click token holds only an index into the campaign's own URLs, never a URL, so there is no open
redirect. Events are only recorded for people the campaign was sent to; repeated opens and
clicks are kept (with time and user agent) and counted once per person in the report.

The chat app mounts `create_router(get_db)`; `promopilot serve-tracking` serves `tracking_app` alone.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import duckdb
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from services.settings import Settings
from storage.customers import address_sql
from storage.db import Database
from tools.campaigns.links import LinkSigner, LinkToken, campaign_urls
from web.event_spool import EventSpool, event

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>{title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5">
<h1 style="font-size:1.4rem">{title}</h1>{body}</body></html>"""


def create_router(
    get_db: Callable[[], Database], settings: Settings | None = None, *, batched: bool = True
) -> APIRouter:
    """The /t/ endpoints over the database `get_db()` returns (shared, not closed here).

    Opens and clicks go through an `EventSpool` (durable at once, into the database in batches);
    `batched=False` is the simple way, one transaction per hit (the benchmark's baseline)."""
    router = APIRouter(prefix="/t", include_in_schema=False)
    config = settings or Settings.from_env()
    spool = EventSpool(get_db()) if batched else None
    signer = cache(lambda: LinkSigner.for_db(get_db(), config))  # the key never changes once made
    urls_of = lru_cache(maxsize=1024)(lambda campaign: campaign_urls(get_db(), config, campaign))  # fixed once sent

    def checked(token: str, kind: str) -> LinkToken:
        link = signer().verify(token)
        if link is None or link.kind != kind:
            raise HTTPException(status_code=404, detail="Not found")
        return link

    async def record(link: LinkToken, kind: str, url: str | None, request: Request) -> None:
        if spool is None:
            await run_in_threadpool(_record, get_db(), link, kind, url, request)
        else:
            user_agent = request.headers.get("user-agent")
            await spool.record(event(link.campaign_id, link.customer_id, kind, url, user_agent))

    @router.get("/o/{token}.gif")
    async def open_pixel(token: str, request: Request) -> Response:
        link = checked(token, "open")
        await record(link, "open", None, request)
        return Response(PIXEL, media_type="image/gif", headers=NO_STORE)

    @router.get("/c/{token}")
    async def click(token: str, request: Request) -> RedirectResponse:
        link = checked(token, "click")
        urls = await run_in_threadpool(urls_of, link.campaign_id)
        if not 0 <= link.url_index < len(urls):
            raise HTTPException(status_code=404, detail="Not found")
        await record(link, "click", urls[link.url_index], request)
        return RedirectResponse(urls[link.url_index], status_code=302, headers=NO_STORE)

    @router.get("/u/{token}", response_class=HTMLResponse)
    def unsubscribe_page(token: str) -> HTMLResponse:
        link = checked(token, "unsubscribe")
        address = _address(get_db(), link)
        if address is None:
            return _page("Nothing to unsubscribe", "<p>We could not find this subscription.</p>")
        body = (
            f"<p>Stop marketing emails to <strong>{html.escape(_mask(address))}</strong>?</p>"
            '<form method="post"><button type="submit" style="font-size:1rem;padding:.6rem 1.2rem">'
            "Unsubscribe</button></form>"
        )
        return _page("Unsubscribe", body)

    @router.post("/u/{token}", response_class=HTMLResponse)
    def unsubscribe(token: str, request: Request) -> HTMLResponse:
        link = checked(token, "unsubscribe")
        address = _address(get_db(), link)
        if address is None:
            return _page("Nothing to unsubscribe", "<p>We could not find this subscription.</p>")
        _unsubscribe(get_db(), link, address, request.headers.get("user-agent"))
        return _page("You are unsubscribed", "<p>You will not get marketing emails from us any more.</p>")

    return router


def tracking_app(get_db: Callable[[], Database], settings: Settings | None = None, *, batched: bool = True) -> FastAPI:
    """Just the tracking endpoints, for `promopilot serve-tracking` (no chat UI)."""
    app = FastAPI(title="PromoPilot tracking", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_router(get_db, settings, batched=batched))
    return app


def _record(db: Database, link: LinkToken, kind: str, url: str | None, request: Request) -> None:
    """One event, only if the campaign was sent to this person (opens and clicks are kept as they come)."""
    _write(
        db,
        (
            """INSERT INTO events (campaign_id, customer_id, kind, url, user_agent)
               SELECT $campaign, $customer, $kind, $url, $agent WHERE EXISTS (
                   SELECT 1 FROM messages WHERE campaign_id = $campaign AND customer_id = $customer
                   AND status IN ('sent', 'unknown'))""",
            {**_who(link, request.headers.get("user-agent")), "kind": kind, "url": url},
        ),
    )


def _unsubscribe(db: Database, link: LinkToken, address: str, user_agent: str | None) -> None:
    """Suppress the address and record the event once; a replay finds both done and changes nothing."""
    _write(
        db,
        (
            "INSERT INTO suppressions (email, reason, source) VALUES (?, 'unsubscribed', ?) ON CONFLICT DO NOTHING",
            [address, f"campaign {link.campaign_id}"],
        ),
        (
            """INSERT INTO events (campaign_id, customer_id, kind, user_agent)
               SELECT $campaign, $customer, 'unsubscribe', $agent WHERE NOT EXISTS (
                   SELECT 1 FROM events WHERE campaign_id = $campaign AND customer_id = $customer
                   AND kind = 'unsubscribe')""",
            _who(link, user_agent),
        ),
    )


@retry(retry=retry_if_exception_type(duckdb.TransactionException), stop=stop_after_attempt(5), wait=wait_fixed(0.05))
def _write(db: Database, *statements: tuple[str, Any]) -> None:
    """Run the statements in one transaction; retried when a concurrent request touched the same rows."""
    with db.transaction() as con:
        for sql, params in statements:
            con.execute(sql, params)


def _who(link: LinkToken, user_agent: str | None) -> dict[str, Any]:
    return {"campaign": link.campaign_id, "customer": link.customer_id, "agent": (user_agent or "")[:300]}


def _address(db: Database, link: LinkToken) -> str | None:
    """The address this campaign went to for this customer (or the customer's current one)."""
    stored = """coalesce((SELECT email FROM messages WHERE campaign_id = ? AND customer_id = ?),
                          (SELECT email FROM customers WHERE customer_id = ?))"""
    found = db.scalar(
        f"SELECT {address_sql(stored)}",
        [link.campaign_id, link.customer_id, link.customer_id],
    )
    return found or None


def _mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), headers=NO_STORE)
