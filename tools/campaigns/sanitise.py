"""Sanitising untrusted copy (model or template text) before it goes anywhere near a message.

Model text may use only plain merge fields (`{{ first_name }}`, `{{ product }}`, ...): any other
Jinja construct is dropped before a sandbox ever sees it. Only a few inline tags survive (nh3), no
attributes at all, and anything that looks like a URL is removed: the only links in a message are
the campaign's own, through signed click tokens.
"""

from __future__ import annotations

import html
import re

import nh3
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

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
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")
_PARSER = ImmutableSandboxedEnvironment(autoescape=True, trim_blocks=True)


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
        tree = _PARSER.parse(cleaned)
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
    return " ".join(CONTROL_CHARS.sub(" ", plain).split())


def block_to_text(fragment: str) -> str:
    """A cleaned block as plain text for the text/plain part (line breaks kept)."""
    broken = re.sub(r"<br\s*/?>", "\n", fragment, flags=re.IGNORECASE)
    lines = html.unescape(_TEXT_CLEANER.clean(broken)).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()
