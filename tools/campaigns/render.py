"""Turn an approved campaign version into complete MIME messages, fast and safely.

Two stages, so the expensive work happens once per campaign, not once per recipient:

1. Compile (once per variant and recommended product): the copy, which is untrusted model or
   template text, is rendered in a sandboxed Jinja2 environment where each per-recipient field
   (first name, signed links) is a random placeholder; the result is sanitised with nh3, laid out
   in `email_templates/`, its CSS inlined by css-inline, and split into static text and named holes.
   The stdlib email package builds the MIME skeleton (static headers, parts, boundary) once.
2. Render (per recipient): sign the links, fill the placeholders, encode the bodies and join
   the bytes. No parsing, no inlining, no header folding (except for a cached personalised subject).

The copy is sanitised by `tools.campaigns.sanitise` before the sandbox ever sees it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from time import time
from typing import Any
from urllib.parse import urlsplit

import css_inline
from jinja2 import FileSystemLoader, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from services.money import format_money
from services.settings import Settings
from storage import campaigns, products
from storage.db import Database
from storage.errors import UserError
from storage.shop import get_currency
from tools.campaigns.links import LinkSigner, build_campaign_urls
from tools.campaigns.mime import Holes, TextPart, crlf, date_header, fold_subject, tidy_subject, wrap
from tools.campaigns.sanitise import CONTROL_CHARS, block_to_text, clean_block, safe_template, to_plain
from tools.context import ToolContext

TEMPLATES = Path(__file__).with_name("email_templates")
FIRST_NAME_FALLBACK = "there"
NAME_SHOWN = "[First name]"  # where a personal subject puts the name, as the marketer reads it
PREVIEW_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

_ADDRESS = re.compile(r"[^\s<>,;\"]+@[^\s<>,;\"]+")
_HTML = ImmutableSandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
_TEXT = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES), autoescape=False, trim_blocks=True, keep_trailing_newline=True
)
_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_at_rules=True, extra_css=(TEMPLATES / "email.css").read_text()
)


# -- the renderer --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    """One person to render a message for (built by the sender from the frozen recipient list)."""

    customer_id: str
    email: str
    first_name: str | None
    variant: str
    recommended_sku: str | None
    message_id: str


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    brand: str
    category: str
    price: str


@dataclass(frozen=True)
class RenderedEmail:
    """A message's readable parts, for previews."""

    subject: str
    html: str
    text: str


@dataclass
class _Compiled:
    """One variant for one recommended product, ready to fill per recipient."""

    html: Holes
    text: TextPart
    subject: Holes  # holes only when `personal_subject`
    personal_subject: bool
    clicks: tuple[tuple[str, int], ...]  # (placeholder, url_index) the message links to
    head: bytes  # skeleton up to the text body
    middle: bytes  # between the text and the HTML body
    tail: bytes


@dataclass
class _Variant:
    subject: Template
    preheader: Template
    blocks: list[Template]
    cta_text: Template
    compiled: dict[str | None, _Compiled] = field(default_factory=dict)


class CampaignRenderer:
    """Renders one version of one campaign for any number of recipients."""

    def __init__(
        self,
        ctx: ToolContext,
        campaign: dict[str, Any],
        version: dict[str, Any],
        *,
        tracking: bool = True,
        subject_prefix: str = "",
    ) -> None:
        self.campaign_id: int = campaign["campaign_id"]
        self.subject_prefix = subject_prefix  # "[TEST] ": a test copy says so where the inbox shows it
        self.version: int = version["version"]
        self.settings: Settings = ctx.settings
        self.tracking = tracking
        self.signer = LinkSigner.for_db(ctx.db, ctx.settings) if tracking else None
        skus = list(version["skus"] or [])
        self.products = _load_products(ctx.db, skus, get_currency(ctx.db))
        self.missing_skus = tuple(sku for sku in skus if sku not in self.products)  # gone from the catalogue since
        self.campaign_urls: tuple[str, ...] = tuple(
            build_campaign_urls(ctx.settings, self.campaign_id, version["cta_url"], skus)
        )
        self._url_index = {sku: i + 1 for i, sku in enumerate(skus)}  # 0 is the call-to-action URL
        self.shop = parseaddr(ctx.settings.from_address)[0] or urlsplit(ctx.settings.shop_url).hostname or "our shop"
        # The sender's postal address closes every email (CAN-SPAM requires one).
        self.postal_address = to_plain(ctx.settings.postal_address)
        self._nonce = secrets.token_hex(6)
        self._variants: dict[str, _Variant] = {}
        for copy in campaigns.variants(version):
            self._variants[str(copy["variant"])] = _Variant(
                subject=_TEXT.from_string(safe_template(copy["subject"])),
                preheader=_TEXT.from_string(safe_template(copy.get("preheader") or "")),
                blocks=[_HTML.from_string(safe_template(b)) for b in copy.get("blocks") or []],
                cta_text=_TEXT.from_string(safe_template(copy.get("cta_text") or "Shop now")),
            )
        self.variants: tuple[str, ...] = tuple(self._variants)

    @classmethod
    def for_campaign(cls, ctx: ToolContext, campaign_id: int) -> CampaignRenderer:
        """The renderer for sending: only the approved version, with tracking links."""
        campaign = campaigns.load(ctx.db, campaign_id)
        if campaign["approved_version"] is None or campaign["status"] in {"draft", "cancelled"}:
            raise UserError(
                f"Campaign {campaign_id} is not approved, so it cannot be sent.",
                hint=f"Preview it (promopilot campaign preview {campaign_id}) and approve one version "
                f"(promopilot campaign approve {campaign_id} --version N).",
            )
        renderer = cls(ctx, campaign, campaigns.load_version(ctx.db, campaign_id, campaign["approved_version"]))
        if renderer.missing_skus:  # its card and link would be missing from what the person approved
            gone = ", ".join(renderer.missing_skus)
            raise UserError(
                f"Campaign {campaign_id} features {'a product' if len(renderer.missing_skus) == 1 else 'products'}"
                f" no longer in the catalogue ({gone}), so it cannot be sent as approved. Nothing was sent.",
                hint="Import the product again (promopilot import), or draft a new campaign with products that"
                " exist (promopilot campaign draft --skus ...).",
            )
        return renderer

    @classmethod
    def for_preview(
        cls,
        ctx: ToolContext,
        campaign_id: int,
        version: int | None = None,
        *,
        tracking: bool = False,
        subject_prefix: str = "",
    ) -> CampaignRenderer:
        """Any version (default: the approved one, else the latest); links go straight to their targets."""
        campaign = campaigns.load(ctx.db, campaign_id)
        if version is None:
            version = campaign["approved_version"] or campaigns.latest_version(ctx.db, campaign_id)
        loaded = campaigns.load_version(ctx.db, campaign_id, version)
        return cls(ctx, campaign, loaded, tracking=tracking, subject_prefix=subject_prefix)

    # -- per recipient ---------------------------------------------------------------------------
    def render(self, recipient: Recipient) -> bytes:
        """The complete message (headers and multipart/alternative body) as bytes ready for SMTP."""
        compiled = self._compiled(recipient.variant, recipient.recommended_sku)
        values = self._values(recipient, compiled)
        if not _ADDRESS.fullmatch(recipient.email):
            raise ValueError(f"not a single plain address: {recipient.email!r}")
        message_id = recipient.message_id if recipient.message_id.startswith("<") else f"<{recipient.message_id}>"
        if not _ADDRESS.fullmatch(message_id[1:-1]):
            raise ValueError(f"not a Message-ID: {recipient.message_id!r}")
        subject = fold_subject(compiled.subject.fill(values), self.subject_prefix) if compiled.personal_subject else ""
        unsubscribe = f"List-Unsubscribe: <{values['unsubscribe']}>\r\n" if self.tracking else ""
        date = date_header(int(time()))
        headers = f"To: {recipient.email}\r\n{subject}Date: {date}\r\nMessage-ID: {message_id}\r\n{unsubscribe}"
        text = compiled.text.quoted_printable(values)
        body = compiled.html.fill(values).encode("ascii")
        return b"".join((headers.encode(), compiled.head, text, compiled.middle, body, compiled.tail))

    def preview(self, recipient: Recipient) -> RenderedEmail:
        compiled = self._compiled(recipient.variant, recipient.recommended_sku)
        values = self._values(recipient, compiled)
        subject = compiled.subject.fill(values)
        return RenderedEmail(
            tidy_subject(subject) if compiled.personal_subject else subject,
            compiled.html.fill(values),
            compiled.text.fill(values),
        )

    def subject(self, variant: str, *, name_shown: bool = False) -> str:
        """A variant's subject line as most recipients see it (first name filled with the fallback); with
        `name_shown`, as the marketer should read it: "[First name], new in" (without a name it reads "New in")."""
        name = NAME_SHOWN if name_shown else None
        return self.preview(Recipient("preview", "preview@example.com", name, variant, None, "p@example.com")).subject

    def _values(self, recipient: Recipient, compiled: _Compiled) -> dict[str, str]:
        known = _first_name(recipient.first_name)
        name = known or FIRST_NAME_FALLBACK
        values = {
            "firstname": str(escape(name)).encode("ascii", "xmlcharrefreplace").decode(),
            "nametext": name,
            "subjectname": known,  # "Anna, new in" / "New in": a subject reads better without "there"
        }
        if self.signer is None:
            values["open"] = PREVIEW_PIXEL
            values["unsubscribe"] = "#unsubscribe"
            values.update((slot, self.campaign_urls[i]) for slot, i in compiled.clicks)
            return values
        signer, campaign, customer = self.signer, self.campaign_id, recipient.customer_id
        values["open"] = signer.open_url(campaign, customer)
        values["unsubscribe"] = signer.unsubscribe_url(campaign, customer)
        values.update((slot, signer.click_url(campaign, customer, i)) for slot, i in compiled.clicks)
        return values

    # -- once per variant and product ------------------------------------------------------------
    def _compiled(self, variant: str, sku: str | None) -> _Compiled:
        try:
            entry = self._variants[variant]
        except KeyError:
            raise UserError(
                f"Campaign {self.campaign_id} version {self.version} has no variant {variant!r}.",
                hint=f"Its variants are {', '.join(self.variants)}.",
            ) from None
        key = sku if sku in self.products else None
        compiled = entry.compiled.get(key)
        if compiled is None:
            compiled = entry.compiled[key] = self._compile(entry, key)
        return compiled

    def _compile(self, entry: _Variant, sku: str | None) -> _Compiled:
        slot = f"ppslot{self._nonce}Q{{}}Q".format
        featured = next(iter(self.products.values()), None)
        pick = self.products.get(sku) if sku else featured
        facts = {
            "product": featured.name if featured else "",
            "brand": featured.brand if featured else "",
            "category": featured.category if featured else "",
            "price": featured.price if featured else "",
            "recommended": pick.name if pick else "",
            "shop": self.shop,
        }
        html_fields = {**facts, "first_name": slot("firstname")}
        text_fields = {**facts, "first_name": slot("nametext")}
        subject = to_plain(entry.subject.render({**facts, "first_name": slot("subjectname")}))
        blocks = [b for b in (clean_block(t.render(html_fields)) for t in entry.blocks) if b]

        def card(product: Product) -> dict[str, str]:
            return {**product.__dict__, "url": slot(f"click{self._url_index[product.sku]}")}

        layout = {
            "subject": subject,
            "preheader": to_plain(entry.preheader.render(text_fields)),
            "cta_text": to_plain(entry.cta_text.render(text_fields)) or "Shop now",
            "cta_url": slot("click0"),
            "pick": card(pick) if pick else None,
            "more": [card(p) for p in self.products.values() if p is not pick][:3],
            "shop": self.shop,
            "postal_address": self.postal_address,
            "unsubscribe_url": slot("unsubscribe"),
            "open_url": slot("open"),
        }
        # The same plain fields in HTML take the HTML-escaped first name, never the raw one.
        as_html = {
            k: layout[k].replace(slot("nametext"), slot("firstname")).replace(slot("subjectname"), slot("firstname"))
            for k in ("subject", "preheader", "cta_text")
        }
        page = _INLINER.inline(
            _HTML.get_template("campaign.html").render(
                layout, **as_html, first_name=slot("firstname"), blocks=[Markup(b) for b in blocks]
            )
        )
        text = _TEXT.get_template("campaign.txt").render(
            layout,
            first_name=slot("nametext"),
            blocks=[block_to_text(b).replace(slot("firstname"), slot("nametext")) for b in blocks],
        )
        placeholder = re.compile(rf"ppslot{self._nonce}Q([a-z0-9]+)Q")
        personal = placeholder.search(subject) is not None
        html_part = Holes.parse(crlf(wrap(page)).encode("ascii", "xmlcharrefreplace").decode(), placeholder)
        text_part = TextPart(crlf(text).rstrip() + "\r\n", placeholder)
        head, middle, tail = self._skeleton(None if personal else self.subject_prefix + subject)
        return _Compiled(
            html=html_part,
            text=text_part,
            subject=Holes.parse(subject, placeholder),
            personal_subject=personal,
            clicks=tuple((s, int(s[5:])) for s in sorted(html_part.names | text_part.names) if s.startswith("click")),
            head=head,
            middle=middle,
            tail=tail,
        )

    def _skeleton(self, subject: str | None) -> tuple[bytes, bytes, bytes]:
        """Static headers and MIME structure from the email package, split where the bodies go."""
        text_marker, html_marker = f"pptext{self._nonce}", f"pphtml{self._nonce}"
        message = EmailMessage(policy=policy.SMTP)
        try:
            message["From"] = self.settings.from_address
            if self.settings.reply_to:
                message["Reply-To"] = self.settings.reply_to
        except (ValueError, IndexError) as exc:
            raise UserError(
                f"The sender address is not valid: {exc}", hint="Check PROMOPILOT_FROM and PROMOPILOT_REPLY_TO."
            ) from None
        if subject is not None:
            message["Subject"] = subject
        if self.tracking:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text_marker, cte="quoted-printable")
        message.add_alternative(html_marker, subtype="html", cte="7bit")
        head, rest = message.as_bytes().split(text_marker.encode() + b"\r\n")
        middle, tail = rest.split(html_marker.encode())
        return head, middle, tail


# -- loading -------------------------------------------------------------------------------------
def _load_products(db: Database, skus: list[str], currency: str) -> dict[str, Product]:
    """The campaign's products in the version's order; names are shop data, so cleaned like copy."""
    found = products.by_sku(db, skus)
    return {
        sku: Product(
            sku=sku,
            name=to_plain(found[sku]["name"] or sku)[:120],
            brand=to_plain(found[sku]["brand"] or "")[:60],
            category=to_plain(found[sku]["category"] or "")[:60],
            price=format_money(found[sku]["price"], currency),
        )
        for sku in skus
        if sku in found
    }


# -- small helpers -------------------------------------------------------------------------------
def _first_name(name: str | None) -> str:
    """A clean first name ('' if none): control characters gone, shouting or lower case fixed."""
    cleaned = " ".join(CONTROL_CHARS.sub(" ", name or "").split())[:40]
    return cleaned.title() if cleaned.isupper() or cleaned.islower() else cleaned
