"""Recipes for the data, products and matching intents: one small function per intent.

A recipe is `(Request) -> Plan`, called once per round with the steps this turn has made so far:
it returns the next tool call, or the answer once the calls are done. `@recipe("name")` registers
it under the name `intents.toml` uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.planner import audience_words, guards, slots
from assistant.planner.analytics_filters import recorded_country, shop_words, unknown_attribute, unknown_refused
from assistant.planner.analytics_questions import understand
from assistant.planner.memory import Plan, Request, call
from assistant.present import plain
from assistant.prompts import HELP_EXAMPLES
from services.money import currency_codes
from tools.data.columns import SCHEMAS, field_words, missing_fields

Recipe = Callable[[Request], Plan]
RECIPES: dict[str, Recipe] = {}


def recipe(name: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        RECIPES[name] = fn
        return fn

    return register


def help_text(prefix: str = "") -> str:
    examples = "\n".join(f"- *{e}*" for e in HELP_EXAMPLES)
    return (
        f"{prefix}I can take you from data to a sent campaign: load or generate data, check and fix it, "
        "segment customers, find products, match them to segments and customers, draft an email, "
        "and (after you press **Approve**) send it and report how it did. You can also attach a CSV or "
        f"Parquet file to import it, or ask questions such as *average order value per segment*. "
        f"Try for example:\n{examples}"
    )


# What to say next after an error whose own hint names a command line (kept out of the chat).
REMEDIES = {"no customer segments": "Say *segment customers* and I will make them."}


LOOKUPS = ("campaign_list", "segment_list")  # looked up on the way to another step ("for the big spenders")


def report(req: Request, follow: str = "") -> str:
    """The final answer: each step's summary (or its error and what to do), then the next step."""
    # A list looked up to find the campaign or segment meant is no part of the answer ("1 campaign: 1 sent.")
    told = [step for i, step in enumerate(req.done) if not (step.ok and step.name in LOOKUPS and req.done[i + 1 :])]
    lines = []
    for step in told:
        if step.ok:
            lines.append(plain(step.result.get("summary") or "Done."))
        else:  # the error speaks for itself; with several steps, say which one it was
            problem = plain(step.result.get("error") or "") or "That did not work."
            hint = plain(step.result.get("hint") or "") or next(
                (say for error, say in REMEDIES.items() if error in problem.lower()), ""
            )
            where = f"**{step.name.replace('_', ' ').capitalize()}**: " if len(told) > 1 else ""
            lines.append(where + problem + (f" {hint}" if hint else ""))
    failed = [s for s in req.done if not s.ok]
    if any("not approved" in str(s.result.get("error", "")).lower() for s in failed):  # not "is approved, not ..."
        follow = "Press **Approve** under the draft preview first, then say *send it* again."
    elif failed:
        follow = ""
    return "\n\n".join([*lines, follow] if follow else lines)


def listed_campaigns(req: Request) -> list[dict[str, Any]] | Plan:
    """The campaigns, listed once for this request: a Plan while the list is still to be made, or to say why it
    could not be."""
    listed = req.last("campaign_list")
    if listed is None:
        return call("campaign_list")
    if not listed.ok:
        return Plan(answer=report(req))
    return listed.records()


def rows_of(req: Request, sql: str, params: dict[str, Any]) -> Plan | list[dict[str, Any]]:
    """The rows of a query this request runs once: its call while still to run, the failure said when it failed."""
    step = req.last("query_data")
    if step is None:
        return call("query_data", sql=sql, params=params)
    if not step.ok:
        return Plan(answer=report(req))
    return step.records()


def one_row(req: Request, sql: str, params: dict[str, Any]) -> Plan | dict[str, Any]:
    """The one row of an aggregate query this request runs once ({} for no row), or the Plan `rows_of` gives."""
    rows = rows_of(req, sql, params)
    return rows if isinstance(rows, Plan) else next(iter(rows), {})


def once(req: Request, tool: str, follow: str = "", **arguments: Any) -> Plan:
    """Call one tool, then answer with its summary and the next step."""
    return call(tool, **arguments) if not req.done else Plan(answer=report(req, follow))


# -- talk ------------------------------------------------------------------------------------------
@recipe("help")
def help_plan(req: Request) -> Plan:
    return Plan(answer=help_text())


@recipe("smalltalk")
def smalltalk(req: Request) -> Plan:
    if req.has(r"thank|cheers|thx|\bty\b|tysm|appreciate"):
        return Plan(answer="You're welcome.")
    if req.has(r"\b(?:bye|goodbye|ciao|see (?:ya|you)|signing off|i'?m off|good ?night|done for (?:today|now))\b"):
        return Plan(answer="Bye for now. Everything is saved, so you can pick up where you left off.")
    if req.has(
        r"\b(?:sorry|oops|my bad|my mistake|nvm|never ?mind|forget (?:it|that|about it)"
        r"|(?:scratch|scrap|ditch|bin) (?:that|it))\b"
    ):
        if req.memory.last_tool == "campaign_draft" and req.memory.campaign_id:  # "actually no, forget that"
            return Plan(answer=f"No problem. Nothing was sent: campaign {req.memory.campaign_id} stays a draft, and "
                        "nothing goes out unless you approve it and confirm the send. To set it aside, press "
                        "**Reject** under its preview.")  # fmt: skip
        return Plan(answer="No problem. Tell me what you would like to do next.")
    return Plan(answer="Good. Tell me what you would like to do next.")


# -- data ------------------------------------------------------------------------------------------
@recipe("generate")
def generate(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req, "Next: *check the data* to find problems before segmenting."))
    match = re.search(r"(\d[\d,_]*)\s*(k\b)?[^\d]{0,20}(?:customers|shoppers)", req.lower)
    small = 500 if req.has(r"\b(?:small|tiny|little|quick|mini)\b") else 5000  # "a small test shop"
    customers = int(re.sub(r"[,_]", "", match.group(1))) * (1000 if match.group(2) else 1) if match else small
    arguments: dict[str, Any] = {"customers": customers}
    if products := slots.number_before(req.text, r"products"):
        arguments["products"] = products
    if req.has(r"defect|dirty|messy|errors|mistakes"):
        arguments["defects"] = 0.05
    return call("generate_demo_data", **arguments)


@recipe("upload")
def upload(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req, "Next: *check the data*."))
    file = re.search(r"[\w./-]+\.(?:csv|tsv|txt|parquet|jsonl|ndjson|json)\b", req.text, re.IGNORECASE)
    kind = next((k for k in ("orders", "products", "suppressions") if k.rstrip("s") in req.lower), "customers")
    if file:
        return call("import_data", kind=kind, path=file.group(0))
    if req.has(r"\bexcel\b|\bxlsx?\b|workbook|google sheets?|\bnumbers file"):
        return Plan(answer=f"I read CSV, Parquet and JSON-lines files, not Excel workbooks: in Excel, *File > Save As* "
                    f"and choose *CSV UTF-8*, then attach that. {file_needs(kind)}")  # fmt: skip
    if req.has(r"\bcolumns?\b|\bfields?\b|\bheaders?\b|\bformat\b|\blayout\b|what (?:should|does|do|must)\b"):
        return Plan(answer=file_needs(kind))  # "what columns does my customer file need"
    if shop := re.search(r"\b(shopify|woocommerce|mailchimp|klaviyo|magento|bigcommerce|squarespace)\b", req.lower):
        name = {"woocommerce": "WooCommerce", "bigcommerce": "BigCommerce"}.get(shop[1], shop[1].capitalize())
        return Plan(  # "how do I get my shopify customers in"
            answer=f"Export them from {name} as a CSV file and attach it here with the paperclip: the usual export "
            "columns are known, so nothing needs renaming, and the import says which columns it used. Customers, "
            "orders and products are separate files; attach each with a word saying which it is."
        )
    return Plan(
        answer="Attach a CSV, Parquet or JSON-lines file with the paperclip (customers, products or orders) "
        "and I will import it. Mention *products* or *orders* in the message if the file holds those."
    )


def file_needs(kind: str) -> str:
    """What a file of this kind must have and what else is read, from the import's own schema (columns.py)."""
    *rest, last = [field_words(field) for field in missing_fields(kind, [])]
    needed = f"{', '.join(rest)} and {last}" if rest else last
    if kind == "customers":  # a Mailchimp or Klaviyo export without ids takes them from the addresses
        needed += " (or, without one, an email address)"
    also = ", ".join(dict.fromkeys(field_words(c.name) for c in SCHEMAS[kind] if not c.required))
    return (
        f"{'An' if kind[0] in 'aeiou' else 'A'} {kind.rstrip('s')} file needs {needed}. When they are there I "
        f"also read: {also}. Headers are matched "
        "by name, whatever their case or spacing, and the usual exports' names are known (Shopify, WooCommerce, "
        "Mailchimp, Klaviyo); the import says which columns it used and which it left."
    )


@recipe("overview")
def overview(req: Request) -> Plan:
    # "how many customers do we have in London": not all of them
    if attribute := unknown_attribute(req.text, shop_words(req)):
        return Plan(answer=unknown_refused(attribute))
    if any(recorded_country(req.text, req.vocabulary().countries, shop_words(req))):
        return RECIPES["analytics"](req)  # "how many customers in Germany": those who ordered from there, or why not
    if (asked := understand(req.text)) and asked.figure.counted:  # "how many customers have never ordered"
        return RECIPES["analytics"](req)
    from assistant.planner.segment_recipes import segment_reach  # it builds on this module's recipes

    if (reach := segment_reach(req)) is not None:  # "how many of group 1 can I email"
        return reach
    if {"category", "brand"} & slots.product_filters(req.text, req.vocabulary()).keys() and not PEOPLE.search(
        req.lower
    ):
        from assistant.planner.product_recipes import products  # "how many motorcycles do we have": those products

        return products(req)
    if audience_words.UNREACHABLE.search(req.lower):  # "who's on the suppression list", "which customers can't I email"
        if req.done:
            return Plan(answer=report(req, "Next: *how many can I email*, or *draft an email about ...*."))
        return call("unreachable_customers", reason=audience_words.unreachable_reasons(req.lower))
    seen = req.last("data_overview")
    data = (seen.result.get("data") or {}) if seen and seen.ok else {}
    if data and not any(data.get(kind) for kind in ("customers", "products", "order_lines")):
        return Plan(answer=EMPTY_SHOP)
    return once(req, "data_overview", next_step(data, req.memory.checked is not None))


def next_step(data: dict[str, Any], checked: bool) -> str:
    """ "What should I do next?": the step the shop's state calls for, from data to a sent campaign."""
    campaigns = data.get("campaigns") or {}
    if data.get("active_segment_run") is None:
        return "Next: *segment customers*." if checked else "Next: *check the data*, or *segment customers*."
    for status, follow in (
        ("sending", "Next: *how did it do?* (it is being sent)"),
        ("paused", "Next: *send it* to go on with the paused send, or *how did it do?*"),
        ("approved", "Next: *send it* (the approved campaign), after a last *preview*."),
        ("draft", "Next: *preview it*, then press **Approve** under the preview."),
        ("sent", "Next: *how did it do?*, or *follow up with the non-openers*."),
    ):
        if campaigns.get(status):
            return follow
    return "Next: *show high margin items* to find products to promote, then *draft an email for segment 1 about them*."


PEOPLE = re.compile(r"\b(?:who|customers?|people|buyers|shoppers|clients|subscribers|contacts)\b")
EMPTY_SHOP = (
    "There is no data yet. Attach your customer list with the paperclip (a CSV export from Shopify, Mailchimp "
    "or a spreadsheet; orders and products too), or say *generate demo data* to try me on a sample shop."
)


@recipe("validate")
def validate(req: Request) -> Plan:
    follow = "Say *fix the data* to repair what is safe and set the rest aside."
    if req.done and req.done[-1].ok and (said := asked_check(req, req.done[-1].result)):
        return Plan(answer=said + report(req, follow))  # "how many duplicates do we have": that first, even none
    return once(req, "validate_data", follow)


# A check a question names ("how many duplicates", "which emails are invalid"): answered first, even when it found
# nothing (the check's summary lists only what it found).
ASKED_CHECKS = (
    (r"duplicat|twice|more than once|same (?:person|customer|email)", ("duplicate_id", "duplicate_email"),
     "duplicate customers (by id or email address)"),
    (r"(?:invalid|bad|broken|wrong|malformed|fake|junk|bogus|typos? in) (?:e-?mails?|addresses)"
     r"|e-?mails?(?: addresses)? (?:are|is) (?:invalid|wrong|bad|broken|malformed|fake)",
     ("invalid_email", "email_format"), "invalid or untidy email addresses"),
    (r"missing (?:first )?names?|without (?:a )?(?:first )?names?", ("missing_name",),
     "customers without a first name"),
    (r"negative", ("negative_amount", "product_negative_amount", "order_negative_amount"), "negative figures"),
)  # fmt: skip


def asked_check(req: Request, result: dict[str, Any] | None) -> str:
    """ "No duplicate customers (...) found. ", or how many, from a data check's result; "" when none is asked."""
    counts = {c.get("check"): int(c.get("rows") or 0) for c in ((result or {}).get("data") or {}).get("checks", [])}
    for words, checks, label in ASKED_CHECKS:
        if counts and re.search(words, req.lower):
            found = sum(counts.get(check, 0) for check in checks)
            return f"{found:,} {label} found. " if found else f"No {label} found. "
    return ""


@recipe("fix")
def fix(req: Request) -> Plan:
    if slots.DELETE_PEOPLE.search(req.lower) or slots.WIPE_SHOP.search(req.lower):
        return Plan(answer=KEEP_PEOPLE)
    return once(req, "validate_data", "Next: *segment customers*.", fix=True)


KEEP_PEOPLE = (
    "I don't delete customers, and nothing was changed. Nobody is emailed who shouldn't be: customers without an "
    "email address cannot be contacted, and those who said no or unsubscribed are never emailed (they are kept so "
    "their no is remembered even if a later file says yes). Records with problems are set aside by *fix the data*. "
    "To start again with other data, attach your files again, or say *generate demo data* (it asks you to confirm "
    "before replacing anything)."
)


@recipe("data_issues")
def data_issues(req: Request) -> Plan:
    """The issues recorded; with none, what actually happened to the last upload ("why did that fail?")."""
    follow = "Say *fix the data* to repair what is safe, or *check the data* again."
    step, upload, checked = req.last("list_data_issues"), req.memory.upload, req.memory.checked
    changes = ((checked or {}).get("data") or {}).get("changes") or {}
    if guards.WHAT_DID_YOU.search(req.lower) and checked:  # "what did you find", "what did you change": the last
        if not changes.get("run_id"):  # check's findings; after a repair, what it did
            return Plan(answer=f"{plain(checked.get('summary') or '')}\n\n{follow}")
        return once(req, "list_data_issues", "Next: *segment customers*.", run=changes["run_id"])
    recorded = step is None or not step.ok or (step.result.get("data") or {}).get("total")
    if not recorded and upload is None and (checked is None or req.last("validate_data")):  # nothing checked it yet
        return unchecked(req)
    if not recorded and upload is None and (found := _found(checked)):
        return Plan(
            answer=asked_check(req, checked) + f"No data issues are recorded, but the last check found {found}: they "
            "are only recorded when you say *fix the data*, which repairs what is safe and sets the rest aside."
        )
    if recorded or upload is None:
        return once(req, "list_data_issues", follow)
    if upload["failed"]:
        return Plan(answer=f"The last upload, {upload['name']}, failed. {upload['said']}")
    counts = re.search(r"Imported ([\d,]+) of ([\d,]+) rows", upload["said"])
    if counts and counts[1] == counts[2]:
        return Plan(
            answer=f"Nothing was skipped: the last import, {upload['name']}, took all {counts[2]} rows, and no "
            "data issues are recorded. Next: *check the data*."
        )
    return Plan(answer=f"No data issues are recorded. The last import, {upload['name']}: {upload['said']}")


def unchecked(req: Request) -> Plan:
    """No issues are recorded, and nothing in this chat has checked the data since it came in (a check without
    fix records nothing, so the database cannot tell): check it now, read-only, and answer with what it found."""
    check = req.last("validate_data")
    if check is None:
        return call("validate_data")
    if not check.ok:
        return Plan(answer=report(Request(req.text, req.memory, [check])))
    follow = (
        "Say *fix the data* to repair what is safe and set the rest aside."
        if _found(check.result)
        else "Next: *segment customers*."
    )
    return Plan(
        answer="No data issues are recorded, and the data had not been checked in this chat, so I checked it now "
        "(read-only: nothing was changed). "
        f"{plain(check.result.get('summary') or '')}\n\n{follow}"
    )


def _found(check: dict[str, Any] | None) -> str | None:
    """What a data check found, in its own words ("unusual spenders (...) (2)"); None when it found nothing."""
    summary = plain((check or {}).get("summary") or "")
    found = re.search(r": found (.+?)\.(?: |$)", summary)
    return found[1] if found else None


CURRENCIES = {"gbp": "GBP", "pound": "GBP", "sterling": "GBP", "quid": "GBP", "eur": "EUR", "euro": "EUR",
              "usd": "USD", "dollar": "USD", "buck": "USD", "chf": "CHF", "franc": "CHF", "sek": "SEK", "krona": "SEK",
              "kronor": "SEK", "jpy": "JPY", "yen": "JPY"}  # fmt: skip
CURRENCY_WORD = re.compile(r"\b(?i:(" + "|".join(CURRENCIES) + r")s?)\b|\b([A-Z]{3})\b")  # "Pounds", or "CHF"
# "set the currency to GBP", "our prices are in pounds", "currency should be CHF", "we price everything in krona"
SETS_CURRENCY = re.compile(r"\b(?:set|setting|change|use|switch|are in|is in|make|should be|price\w*|put|sell in)\b")
# "it had a dollar sign, can we change that to pounds": the currency wanted is the one after "to", "in", "be"
WANTED_AFTER = re.compile(r"\b(?:to|into|in|be|on|as)\s+(?:the\s+)?$")


@recipe("shop_settings")
def shop_settings(req: Request) -> Plan:
    """The shop's settings; "set the currency to GBP", "our prices are in pounds" sets the currency."""
    if req.done:
        return Plan(answer=report(req))
    mentioned = [
        (m.start(), CURRENCIES[m.group(1).lower()] if m.group(1) else m.group(2))
        for m in CURRENCY_WORD.finditer(req.text)
        if m.group(1) or m.group(2) in currency_codes()
    ]  # a currency's word in any case, or an ISO code in capitals ("CHF"; "CSV" is none)
    wanted = [code for at, code in mentioned if WANTED_AFTER.search(req.lower[:at])]
    code = (wanted or [code for _, code in mentioned] or [None])[-1]
    if code and SETS_CURRENCY.search(req.lower):
        return call("shop_settings", currency=code)
    changed = next((s for s in FIXED_SETTINGS if re.search(s.asked, req.lower)), None)
    if changed and SETS_OTHER.search(req.lower):  # "set our postal address to ...": not from the chat; how instead
        return Plan(
            answer=f"I cannot change {changed.what} from the chat: it is the {changed.variable} setting, read "
            f"when PromoPilot starts ({changed.why}). Set it in the environment or the .env file and restart. "
            "Say *show the settings* to see what it is now."
        )
    return call("shop_settings")


@dataclass(frozen=True)
class FixedSetting:
    asked: str  # how a request names it
    what: str
    variable: str
    why: str


FIXED_SETTINGS = (
    FixedSetting(r"postal|physical address|street address|our address", "the postal address",
                 "PROMOPILOT_POSTAL_ADDRESS", "the law wants the sender's real postal address in every email"),
    FixedSetting(r"reply.?to", "the reply-to address", "PROMOPILOT_REPLY_TO",
                 "replies must reach an inbox the shop reads"),
    FixedSetting(r"sender|from (?:name|address)|(?:send|come|go) (?:out )?from", "the sender",
                 "PROMOPILOT_FROM", "it must be an address your mail server may send from"),
    FixedSetting(r"consent|opt.?in|without (?:a )?(?:yes|permission|asking)|never answered", "who may be emailed",
                 "PROMOPILOT_EMAIL_UNKNOWN_CONSENT", "emailing people who never said yes is a decision for the shop, "
                 "never for the assistant"),
)  # fmt: skip
SETS_OTHER = re.compile(r"\b(?:set|change|update|use|make|switch|put|replace|stop|start|allow|let)\b")
