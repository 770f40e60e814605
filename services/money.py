"""Money as a marketer reads it: the shop's currency symbol and thousands separators ("€12,345.60").

One function, used wherever an amount is written for a person, so every answer agrees. Babel would
localise fully, but the shop's currency and an English-style number are all the chat needs.
"""

from __future__ import annotations

import os

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "SEK ", "DKK": "DKK ", "NOK": "NOK "}


def shop_currency() -> str:
    """The shop's currency code (PROMOPILOT_CURRENCY, EUR by default)."""
    return (os.environ.get("PROMOPILOT_CURRENCY") or "EUR").strip().upper()


def format_money(amount: float | None, currency: str = "EUR") -> str:
    """`1234.5` -> "€1,234.50"; whole amounts of 1,000 or more drop the cents ("€12,346"); None -> "–"."""
    if amount is None:
        return "–"
    symbol = SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    digits = f"{value:,.0f}" if value >= 1000 or currency.upper() == "JPY" else f"{value:,.2f}"
    return f"{sign}{symbol}{digits}"
