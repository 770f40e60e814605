"""Money as a marketer reads it: the shop's currency and thousands separators ("€12,345.60", "1,234.50 CHF").

One function, used wherever an amount is written for a person, so every answer, table and email
agrees. Babel would localise fully, but the shop's currency and an English-style number are all the
chat and the emails need.
"""

from __future__ import annotations

from functools import cache

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
NO_CENTS = {"JPY"}


@cache
def currency_codes() -> frozenset[str]:
    """The ISO 4217 codes (Faker's list, already a dependency for the demo shop): "CSV" or "VIP" is no currency."""
    from faker.providers.currency import Provider

    return frozenset(code for code, _ in Provider.currencies)


def format_money(amount: float | None, currency: str = "EUR") -> str:
    """`1234.5` -> "€1,234.50"; a currency without a symbol here follows the amount ("1,234.50 CHF").

    `currency` is the shop's (`storage.shop.get_currency`: set by the user, or detected on import)."""
    if amount is None:
        return "–"
    code = currency.upper()
    digits = f"{abs(amount):,.0f}" if code in NO_CENTS else f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 and float(digits.replace(",", "")) else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {code}"
