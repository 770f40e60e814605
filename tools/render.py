"""Turn an approved campaign version into complete MIME messages, fast and safely.

Two stages, so the expensive work happens once per campaign, not once per recipient:

1. Compile (once per variant and recommended product): the copy, which is untrusted model or
   template text, is rendered in a sandboxed Jinja2 environment where each per-recipient field
   (first name, signed links) is a random placeholder; the result is sanitised with nh3, laid out
   in `email_templates/`, its CSS inlined by css-inline, and split into static text and named holes.
   The stdlib email package builds the MIME skeleton (static headers, parts, boundary) once.
2. Render (per recipient): sign the links, fill the placeholders, encode the bodies and join
   the bytes. No parsing, no inlining, no header folding (except for a cached personalised subject).

Model text may use only plain merge fields (`{{ first_name }}`, `{{ product }}`, ...): any other
Jinja construct is dropped before the sandbox ever sees it. Only a few inline tags survive sanitising, no
attributes at all, and anything that looks like a URL is removed: the only links in a message are
the campaign's own, through signed click tokens.
"""

from __future__ import annotations

import binascii
import html
import json
import re
import secrets
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import lru_cache
from pathlib import Path
from time import time
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import css_inline
import nh3
from jinja2 import FileSystemLoader, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from storage.db import Database
from storage.errors import UserError
from storage.shop import get_currency, money
from tools.context import Settings, ToolContext
from tools.links import LinkSigner

TEMPLATES = Path(__file__).with_name("email_templates")
MERGE_FIELDS = frozenset({"first_name", "product", "brand", "category", "price", "recommended", "shop"})
MERGE_ALIASES = {
    "name": "first_name",
    "firstname": "first_name",
    "customer_name": "first_name",
    "customer.first_name": "first_name",
    "product_name": "product",
    "brand_name": "brand",
    "recommended_product": "recommended",
    "shop_name": "shop",
}
INLINE_TAGS = {"b", "strong", "em", "i", "br"}
DROP_WITH_CONTENT = {
    "script", "style", "form", "textarea", "select", "button", "iframe", "object", "embed", "svg", "math",
    "noscript", "template", "title", "head",
}  # fmt: skip
FIRST_NAME_FALLBACK = "there"
MAX_LINE = 900  # SMTP allows 998 octets per line; leave room for the per-recipient values
PREVIEW_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

_BLOCK_CLEANER = nh3.Cleaner(tags=INLINE_TAGS, attributes={}, clean_content_tags=DROP_WITH_CONTENT, link_rel=None)
_TEXT_CLEANER = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags=DROP_WITH_CONTENT, link_rel=None)
_URLISH = re.compile(  # a scheme, www., a host with a path, or a host under a common top-level domain
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\bmailto:)[^\s<>\"']*"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}/[^\s<>\"']*"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|info|biz|io|co|me|ly|shop|store|xyz|top|link|click|app|ru|cn|de|uk|fr)\b",
    re.IGNORECASE,
)
_JINJA = re.compile(r"\{\{(.*?)\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_DELIMITERS = re.compile(r"\{[{%#]|[}%#]\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDRESS = re.compile(r"[^\s<>,;\"]+@[^\s<>,;\"]+")
_HTML = ImmutableSandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
_TEXT = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES), autoescape=False, trim_blocks=True, keep_trailing_newline=True
)
_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_at_rules=True, extra_css=(TEMPLATES / "email.css").read_text()
)


# -- sanitising untrusted copy -------------------------------------------------------------------
def safe_template(text: str) -> str:
    """`text` as a Jinja source that uses nothing but plain merge fields.

    Known fields stay (common aliases such as `{{ name }}` are mapped), any other expression,
    statement or comment is dropped, stray delimiters are removed."""

    def keep(match: re.Match[str]) -> str:
        name = (match.group(1) or "").strip()
        name = MERGE_ALIASES.get(name.lower(), name)
        return "{{ " + name + " }}" if name in MERGE_FIELDS else ""

    pieces, last = [], 0
    for match in _JINJA.finditer(text):
        pieces += [_DELIMITERS.sub("", text[last : match.start()]), keep(match)]
        last = match.end()
    cleaned = "".join([*pieces, _DELIMITERS.sub("", text[last:])])
    try:  # a last check that only plain fields remain
        tree = _HTML.parse(cleaned)
        if all(isinstance(n, nodes.Output | nodes.TemplateData | nodes.Name) for n in tree.find_all(nodes.Node)):
            return cleaned
    except TemplateSyntaxError:
        pass
    return cleaned.replace("{", "").replace("}", "")


def clean_block(fragment: str) -> str:
    """An HTML fragment reduced to a few inline tags, no attributes and no URLs."""
    once = _BLOCK_CLEANER.clean(fragment)
    return re.sub(r"[ \t]{2,}", " ", _BLOCK_CLEANER.clean(_URLISH.sub("", once))).strip()


def to_plain(text: str) -> str:
    """Text with markup, URLs and control characters removed, whitespace collapsed (subjects, buttons)."""
    plain = _URLISH.sub("", html.unescape(_TEXT_CLEANER.clean(text)))  # after unescaping: no "http&#58;//"
    return " ".join(_CONTROL.sub(" ", plain).split())


def block_to_text(fragment: str) -> str:
    """A cleaned block as plain text for the text/plain part (line breaks kept)."""
    broken = re.sub(r"<br\s*/?>", "\n", fragment, flags=re.IGNORECASE)
    lines = html.unescape(_TEXT_CLEANER.clean(broken)).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()


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


@dataclass(frozen=True)
class _Holes:
    """Static text with named holes. Filling is a list copy and one join: `str.format` would rescan
    kilobytes of static HTML per recipient, this only copies it."""

    parts: tuple[str, ...]  # static text at even positions, hole names at odd ones

    @classmethod
    def parse(cls, text: str, placeholder: re.Pattern[str]) -> _Holes:
        return cls(tuple(placeholder.split(text)))  # the pattern's one group keeps the names

    @property
    def names(self) -> set[str]:
        return set(self.parts[1::2])

    def fill(self, values: dict[str, str]) -> str:
        parts = list(self.parts)
        parts[1::2] = [values[name] for name in self.parts[1::2]]
        return "".join(parts)


class _TextPart:
    """The text/plain body: lines without holes are quoted-printable-encoded once, the others per recipient."""

    def __init__(self, text: str, placeholder: re.Pattern[str]) -> None:
        self.lines = [_Holes.parse(line, placeholder) for line in text.split("\r\n")]
        self.encoded = [None if len(h.parts) > 1 else _qp(h.parts[0]) for h in self.lines]
        self.names = set().union(*(h.names for h in self.lines))

    def fill(self, values: dict[str, str]) -> str:
        return "\n".join(h.fill(values) for h in self.lines)

    def quoted_printable(self, values: dict[str, str]) -> bytes:
        pairs = zip(self.lines, self.encoded, strict=True)
        return b"\r\n".join([e if e is not None else _qp(h.fill(values)) for h, e in pairs])


@dataclass
class _Compiled:
    """One variant for one recommended product, ready to fill per recipient."""

    html: _Holes
    text: _TextPart
    subject: _Holes  # holes only when `personal_subject`
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
        self, ctx: ToolContext, campaign: dict[str, Any], version: dict[str, Any], *, tracking: bool = True
    ) -> None:
        self.campaign_id: int = campaign["campaign_id"]
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
        for copy in _variant_list(version["variants"]):
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
        campaign = load_campaign(ctx.db, campaign_id)
        if campaign["approved_version"] is None or campaign["status"] in {"draft", "cancelled"}:
            raise UserError(
                f"Campaign {campaign_id} is not approved, so it cannot be sent.",
                hint=f"Preview it (promopilot campaign preview {campaign_id}) and approve one version "
                f"(promopilot campaign approve {campaign_id} --version N).",
            )
        renderer = cls(ctx, campaign, load_version(ctx.db, campaign_id, campaign["approved_version"]))
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
        cls, ctx: ToolContext, campaign_id: int, version: int | None = None, *, tracking: bool = False
    ) -> CampaignRenderer:
        """Any version (default: the approved one, else the latest); links go straight to their targets."""
        campaign = load_campaign(ctx.db, campaign_id)
        if version is None:
            version = campaign["approved_version"] or latest_version(ctx.db, campaign_id)
        return cls(ctx, campaign, load_version(ctx.db, campaign_id, version), tracking=tracking)

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
        subject = _fold_subject(compiled.subject.fill(values)) if compiled.personal_subject else ""
        unsubscribe = f"List-Unsubscribe: <{values['unsubscribe']}>\r\n" if self.tracking else ""
        headers = (
            f"To: {recipient.email}\r\n{subject}Date: {_date(int(time()))}\r\nMessage-ID: {message_id}\r\n{unsubscribe}"
        )
        text = compiled.text.quoted_printable(values)
        body = compiled.html.fill(values).encode("ascii")
        return b"".join((headers.encode(), compiled.head, text, compiled.middle, body, compiled.tail))

    def preview(self, recipient: Recipient) -> RenderedEmail:
        compiled = self._compiled(recipient.variant, recipient.recommended_sku)
        values = self._values(recipient, compiled)
        subject = compiled.subject.fill(values)
        return RenderedEmail(
            _tidy(subject) if compiled.personal_subject else subject,
            compiled.html.fill(values),
            compiled.text.fill(values),
        )

    def subject(self, variant: str) -> str:
        """A variant's subject line as most recipients see it (first name filled with the fallback)."""
        return self.preview(Recipient("preview", "preview@example.com", None, variant, None, "p@example.com")).subject

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
        html_part = _Holes.parse(_crlf(_wrap(page)).encode("ascii", "xmlcharrefreplace").decode(), placeholder)
        text_part = _TextPart(_crlf(text).rstrip() + "\r\n", placeholder)
        head, middle, tail = self._skeleton(None if personal else subject)
        return _Compiled(
            html=html_part,
            text=text_part,
            subject=_Holes.parse(subject, placeholder),
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
def load_campaign(db: Database, campaign_id: int) -> dict[str, Any]:
    rows = db.rows("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
    if not rows:
        raise UserError(f"There is no campaign {campaign_id}.", hint="See the campaigns with: promopilot campaign list")
    return rows[0]


def latest_version(db: Database, campaign_id: int) -> int:
    return db.scalar("SELECT max(version) FROM campaign_versions WHERE campaign_id = ?", [campaign_id]) or 1


def load_version(db: Database, campaign_id: int, version: int) -> dict[str, Any]:
    rows = db.rows("SELECT * FROM campaign_versions WHERE campaign_id = ? AND version = ?", [campaign_id, version])
    if not rows:
        load_campaign(db, campaign_id)  # a missing campaign is the problem to name, not its version
        raise UserError(
            f"Campaign {campaign_id} has no version {version}.",
            hint=f"Its latest version is {latest_version(db, campaign_id)}.",
        )
    return rows[0]


def campaign_urls(db: Database, settings: Settings, campaign_id: int) -> list[str]:
    """The URLs a click on campaign `campaign_id` may redirect to, by url_index (empty if not approved)."""
    campaign = load_campaign(db, campaign_id)
    if campaign["approved_version"] is None:
        return []
    version = load_version(db, campaign_id, campaign["approved_version"])
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


def _load_products(db: Database, skus: list[str], currency: str) -> dict[str, Product]:
    """The campaign's products in the version's order; names are shop data, so cleaned like copy."""
    rows = db.rows(
        "SELECT sku, name, brand, category, price FROM products WHERE list_contains(?::VARCHAR[], sku)", [skus]
    )
    found = {r["sku"]: r for r in rows}
    return {
        sku: Product(
            sku=sku,
            name=to_plain(found[sku]["name"] or sku)[:120],
            brand=to_plain(found[sku]["brand"] or "")[:60],
            category=to_plain(found[sku]["category"] or "")[:60],
            price=money(found[sku]["price"], currency),
        )
        for sku in skus
        if sku in found
    }


def _variant_list(variants: Any) -> list[dict[str, Any]]:
    return json.loads(variants) if isinstance(variants, str) else list(variants)


# -- small helpers -------------------------------------------------------------------------------
def _first_name(name: str | None) -> str:
    """A clean first name ('' if none): control characters gone, shouting or lower case fixed."""
    cleaned = " ".join(_CONTROL.sub(" ", name or "").split())[:40]
    return cleaned.title() if cleaned.isupper() or cleaned.islower() else cleaned


def _tidy(subject: str) -> str:
    """A subject whose name field was empty: no leading or orphaned punctuation, capital first letter."""
    subject = re.sub(r"\s+([,.!?;:…])", r"\1", subject)
    subject = re.sub(r"[,;:]+(?=[,.!?;:…]|$)", "", subject)
    subject = re.sub(r"^[\s,.;:!?-]+", "", subject).strip()
    return subject[:1].upper() + subject[1:]


def _qp(line: str) -> bytes:
    """One line (no line break) as quoted-printable UTF-8, soft-wrapped at 76 characters."""
    return binascii.b2a_qp(line.encode(), istext=True).replace(b"\n", b"\r\n")  # its soft breaks are bare LF


def _crlf(text: str) -> str:
    return "\r\n".join(text.splitlines())


def _wrap(page: str) -> str:
    """Break any overlong line at a space, so no line can exceed SMTP's limit once filled."""
    out = []
    for line in page.splitlines():
        while len(line) > MAX_LINE and " " in line[1:MAX_LINE]:
            cut = line.rindex(" ", 1, MAX_LINE)
            out.append(line[:cut])
            line = line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=4)
def _date(second: int) -> str:
    return formatdate(second, usegmt=True)


@lru_cache(maxsize=4096)
def _fold_subject(subject: str) -> str:
    """An RFC 2047-encoded, folded Subject line (cached: first names repeat)."""
    return policy.SMTP.header_factory("Subject", _tidy(subject)).fold(policy=policy.SMTP)
