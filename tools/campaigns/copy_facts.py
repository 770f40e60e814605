"""Template lines for a product the shop records without a category or a brand: an orders log's catalogue has a
name and a price only (the UCI log: "GROW A FLYTRAP OR SUNFLOWER IN TIN"). "{{ category }} you'll love, just in"
reached every recipient as " you'll love, just in". Each line that names the category or the brand has a version
here that names only what is known; `known_facts` picks them for the product the email features (the first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

WITHOUT_CATEGORY = {
    "{{ category }} you'll love, just in": "Picks you'll love, just in",
    "New {{ category }} alert 👋": "New picks alert 👋",
    "Don't miss it: {{ category }} favourites are going fast": "Don't miss it: our favourites are going fast",
    "Don't miss it: {{ category }} to shop today": "Don't miss it: our picks to shop today",
    "Limited availability: {{ brand }} {{ category }}": "Limited availability: {{ brand }}",
    "Now available: {{ brand }} {{ category }}": "Now available: {{ brand }}",
    "{{ brand }} {{ category }} at {{ price }}": "{{ brand }} at {{ price }}",
    "{{ brand }}: timeless {{ category }} at {{ price }}": "{{ brand }}: timeless style at {{ price }}",
    "New in our {{ category }}, when you have a moment": "New in our shop, when you have a moment",
    "{{ brand }} {{ category }}, {{ price }}": "{{ brand }}, {{ price }}",
    "Ready for something new in {{ category }}?": "Ready for something new?",
    "Meet the <b>{{ product }}</b>, from our {{ category }} collection, at {{ price }}.": (
        "Meet the <b>{{ product }}</b>, at {{ price }}."
    ),
}
WITHOUT_BRAND = {  # read after WITHOUT_CATEGORY: "Limited availability: {{ brand }}" may be its line already
    "{{ first_name }}, this {{ brand }} piece has your name on it": "{{ first_name }}, this piece has your name on it",
    "{{ brand }} style at {{ price }}": "Our pick at {{ price }}",
    "Treat yourself: {{ brand }} at {{ price }} 🎉": "Treat yourself: the {{ product }} at {{ price }} 🎉",
    "While stock lasts: {{ brand }} at {{ price }}": "While stock lasts: the {{ product }} at {{ price }}",
    "Shop it now: {{ brand }} at {{ price }}": "Shop it now: the {{ product }} at {{ price }}",
    "Limited availability: {{ brand }} {{ category }}": "Limited availability: {{ category }}",
    "Limited availability: {{ brand }}": "Limited availability: the {{ product }}",
    "Now available: {{ brand }} {{ category }}": "Now available: {{ category }}",
    "Now available: {{ brand }}": "Now available: the {{ product }}",
    "{{ brand }} {{ category }} at {{ price }}": "{{ category }} at {{ price }}",
    "{{ brand }} at {{ price }}": "The {{ product }} at {{ price }}",
    "{{ brand }}: timeless {{ category }} at {{ price }}": "Timeless {{ category }} at {{ price }}",
    "{{ brand }}: timeless style at {{ price }}": "Timeless style at {{ price }}",
    "{{ brand }} {{ category }}, {{ price }}": "{{ category }}, {{ price }}",
    "{{ brand }}, {{ price }}": "The {{ product }}, {{ price }}",
    "{{ brand }} at {{ price }}: tempted?": "The {{ product }} at {{ price }}: tempted?",
}


def known_facts(products: list[dict[str, Any]]) -> Callable[[str], str]:
    """How a template line reads when the featured product has no category or no brand: the version without."""
    featured = products[0] if products else {}
    tables = [
        table
        for fact, table in (("category", WITHOUT_CATEGORY), ("brand", WITHOUT_BRAND))
        if not str(featured.get(fact) or "").strip()
    ]

    def say(line: str) -> str:
        for table in tables:
            line = table.get(line, line)
        return line

    return say
