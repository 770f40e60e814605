"""What email copy is written from and what it must look like: the brief (product facts and segment
aggregates, never a customer's name or email) and the validated shape of each variant.

A variant's text is sanitised on validation (`tools.campaigns.sanitise`), whoever wrote it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, field_validator

from storage import predictions as scores
from storage import segments as segment_store
from storage.db import Database
from storage.errors import UserError
from storage.shop import get_currency
from tools.campaigns.sanitise import clean_block, safe_template, to_plain
from tools.catalog.audience import require_products

LABELS = "ABCDE"
ANGLES = ["benefit", "urgency", "curiosity", "personal", "value"]
SUBJECT_CAP, PREHEADER_CAP, BLOCK_CAP, CTA_CAP = 150, 200, 800, 40


PROFILE_CHARS = 1500  # a segment profile is aggregates, but keep the prompt small


class VariantCopy(BaseModel):
    """One email variant. Text is sanitised on validation: markup, links and template code are removed."""

    angle: str = Field("", description="The idea behind this variant in 1-3 words, e.g. 'urgency'.")
    subject: str = Field(description="Subject line, at most 60 characters. May start with {{ first_name }}.")
    preheader: str = Field("", description="Preview text shown after the subject, at most 90 characters.")
    blocks: list[str] = Field(
        min_length=1,
        max_length=8,  # room for a discount code line and the marketer's own lines added to a full template body
        description="2-4 short paragraphs of body text (no greeting, no links); <b> and <em> allowed.",
    )
    cta_text: str = Field(description="Button text, 2-4 words, e.g. 'Shop the edit'.")

    @field_validator("angle", "subject", "preheader", "cta_text")
    @classmethod
    def _plain(cls, value: str, info: Any) -> str:
        cap = {"subject": SUBJECT_CAP, "preheader": PREHEADER_CAP, "cta_text": CTA_CAP}.get(info.field_name, 40)
        text = truncate(to_plain(safe_template(value)), cap)
        if not text and info.field_name in {"subject", "cta_text"}:
            raise ValueError("empty once markup and links are removed")
        return text

    @field_validator("blocks")
    @classmethod
    def _html(cls, blocks: list[str]) -> list[str]:
        cleaned = [clean_block(safe_template(truncate(b, BLOCK_CAP))) for b in blocks]
        if not any(cleaned):
            raise ValueError("no body text left once markup and links are removed")
        return [b for b in cleaned if b]


class CopyDraft(BaseModel):
    variants: list[VariantCopy] = Field(min_length=1, max_length=5)


@dataclass
class CopyBrief:
    """What the copy is about: product facts and audience aggregates only (this is what the model sees)."""

    products: list[dict[str, Any]]  # name, category, brand, brand_tier, price, stock
    audience: list[dict[str, Any]]  # per segment: name, description, size, profile (aggregates)
    tone: str | None = None
    outlook: dict[str, Any] | None = None  # customers chosen by predicted outlook: the choice in words, aggregates

    def prompt(self, **extra: Any) -> str:
        chosen = {"predicted_outlook": self.outlook} if self.outlook else {}
        return json.dumps({"products": self.products, "audience": self.audience, **chosen, **extra}, default=str)


@dataclass
class Copy:
    variants: list[dict[str, Any]]
    author: str  # model / template
    note: str | None = None  # why the templates were used, when a model was configured


def truncate(text: str, cap: int) -> str:
    """At most `cap` characters, cut at a word boundary."""
    if len(text) <= cap:
        return text
    return text[:cap].rsplit(" ", 1)[0].rstrip(",;:-–") + "…"


# -- building a brief ------------------------------------------------------------------------------
def audience_for(db: Database, run_id: int | None, segments: list[int], *, strict: bool = True) -> list[dict[str, Any]]:
    """The targeted segments' names and aggregate profiles (what the copy may be based on).

    `strict=False` (revising) settles for what is left of a segmentation that was since replaced."""
    everyone = [{"name": "All customers", "description": "Every customer who may be emailed."}]
    if run_id is None:
        return everyone
    rows = segment_store.with_profiles(db, run_id)
    known = sorted(r["segment"] for r in rows)
    missing = [s for s in segments if s not in known]
    if missing and strict:
        raise UserError(
            f"No segment {', '.join(map(str, missing))} in the active segmentation (run {run_id}).",
            hint=f"Its segments are {', '.join(map(str, known))} (see promopilot segment list).",
        )
    chosen = [r for r in rows if r["segment"] in segments] if segments else rows
    if not chosen:
        return everyone
    return [
        {
            "segment": r["segment"],
            "name": r["name"] or f"Segment {r['segment']}",
            "description": r["description"],
            "size": r["size"],
            "share": r["share"],
            "profile": _profile(r["profile"]),
        }
        for r in chosen
    ]


def _profile(raw: Any) -> Any:
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    if text is None or len(text) > PROFILE_CHARS:
        return (text or "")[:PROFILE_CHARS] or None
    try:
        return json.loads(text)
    except ValueError:
        return text


def outlook_for(
    db: Database, run_id: int | None, segments: list[int], outlook: scores.Outlook | None
) -> dict[str, Any] | None:
    """What the copy may know about customers chosen by predicted outlook, as aggregates over the campaign's
    audience: the choice in words, the median predicted value, and when their next orders are due (the
    replenishment timing a "time to restock" line rests on)."""
    if not outlook:
        return None
    scope, params = scores.outlook_scope(db, outlook)
    if segments:
        scope += """ AND c.customer_id IN (SELECT customer_id FROM segment_members
                                           WHERE run_id = $run_id AND segment IN (SELECT unnest($segments)))"""
        params |= {"run_id": run_id, "segments": segments}
    ids = f"SELECT c.customer_id FROM customers c WHERE {scope}"  # noqa: S608 - fixed fragments, bound values
    chosen = {"chosen": f"customers {outlook.words()}", "churn_risk": list(outlook.risk)}
    return chosen | (scores.outlook_facts(db, ids, params) if outlook.predicted else {})


def brief_for(
    db: Database,
    skus: list[str],
    audience: list[dict[str, Any]],
    tone: str | None,
    outlook: dict[str, Any] | None = None,
) -> CopyBrief:
    products = require_products(db, skus)
    currency = get_currency(db)  # the model writes prices in the shop's currency, never an assumed €
    facts = [
        {
            "sku": r.sku,
            "name": r.name or unnamed(r.sku, r.category),  # an orders log with codes only (S18_3232)
            "category": r.category,
            "brand": r.brand,
            "brand_tier": r.brand_tier,
            "price": None if r.price is None else round(float(r.price), 2),
            "currency": currency,
            "stock": None if pd.isna(r.stock) else int(r.stock),  # so that "almost gone" is said only when true
        }
        for r in products.itertuples()
    ]
    return CopyBrief(products=facts, audience=audience, tone=tone, outlook=outlook)


def unnamed(sku: str, category: str | None) -> str:
    """What copy calls a product the data gives no name: its category and code ("Classic Cars S18_3232")."""
    return f"{category} {sku}" if category else sku


def default_name(audience: list[dict[str, Any]], products: list[dict[str, Any]], chosen_by: str = "") -> str:
    """ "Bargain hunters: Rain Coat and 2 more"; customers chosen by their outlook from every segment are named by
    it ("Customers at high churn risk: ..."), not by the first segments' names."""
    who = " + ".join(a["name"] for a in audience[:2]) + (" + more" if len(audience) > 2 else "")
    who = f"Customers {chosen_by}" if chosen_by else who
    what = products[0]["name"] + (f" and {len(products) - 1} more" if len(products) > 1 else "")
    return f"{who}: {what}"[:120]
