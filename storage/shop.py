"""The shop's own settings kept in the database: its currency and postal address.

A setting is either given by the user or detected from the data (an import writes what it found,
never over the user's choice). `get_currency` is what copy, tables and reports use for money.
"""

from __future__ import annotations

from storage.db import Database

DEFAULT_CURRENCY = "EUR"  # the demo shop's, and what a shop with no other sign gets
# Countries whose one currency an orders log from that country tells (ISO 3166 names as exports write them).
COUNTRY_CURRENCY = {
    "united kingdom": "GBP", "uk": "GBP", "great britain": "GBP", "gb": "GBP", "england": "GBP",
    "united states": "USD", "usa": "USD", "us": "USD", "canada": "CAD", "australia": "AUD",
    "switzerland": "CHF", "sweden": "SEK", "norway": "NOK", "denmark": "DKK", "poland": "PLN", "japan": "JPY",
    "germany": "EUR", "france": "EUR", "spain": "EUR", "italy": "EUR", "netherlands": "EUR", "belgium": "EUR",
    "austria": "EUR", "ireland": "EUR", "eire": "EUR", "portugal": "EUR", "finland": "EUR", "greece": "EUR",
}  # fmt: skip
SYMBOL_CURRENCY = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY"}


def get_setting(db: Database, name: str) -> str | None:
    return db.scalar("SELECT value FROM shop_settings WHERE name = ?", [name])


def set_setting(db: Database, name: str, value: str, source: str = "user") -> None:
    """Store a setting; a detected value never replaces one the user gave."""
    db.execute(
        """INSERT INTO shop_settings (name, value, source) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET value = excluded.value, source = excluded.source,
               updated_at = now()
           WHERE shop_settings.source <> 'user' OR excluded.source = 'user'""",
        [name, value, source],
    )


def get_currency(db: Database) -> str:
    """The shop's ISO 4217 currency code: set by the user, else detected from imports, else EUR."""
    return get_setting(db, "currency") or DEFAULT_CURRENCY
