"""The offline planner: a deterministic stand-in for the model, so the whole journey works without a key.

It plugs into the same agent loop as the OpenAI client (it is a `ChatModel`): it reads the
conversation, answers with tool calls, reads the tool results that come back (the same compact
JSON a model gets), and finally streams a templated answer. What it remembers (the last campaign,
SKUs and segment) it reads from the conversation itself, so every chat has its own memory.

Each request type is a small recipe: `(Request) -> Plan`, called once per round with the results
of the calls made so far in this turn.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.chat_model import Completion, TextDelta, ToolCall
from assistant.prompts import HELP_EXAMPLES
from tools.data import vocabulary as catalog

SKU = re.compile(r"\b[A-Z]{2,5}-\d{3,}\b", re.IGNORECASE)
SKU_AFTER_WORD = re.compile(r"\bskus?\s*[:#]?\s*([A-Za-z0-9][\w-]*\d[\w-]*)", re.IGNORECASE)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
TONES = ["playful", "formal", "friendly", "luxurious", "urgent", "casual", "elegant", "warm"]
NOTE_PREFIX = "[UI]"  # how the UI records a button press or an upload in the conversation
NOTE_CAMPAIGN = re.compile(re.escape(NOTE_PREFIX) + r".*?campaign (\d+)")
NUMBER = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
CUSTOMER_ID = re.compile(r"\bC\d{3,}\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The words the recipes look for: a close misspelling of one ("segemnt", "valdiate") is read as it.
KEYWORDS = [
    "segment", "segments", "customers", "validate", "products", "campaign", "campaigns", "shortlist",
    "generate", "preview", "report", "approve", "cluster", "clusters", "inventory", "overview", "revise",
]  # fmt: skip
# Product words that are not a category's name ("jackets", "coats"): the last word of each catalog type.
# ("top" is left to the category Tops: "top 5 products" is a count.)
PRODUCT_TYPES = sorted({t.split()[-1].lower() for types, _ in catalog.CATEGORIES.values() for t in types} - {"top"})
PRODUCT_NOUN = re.compile(r"\b(" + "|".join(PRODUCT_TYPES) + r")(?:e?s)?\b")
SORT_WORDS = [  # (pattern, find_products sort): "cheapest shoes", "top 5 products by margin"
    (r"cheapest|lowest price|least expensive", "price_asc"),
    (r"most expensive|priciest|highest price", "price_desc"),
    (r"(?:best|highest|top|by|high|most) margin|most profitable", "margin_desc"),
    (r"newest|new arrivals|latest|just (?:in|arrived)", "newest"),
    (r"low(?:est)? (?:on )?stock|running (?:low|out)|least stock|almost sold out", "stock_asc"),
    (r"overstock|most stock|too much stock|excess stock", "stock_desc"),
]


@dataclass
class Step:
    """One tool call of this conversation and what came back (the compact view)."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.result.get("ok"))

    def rows(self, column: str) -> list[Any]:
        """Values of `column` from the first table that has it."""
        for table in self.result.get("tables") or []:
            if column in table.get("columns", []):
                i = table["columns"].index(column)
                return [row[i] for row in table["rows"]]
        return []


@dataclass
class Memory:
    """What the conversation has established so far."""

    campaign_id: int | None = None
    skus: list[str] = field(default_factory=list)  # "them", "those": the products in play
    found: list[str] = field(default_factory=list)  # the last product search's page, in its order
    search: dict[str, Any] | None = None  # the last product search's arguments, for "next page"
    segment: int | None = None

    def learn(self, step: Step) -> None:
        args, data = step.arguments, step.result.get("data") or {}
        for source in (args, data, step.result.get("approval") or {}):
            if isinstance(source.get("campaign_id"), int):
                self.campaign_id = source["campaign_id"]
        skus = args.get("product") or args.get("skus") or data.get("skus")
        if step.name == "find_products" and step.ok:
            self.found = [str(s) for s in data.get("skus") or step.rows("sku")]
            self.search = dict(args)
            self.skus = self.found[:3]  # a page of 20 is too many to mean by "them"
        elif skus and isinstance(skus, list) and step.ok:
            self.skus = [str(s) for s in skus]
        if isinstance(args.get("segment"), int) and step.ok:
            self.segment = args["segment"]
        elif step.name == "match_segments" and step.ok and step.rows("segment"):
            self.segment = int(step.rows("segment")[0])  # the best fit comes first


@dataclass
class Request:
    text: str
    memory: Memory
    done: list[Step]  # the calls already made for this request, in order

    @property
    def lower(self) -> str:
        """The text in lower case, with close misspellings of the recipes' keywords corrected."""
        return re.sub(r"[a-z]{6,}", _spelled, self.text.lower())

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.lower) is not None

    def skus(self) -> list[str]:
        found = [m.upper() for m in SKU.findall(self.text)] + [m.upper() for m in SKU_AFTER_WORD.findall(self.text)]
        return list(dict.fromkeys(found))

    def number_after(self, pattern: str) -> int | None:
        match = re.search(pattern + r"\s*(\d+|" + "|".join(NUMBER_WORDS) + r")\b", self.lower)
        if not match:
            return None
        word = match.group(1)
        return NUMBER_WORDS.get(word) or int(word)

    def last(self, name: str) -> Step | None:
        return next((s for s in reversed(self.done) if s.name == name), None)


@dataclass
class Plan:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answer: str = ""


def call(tool: str, /, **arguments: Any) -> Plan:
    return Plan(calls=[(tool, arguments)])  # positional-only: a tool may have an argument called "name"


# -- recipes ---------------------------------------------------------------------------------------
def help_plan(req: Request) -> Plan:
    return Plan(answer=help_text())


def thanks(req: Request) -> Plan:
    return Plan(answer="You're welcome. Say *help* to see what I can do next.")


def test_send(req: Request) -> Plan:
    """A test copy goes to an address the user types: theirs to send (campaign_send would mail every customer)."""
    campaign = req.number_after(r"campaign") or req.memory.campaign_id or "ID"
    to = EMAIL.search(req.text)
    return Plan(
        answer="I do not send test emails from the chat. To see the draft in a real inbox, run "
        f"`promopilot campaign test-send {campaign} --to {to.group(0) if to else 'you@example.com'}` "
        "(it works before approval and is not counted in the report), or say *preview it* to see it here."
    )


def export(req: Request) -> Plan:
    what = next((w for w in ("customers", "products", "orders") if w in req.lower), "customers")
    return Plan(
        answer=f"Exporting writes a file, so it is done from the command line: `promopilot export {what} {what}.csv` "
        "(or a .parquet path)."
    )


def help_text(prefix: str = "") -> str:
    examples = "\n".join(f"- *{e}*" for e in HELP_EXAMPLES)
    return (
        f"{prefix}I can take you from data to a sent campaign: load or generate data, check and fix it, "
        "segment customers, find products, match them to segments and customers, draft an email, "
        "and (after you press **Approve**) send it and report how it did. You can also attach a CSV or "
        f"Parquet file to import it. Try for example:\n{examples}"
    )


def generate(req: Request) -> Plan:
    if not req.done:
        match = re.search(r"(\d[\d,_]*)\s*(k\b)?[^\d]{0,20}customers", req.lower)
        customers = int(re.sub(r"[,_]", "", match.group(1))) * (1000 if match.group(2) else 1) if match else 5000
        arguments: dict[str, Any] = {"customers": customers}
        products = req.number_after(r"(?:and|with)")
        if products and req.has(r"\bproducts\b"):
            arguments["products"] = products
        if req.has(r"defect|dirty|messy|errors"):
            arguments["defects"] = 0.05
        return call("generate_demo_data", **arguments)
    return Plan(answer=report(req, "Next: *check the data* to find problems before segmenting."))


def validate(req: Request) -> Plan:
    fix = req.has(r"\b(fix|repair|clean)")
    if not req.done:
        return call("validate_data", fix=True) if fix else call("validate_data")
    follow = "Next: *segment customers*." if fix else "Say *fix the data* to repair what is safe, quarantine the rest."
    return Plan(answer=report(req, follow))


def overview(req: Request) -> Plan:
    return call("data_overview") if not req.done else Plan(answer=report(req, ""))


def data_issues(req: Request) -> Plan:
    if not req.done:
        return call("list_data_issues")
    return Plan(answer=report(req, "Say *fix the data* to repair what is safe, or *check the data* to look again."))


def segment(req: Request) -> Plan:
    k = req.number_after(r"(?:into|k\s*=|k of|with)") or _number_before(req.lower, r"(?:segments|groups|clusters)")
    if k is None and not req.done:
        return call("segment_sweep")
    if k is None and req.has(r"how many|should|best number|ideal|recommend"):  # a question: compare, do not run
        recommended = (req.done[-1].result.get("data") or {}).get("recommendation") or {}
        follow = f"Next: *segment customers into {recommended['k']} segments*." if "k" in recommended else ""
        return Plan(answer=report(req, follow))
    if not req.last("segment_run") and (k is not None or req.done[-1].ok):
        return call("segment_run", k=k if k is not None else "auto")
    return Plan(
        answer=report(
            req, "Next: find products to promote, e.g. *show products with margin over 60% and stock above 100*."
        )
    )


def segment_info(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req, ""))
    rename = re.search(
        r"\b(?:rename|call|name)\s+segment\s+(\d+)\s+(?:(?:to|as)\s+)?[\"'“‘]?(.+?)[\"'”’]?[.!]?\s*$",
        req.text,
        re.IGNORECASE,
    )
    if rename:
        return call("segment_rename", segment=int(rename.group(1)), name=rename.group(2).strip())
    number = req.number_after(r"segment")
    return call("segment_show", segment=number) if number is not None else call("segment_list")


def products(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req, "Next: *keep the first three*, or ask *which segment fits them*."))
    return call("find_products", **product_filters(req))


def next_page(req: Request) -> Plan:
    last = req.memory.search
    if last is None:
        return Plan(answer="Next page of what? Search first, e.g. *show outerwear products*.")
    if req.done:
        return Plan(answer=report(req, "Say *next page* for more."))
    return call("find_products", **{**last, "offset": last.get("offset", 0) + last.get("limit", 20)})


def product_filters(req: Request) -> dict[str, Any]:
    text, filters = req.lower, {}
    above = r"(?:over|above|more than|greater than|at least|>=?)\s*"
    below = r"(?:under|below|less than|at most|<=?)\s*"
    if m := re.search(r"margin\w*\s+(?:of\s+)?" + above + r"(\d+(?:\.\d+)?)\s*(%?)", text):
        value = float(m.group(1))
        filters["min_margin"] = value / 100 if m.group(2) or value > 3 else value
    if m := re.search(r"stock\s+(?:level\s+)?" + above + r"(\d+)", text):
        filters["min_stock"] = int(m.group(1))
    if m := re.search(r"stock\s+(?:level\s+)?" + below + r"(\d+)", text):
        filters["max_stock"] = int(m.group(1))
    # A price: after "price"/"costing", or with a currency ("under 50 euros", "over €100").
    amount = r"(?:[€$]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:€|\$|eur(?:os?)?\b|dollars?\b))"
    priced = r"(?:price[sd]?|costing|costs?)\s+"
    for bound, key in ((below, "price_max"), (above, "price_min")):
        m = re.search(priced + bound + r"[€$]?\s*(\d+(?:\.\d+)?)", text) or re.search(bound + amount, text)
        if m:
            filters[key] = float(next(g for g in m.groups() if g))
    if categories := [c for c in catalog.CATEGORIES if re.search(rf"\b{c.lower()}\b", text)]:
        filters["category"] = categories
    elif noun := PRODUCT_NOUN.search(text):  # "jackets": a type of product, not a category
        filters["search"] = noun.group(1)
    if brands := [b for tier in catalog.BRAND_TIERS.values() for b in tier if b.lower() in text]:
        filters["brand"] = brands
    if m := re.search(r"(?:matching|named|called|containing|like)\s+[\"']?([\w\s-]+?)[\"']?\s*(?:$|[?.!,]|with)", text):
        filters["search"] = _singular(m.group(1).strip())
    if sort := next((key for pattern, key in SORT_WORDS if re.search(pattern, text)), None):
        filters["sort"] = sort
    if m := re.search(r"\btop\s+" + NUMBER + r"\b|\b" + NUMBER + r"\s+(?:\w+\s+)?(?:products|items)\b", text):
        word = m.group(1) or m.group(2)
        filters["limit"] = NUMBER_WORDS.get(word) or int(word)
    return filters


def match(req: Request) -> Plan:
    skus = req.skus() or req.memory.skus
    if not skus:
        return Plan(answer="Which product? Give me a SKU, e.g. *which segment fits SKU OUT-000123*.")
    if not req.done:
        return call("match_segments", product=skus)
    segment = req.memory.segment if req.memory.segment is not None else "N"  # the best fit, learnt from the ranking
    return Plan(answer=report(req, f"Next: *draft an email for segment {segment} about {' '.join(skus)}*."))


def rank(req: Request) -> Plan:
    skus = req.skus()
    if not skus:
        found = req.last("find_products")
        if found is None:
            phrase = re.search(
                r"(?:buy|want|like|love|need|interested in|for)\s+(?:the\s+|our\s+)?(?:new\s+)?(.+?)[?.!]*$", req.lower
            )
            if not phrase:
                return Plan(answer="Which products? E.g. *which customers would buy the new trench coats?*")
            return call("find_products", search=_singular(phrase.group(1).strip()), sort="newest", limit=5)
        skus = [str(s) for s in found.rows("sku")[:3]]
        if not skus:
            return Plan(answer=report(req, "No products match that; try other words or *show products ...*."))
    if not req.last("rank_customers"):
        return call("rank_customers", product=skus, top=20)
    return Plan(answer=report(req, f"Next: *draft an email about {' '.join(skus)}*."))


def shortlist(req: Request) -> Plan:
    if re.search(r"\b(show|what|list)\b", req.lower) and not req.skus():
        return call("shortlist_show") if not req.done else Plan(answer=report(req, "Next: *which segment fits them*."))
    if req.done:
        return Plan(answer=report(req, "Next: *which segment fits them* or *draft an email about them*."))
    skus = req.skus()
    if req.has(r"\b(remove|drop|delete|take (\w+ )?(off|out))\b"):
        if not skus:
            return Plan(answer="Which products? Name the SKUs, e.g. *remove OUT-000012 from the shortlist*.")
        return call("shortlist_remove", skus=skus)
    if not skus:
        count = re.search(r"\b(?:first|top|those|these)\s+(\d+|" + "|".join(NUMBER_WORDS) + r")\b", req.lower)
        if count and req.memory.found:
            skus = req.memory.found[: NUMBER_WORDS.get(count.group(1)) or int(count.group(1))]
        else:
            skus = req.memory.skus
    if not skus:
        return Plan(answer="Which products? Search first (*show outerwear products*), then *keep the first three*.")
    return call("shortlist_add", skus=skus)


def draft(req: Request) -> Plan:
    skus = req.skus() or req.memory.skus
    if not skus:
        return Plan(answer="Which product is the email about? E.g. *draft an email for segment 2 about SKU ...*.")
    seg = req.number_after(r"segment")
    audience = re.search(
        r"\b(?:for|to) (?:the |our |my )?([a-z][a-z' -]+?)\s*(?:$|[?.!,]|\babout\b|\bwith\b)", req.lower
    )
    if seg is None and audience and not re.fullmatch(r"everyone|all( customers)?|them|these|those|it", audience[1]):
        listed = req.last("segment_list")  # "for the bargain hunters": a segment by its name
        if listed is None:
            return call("segment_list")
        seg = _named_segment(audience[1], listed)
    if seg is None and not req.has(r"everyone|all customers"):
        seg = req.memory.segment
    if seg is None and not req.has(r"everyone|all customers"):
        matched = req.last("match_segments")
        if matched is None:
            return call("match_segments", product=skus)
        best = matched.rows("segment")
        seg = int(best[0]) if best else None
    if req.last("campaign_draft"):
        return Plan(answer=report(req, "Look at the preview, then press **Approve**, **Revise** or **Reject**."))
    arguments: dict[str, Any] = {"skus": skus}
    if seg is not None:
        arguments["segment"] = seg
    variants = req.number_after(r"(?:show me|give me|with|write)") if req.has(r"subject|variant|version") else None
    if variants:
        arguments["variants"] = variants
    tone = next((t for t in TONES if t in req.lower), None)
    if tone:
        arguments["tone"] = tone
    return call("campaign_draft", **arguments)


def campaign_action(name: str, follow: str) -> Callable[[Request], Plan]:
    """Recipes that act on "the" campaign: the one in the text, the conversation's, or the newest one."""

    def recipe(req: Request) -> Plan:
        explicit = req.number_after(r"campaign")
        campaign_id = explicit if explicit is not None else req.memory.campaign_id
        if campaign_id is None:
            listed = req.last("campaign_list")
            if listed is None:
                return call("campaign_list")
            if not listed.ok:
                return Plan(answer=report(req, ""))
            ids = [int(i) for i in listed.rows("campaign_id")]
            if not ids:
                return Plan(answer="There is no campaign yet. Draft one first: *draft an email for segment 2 ...*.")
            campaign_id = max(ids)
        if not req.last(name):
            arguments: dict[str, Any] = {"campaign_id": campaign_id}
            if name == "campaign_revise":
                arguments["instruction"] = req.text
            if name == "campaign_send":
                arguments |= send_options(req)
            if name == "campaign_preview":
                if customer := CUSTOMER_ID.search(req.text):
                    arguments["customer"] = customer.group(0).upper()
                if variant := re.search(r"\bvariant\s+([a-e])\b", req.lower):
                    arguments["variant"] = variant.group(1).upper()
            return call(name, **arguments)
        if req.last(name).arguments.get("dry_run"):
            return Plan(answer=report(req, "Say *send it* to send it for real."))
        return Plan(answer=report(req, follow))

    return recipe


def send_options(req: Request) -> dict[str, Any]:
    """A dry run ("how many people will get it?") or a first batch ("send it to 100 people first")."""
    options: dict[str, Any] = {}
    if req.has(r"dry.?run|how many (people|customers|recipients) (will|would)|who (will|would) get"):
        options["dry_run"] = True
    if m := re.search(r"\b(\d+)\s+(?:people|customers|recipients|emails|messages)\b|\bfirst\s+(\d+)\b", req.lower):
        options["limit"] = int(m.group(1) or m.group(2))
    return options


def not_now(req: Request) -> Plan:
    return Plan(
        answer="OK, I am not sending it now. Sending starts only when you say *send it* (after you press **Approve**), "
        "and it "
        "starts at once: I cannot schedule a send for later. Say *pause* to stop a send that is under way."
    )


def approve(req: Request) -> Plan:
    return Plan(
        answer="Only you can approve a campaign: press **Approve** under the draft preview "
        "(or run `promopilot campaign approve ID`). I cannot approve on your behalf."
    )


def upload(req: Request) -> Plan:
    return Plan(
        answer="Attach a CSV, Parquet or JSON-lines file with the paperclip (customers, products or orders) "
        "and I will import it. Mention *products* or *orders* in the message if the file holds those."
    )


def list_campaigns(req: Request) -> Plan:
    return call("campaign_list") if not req.done else Plan(answer=report(req, ""))


report_campaign = campaign_action("campaign_report", "Opens and clicks keep arriving; ask again later.")

RECIPES: list[tuple[str, Callable[[Request], Plan]]] = [
    (
        r"^\W*(help|\?|what can (you|i) do|how does this work|hi|hello|hey|good (morning|afternoon|evening))\b",
        help_plan,
    ),
    (r"^\W*(thanks|thank you|cheers|great|perfect|ok|okay|cool|nice)\W*$", thanks),
    (r"\btest\b.*\b(send|e-?mail|mail|copy)|\bsend\b.*\btest\b", test_send),
    (
        r"how did (it|the campaign|we) do|how is it doing|\breport\b|results|performance|open rate|\bopened\b"
        r"|\bopens\b|\bclicks?\b|click.?rate|\bunsubscribes\b",
        report_campaign,
    ),
    (r"\bpause\b|\bstop\b|\bhalt\b", campaign_action("campaign_pause", "Say *send it* to resume.")),
    (r"\bcancel\b", campaign_action("campaign_cancel", "")),
    # Only a plain request sends: "don't send it yet", "send it tomorrow", "when should I send?" do not.
    (
        r"\b(don'?t|do not|never|not yet|wait|hold off|before)\b.*\bsend|\bschedul|^\W*(when|should)\b.*\bsend"
        r"|\bsend\b.*\b(later|tomorrow|tonight|next week|(mon|tues|wednes|thurs|fri|satur|sun)day|at \d)",
        not_now,
    ),
    (
        r"^\W*(who|whom|did|is|was|has|have|were)\b.*\bsen[dt]\b",
        report_campaign,
    ),
    (
        r"\b(send|resume)\b|dry.?run|how many (people|customers|recipients) (will|would)",
        campaign_action("campaign_send", "Ask *how did it do?* in a while for the report."),
    ),
    (r"\bapprov", approve),
    (r"\bexport\b|\bdownload\b", export),
    (r"\b(draft|write|compose|create)\b.*\b(e-?mail|campaign|newsletter|mail)|^\W*e-?mail (segment|everyone)", draft),
    (r"\b(generate|create|make)\b.*\b(demo|sample|customers|data|shop)", generate),
    (
        r"\breject|\bdiscard\b|\bdelete (the |this |that )?(campaign|draft|it)\b",
        campaign_action("campaign_reject", "Draft a new one when you are ready."),
    ),
    (r"\bnext page\b|\b(show|see) more\b|\bmore (products|results)\b", next_page),
    (r"\bshort-?list\b|\bkeep (those|these|them|the (first|top))\b", shortlist),
    (
        r"\bmake it\b|\bshorter\b|\blonger\b|\brevise\b|\brewrite\b|\bchange the\b|\bmore (\w+)\b|\bless (\w+)\b"
        r"|\badd (a|an|some)\b|\bsubject( line)?s?\b"
        r"|\b(discount|promo|coupon|voucher) code\b|\b(add|include|mention)\b.*\bcode\b",
        campaign_action("campaign_revise", "Check the new preview, then press **Approve**."),
    ),
    (
        r"\bpreview\b|show (me )?(the )?(e-?mail|draft)|\bvariant [a-e]\b|show (me )?campaign \d+",
        campaign_action("campaign_preview", ""),
    ),
    (r"\bcampaigns\b", list_campaigns),
    (r"which customers|who (would|will|might) buy|customers (for|who)|who (should|to|do) (i |we )?target", rank),
    (r"which segments?\b.*\b(fit|suit|match|for|buy|get|should|target)|best segment|segments? for|match", match),
    (r"\bproducts?\b|inventory|\bskus\b|\bstock", products),
    (
        r"(re)?name segment|call segment|(show|describe|list|what) (me )?(the )?segments?\b|segment \d+"
        r"|(each|per|every) segment|segment sizes?",
        segment_info,
    ),
    (r"\bsegment|\bcluster|\bsplit\b.*\bcustomers|\bcustomers into\b", segment),
    (r"\b(fix|repair|clean)\b", validate),
    (r"(show|list|see|what are)\b.*\bissues\b|data issues", data_issues),
    (r"\b(check|validate|verify)\b|\b(issues|problems|errors)\b", validate),
    (r"\bstatus\b|overview|how many|what data|what'?s in|\bdatabase\b", overview),
    (r"\bimport|upload|\bfile\b", upload),
]


def choose(req: Request) -> Plan:
    if not req.text.strip():
        return Plan(answer=help_text("Type a request. "))
    for pattern, recipe in RECIPES:
        if req.has(pattern):
            return recipe(req)
    if product_filters(req):  # "show me dresses under 50 euros", "find jackets", "newest arrivals"
        return products(req)
    return Plan(answer=help_text(f"I could not work out what to do with “{req.text.strip()[:80]}” offline. "))


# -- the answer ------------------------------------------------------------------------------------
def report(req: Request, follow: str) -> str:
    """The final answer: each step's summary (or its error and what to do), then the next step."""
    lines = []
    for step in req.done:
        if step.ok:
            lines.append(step.result.get("summary") or f"{step.name} done.")
        else:  # the error speaks for itself; with several steps, say which one it was
            problem = step.result.get("error") or "That did not work."
            hint = step.result.get("hint")
            where = f"**{step.name.replace('_', ' ').capitalize()}**: " if len(req.done) > 1 else ""
            lines.append(where + problem + (f" {hint}" if hint else ""))
    failed = any(not s.ok for s in req.done)
    if failed and any("approv" in str(s.result.get("error", "")).lower() for s in req.done if not s.ok):
        follow = "Press **Approve** under the draft preview first, then say *send it* again."
    elif failed:
        follow = ""
    return "\n\n".join([*lines, follow] if follow else lines)


# -- the ChatModel interface -----------------------------------------------------------------------
class OfflinePlanner:
    """A `ChatModel` that plans with the recipes above instead of calling a language model."""

    name = "offline-planner"

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[TextDelta | Completion]:
        plan = choose(read_request(messages))
        if plan.calls:
            base = len(messages)
            calls = [ToolCall(f"plan_{base}_{i}", name, json.dumps(args)) for i, (name, args) in enumerate(plan.calls)]
            yield Completion(tool_calls=calls)
            return
        for piece in re.findall(r"\S+\s*|\s+", plan.answer):
            yield TextDelta(piece)
            await asyncio.sleep(0)  # let the UI paint: a real stream arrives in pieces too
        yield Completion(content=plan.answer)


def read_request(messages: list[dict[str, Any]]) -> Request:
    """Rebuild the current request, this turn's steps and the conversation's memory from the messages."""
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    memory = Memory()
    done: list[Step] = []
    pending: dict[str, tuple[str, dict[str, Any]]] = {}
    for i, message in enumerate(messages):
        if message["role"] == "assistant":
            for c in message.get("tool_calls") or []:
                try:
                    arguments = json.loads(c["function"]["arguments"] or "{}")
                except json.JSONDecodeError:
                    arguments = {}
                pending[c["id"]] = (c["function"]["name"], arguments if isinstance(arguments, dict) else {})
        elif message["role"] == "tool" and message.get("tool_call_id") in pending:
            name, arguments = pending.pop(message["tool_call_id"])
            step = Step(name, arguments, _json(message.get("content")))
            memory.learn(step)
            if i > last_user:
                done.append(step)
        elif message["role"] == "user" and (m := NOTE_CAMPAIGN.match(str(message["content"]))):
            memory.campaign_id = int(m.group(1))
    text = str(messages[last_user]["content"] or "") if last_user >= 0 else ""
    return Request(text=text, memory=memory, done=done)


def _json(content: Any) -> dict[str, Any]:
    try:
        value = json.loads(content or "{}")
    except (TypeError, json.JSONDecodeError):
        return {"ok": False, "error": str(content)}
    return value if isinstance(value, dict) else {"ok": True, "summary": str(value)}


def _spelled(match: re.Match[str]) -> str:
    """A keyword for its close misspelling; typos keep the first letter ("export" is not "report")."""
    word = match.group(0)
    close = difflib.get_close_matches(word, [k for k in KEYWORDS if k[0] == word[0]], n=1, cutoff=0.85)
    return close[0] if close else word


def _named_segment(phrase: str, listed: Step) -> int | None:
    """The listed segment whose name shares the most words with `phrase` (none shared: None)."""
    words = {_singular(w) for w in re.findall(r"[a-z]{3,}", phrase)}
    scored = [
        (len(words & {_singular(w) for w in re.findall(r"[a-z]{3,}", str(name).lower())}), int(number))
        for number, name in zip(listed.rows("segment"), listed.rows("name"), strict=False)
    ]
    best = max(scored, default=(0, None))
    return best[1] if best[0] else None


def _singular(phrase: str) -> str:
    words = phrase.split()
    if words:
        last = words[-1]
        if re.search(r"(ss|x|ch|sh)es$", last):
            last = last[:-2]
        elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
            last = last[:-1]
        words[-1] = last
    return " ".join(words)


def _number_before(text: str, word: str) -> int | None:
    match = re.search(r"(\d+|" + "|".join(NUMBER_WORDS) + r")\s+" + word, text)
    if not match:
        return None
    return NUMBER_WORDS.get(match.group(1)) or int(match.group(1))
