"""Chainlit's web server, adjusted: our tracking links served in front of its catch-all page, and
its page kept from contacting other hosts. Both patch Chainlit at start-up (`app.py`), because
Chainlit has no setting for either; both are idempotent, as Chainlit's watch mode re-imports app.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from services.settings import Settings
from storage.db import Database
from web.tracking import create_router


# -- tracking endpoints on the same server ---------------------------------------------------------
def mount_tracking(server: Any, get_db: Callable[[], Database], settings: Settings) -> None:
    """Serve the open/click/unsubscribe endpoints (/t/...) from the chat's web server.

    Chainlit's router ends in a catch-all GET that answers every path with the app page, so the
    tracking routes are moved in front of it. Idempotent (chainlit's watch mode re-imports app.py).
    """
    if getattr(server.state, "promopilot_tracking", False):
        return
    routes = server.router.routes
    before = len(routes)
    server.include_router(create_router(get_db, settings))
    added = routes[before:]
    del routes[before:]
    routes[0:0] = added
    server.state.promopilot_tracking = True


# -- a page that only talks to this server -----------------------------------------------------------
EXTERNAL_LINK = re.compile(r'\s*<link\b[^>]*\bhref="(?:https?:)?//(?!127\.0\.0\.1[:/"])[^"]*"[^>]*>', re.IGNORECASE)


def keep_page_local(server_module: Any) -> None:
    """Drop the `<link>`s to other hosts from Chainlit's page (Google Fonts preconnects, a CDN KaTeX sheet).

    Chainlit's index.html hard-codes them and no setting removes them: public/theme.json only
    replaces the web-font stylesheet (`custom_fonts = []`, system fonts instead) and LaTeX is off,
    so these links load nothing the app uses, yet would make every visitor's browser contact
    Google and jsdelivr. `serve` looks the template function up on each request, so wrapping it
    here is enough. Idempotent (chainlit's watch mode re-imports app.py).
    """
    original = server_module.get_html_template
    if getattr(original, "keeps_page_local", False):
        return

    def local_template(root_path: str) -> str:
        return EXTERNAL_LINK.sub("", original(root_path))

    local_template.keeps_page_local = True  # type: ignore[attr-defined]
    server_module.get_html_template = local_template
