"""Signed tracking links: open pixel, click redirect and one-click unsubscribe.

A token is base64url(payload + MAC): the payload carries what the tracking endpoint needs to act
(kind, campaign, customer and, for a click, which of the campaign's own URLs to redirect to), the
MAC is a truncated HMAC-SHA256 over it, so nobody can forge or alter one. The target URL is never
in the token: a click can only reach a URL the campaign itself contains, which rules out open
redirects. The key is `Settings.secret` or, when unset, a random secret generated once and kept
in `app_secrets`.

    signer = LinkSigner.for_db(db, settings)
    signer.click_url(campaign_id=3, customer_id="C0000042", url_index=1)
    verify(db, settings, token)  # -> LinkToken(kind="click", ...) or None
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from services.settings import Settings
from storage import campaigns
from storage.db import Database
from storage.errors import UserError
from tools.context import ToolContext

Kind = Literal["open", "click", "unsubscribe"]
KINDS: dict[str, Kind] = {"o": "open", "c": "click", "u": "unsubscribe"}
CODES = {kind: code for code, kind in KINDS.items()}
SECRET_NAME = "link_signing_key"
SIGNATURE_BYTES = 16  # 128-bit truncated HMAC: unforgeable, and keeps links short
MAX_TOKEN_LENGTH = 600  # anything longer is garbage; refuse before decoding
_URLSAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True)
class LinkToken:
    """What a verified token says: who did what in which campaign (`url_index` only for clicks)."""

    kind: Kind
    campaign_id: int
    customer_id: str
    url_index: int | None = None


class LinkSigner:
    """Makes and checks tokens with one key; builds absolute tracking URLs under `public_url`."""

    def __init__(self, secret: str | bytes, public_url: str) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        # A derived key, so the same secret could sign other things without tokens being interchangeable.
        key = hmac.new(raw, b"promopilot/links/v1", hashlib.sha256).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self.base = public_url.rstrip("/")

    @classmethod
    def for_db(cls, db: Database, settings: Settings) -> LinkSigner:
        return cls(link_secret(db, settings), settings.public_url)

    def token(self, kind: Kind, campaign_id: int, customer_id: str, url_index: int | None = None) -> str:
        if (kind == "click") != (url_index is not None):
            raise ValueError("a click token needs a url_index, other kinds must not have one")
        # customer_id goes last: it is the only free-form field, so it may contain the separator.
        payload = f"{CODES[kind]}:{int(campaign_id)}:{'' if url_index is None else int(url_index)}:{customer_id}"
        data = payload.encode()
        return _b64(data + self._sign(data))

    def verify(self, token: str) -> LinkToken | None:
        """The token's content if it is intact and well-formed, else None (never raises)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            raw = _unb64(token)
        except (binascii.Error, ValueError):
            return None
        data, given = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
        if len(raw) <= SIGNATURE_BYTES or not hmac.compare_digest(self._sign(data), given):
            return None
        try:
            code, campaign, index, customer = data.decode().split(":", 3)
            kind = KINDS[code]
            url_index = int(index) if index else None
            return LinkToken(kind, int(campaign), customer, url_index)
        except (UnicodeDecodeError, ValueError, KeyError):
            return None  # signed by us but not a shape we make: treat as garbage

    def open_url(self, campaign_id: int, customer_id: str) -> str:
        return f"{self.base}/t/o/{self.token('open', campaign_id, customer_id)}.gif"

    def click_url(self, campaign_id: int, customer_id: str, url_index: int) -> str:
        return f"{self.base}/t/c/{self.token('click', campaign_id, customer_id, url_index)}"

    def unsubscribe_url(self, campaign_id: int, customer_id: str) -> str:
        return f"{self.base}/t/u/{self.token('unsubscribe', campaign_id, customer_id)}"

    def _sign(self, data: bytes) -> bytes:
        mac = self._mac.copy()  # copying the keyed state is cheaper than re-keying per token
        mac.update(data)
        return mac.digest()[:SIGNATURE_BYTES]


def verify(db: Database, settings: Settings, token: str) -> LinkToken | None:
    """Check a token from a tracking URL: its content, or None when tampered with or garbage."""
    return LinkSigner.for_db(db, settings).verify(token)


def link_secret(db: Database, settings: Settings) -> str:
    """`Settings.secret` if set, else the stored secret, generated on first use."""
    if settings.secret:
        return settings.secret
    value = db.scalar("SELECT value FROM app_secrets WHERE name = ?", [SECRET_NAME])
    if value is None:
        with db.transaction() as con:
            con.execute(
                "INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [SECRET_NAME, secrets.token_urlsafe(32)],
            )
        value = db.scalar("SELECT value FROM app_secrets WHERE name = ?", [SECRET_NAME])
    return value


def _b64(data: bytes) -> str:
    # binascii directly: base64.urlsafe_b64encode's wrappers cost more than the encoding itself
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII token part")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # one spelling per token: no unused bits or stray characters
        raise ValueError("non-canonical base64")
    return data


def campaign_urls(db: Database, settings: Settings, campaign_id: int) -> list[str]:
    """The URLs a click on campaign `campaign_id` may redirect to, by url_index (empty if not approved)."""
    version = campaigns.approved_version(db, campaign_id)
    if version is None:
        return []
    return build_campaign_urls(settings, campaign_id, version["cta_url"], list(version["skus"] or []))


def build_campaign_urls(settings: Settings, campaign_id: int, cta_url: str | None, skus: list[str]) -> list[str]:
    """Index 0 is the call to action; then one product page per SKU, all tagged for analytics."""
    targets = [cta_url or settings.shop_url] + [f"{settings.shop_url}/products/{quote(sku, safe='')}" for sku in skus]
    return [_tag(url, campaign_id) for url in targets]


def _tag(url: str, campaign_id: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", "promopilot"), ("utm_medium", "email"), ("utm_campaign", f"promopilot-{campaign_id}")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_link(ctx: ToolContext, url: str | None) -> None:
    """A link the assistant writes must point at the shop or a domain the settings allow (a person may type any).

    A model that read a prompt injection could otherwise send every customer to `evil.example/login`."""
    if url is None or ctx.actor != "agent":
        return
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    allowed = {(urlsplit(ctx.settings.shop_url).hostname or "").lower(), *ctx.settings.link_domains} - {""}
    if not any(host == domain or host.endswith(f".{domain}") for domain in allowed):
        raise UserError(
            f"The link {url} is not on the shop's own site ({', '.join(sorted(allowed))}), so I cannot use it.",
            hint="Use a page of the shop, or the person can set any link themselves "
            "(the allowed sites can be extended in the settings).",
        )
