"""Recipes for the segment intents: segment, compare numbers of segments, list, show, rename, products for one."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from assistant.planner import guards, one_customer, segment_slots, shop_terms, slots
from assistant.planner.analytics_questions import ACTIVE_MEMBERS
from assistant.planner.memory import Plan, Request, Step, call
from assistant.planner.recipes import once, recipe, report
from assistant.present import plain
from services.money import format_money

# "by predicted value and churn risk", "using the predictions", "on future value": cluster on the outlook too.
BY_PREDICTION = r"predict|forecast|future (?:value|spend)|lifetime value|\bclv\b|churn"


# "go back to the 4 segments", "use the previous segmentation", "undo the new segments", "switch to run 1"
GO_BACK = re.compile(
    r"\b(?:go|switch|change|revert|roll|return) (?:back|to run)\b|\bundo\b.{0,25}\b(?:segment|group|cluster|split)"
    r"|\brevert to\b|\b(?:previous|earlier|older|other) one\b"
    r"|\b(?:previous|earlier|old|older|original|last) (?:segmentation|segments|groups|clusters|grouping|split|run)\b"
    r"|\buse run \d+|\b(?:segments|groups|clusters) we had before\b"
)


# "switch to 6 groups", "go with 6 instead", "let's use 5": a number of segments chosen, made before or not ...
SWITCH_TO = re.compile(
    r"\b(?:switch|change|move|go)(?: over| back)? to\b|\bgo with\b|\binstead\b"
    r"|\b(?:use|try|pick|take|choose|keep) (?:the )?\d+\b"
)
# ... unless made anew: "segment them again into 6", "re-run with 6", "a fresh split into 5"
FRESH = re.compile(r"\b(?:again|re-?run|re-?do|fresh|new|anew|re-?cluster|re-?segment|from scratch|recompute)\b")


@recipe("segment")
def segment(req: Request) -> Plan:
    """Compare k then run, or run with the k asked for; "by predicted value and churn risk" clusters on the
    predictions too, predicting first when there are none yet (as "who is about to churn?" does)."""
    k = slots.number_after(req.text, r"(?:into|k|k of|with|use|do|instead of)") or slots.number_before(
        req.text, slots.SEGMENT_WORD
    )
    k = k if k is not None else slots.number_after(req.text, r"\bgo with")
    if GO_BACK.search(req.lower) or guards.BARE_UNDO.fullmatch(req.lower.strip()):  # "go back to the 4 segments",
        # or "undo that" after a new segmentation: that run again, with its names, not a new one
        if req.done:
            return Plan(answer=report(req, "Next: *describe segment 1*, or *list the segments*."))
        run_id = slots.number_after(req.text, r"\brun")
        k = k if k is not None else slots.number_after(req.text, r"\b(?:back|return|revert) to(?: the)?")
        return call("segment_use", **({"run_id": run_id} if run_id is not None else {"k": k} if k else {}))
    if switched_to_earlier(req, k):  # "switch to 6 groups": the 6 made earlier, names and all
        if not req.done:
            return call("segment_use", k=k)
        return Plan(answer=report(req, "Next: *describe segment 1*, or *list the segments*."))
    use = {"use_predictions": True} if req.has(BY_PREDICTION) else {}
    unscored = req.done and "nothing has been predicted" in str(req.done[-1].result.get("error", ""))
    if use and unscored and not req.last("predict"):
        return call("predict")
    since = _since_prediction(req.done)
    if since is None:  # predicting failed: say why
        return Plan(answer=report(req))
    if k is None and not since:
        return call("segment_sweep", **use)
    if not any(s.name == "segment_run" for s in since) and (k is not None or since[-1].ok):
        return call("segment_run", k=k if k is not None else "auto", **use)
    if (run := req.last("segment_run")) and run.ok:
        req.done = [s for s in req.done if s.name == "predict"] + [run]  # the run repeats the sweep's advice
    return Plan(
        answer=report(req, "Next: *describe segment 1*, or find products to promote: *show high margin items*.")
    )


def switched_to_earlier(req: Request, k: int | None) -> bool:
    """Whether the request picks a number of segments that a segmentation kept already has ("switch to 6 groups",
    "go with 6 instead"), rather than asking for a new one ("segment them again into 6")."""
    return (
        k is not None
        and k in req.vocabulary().segment_counts
        and SWITCH_TO.search(req.lower) is not None
        and not FRESH.search(req.lower)
        and not req.has(BY_PREDICTION)
        and all(step.name == "segment_use" for step in req.done)
    )


def _since_prediction(done: list[Step]) -> list[Step] | None:
    """The steps after a prediction this request made (all of them without one); None if predicting failed."""
    at = max((i for i, s in enumerate(done) if s.name == "predict"), default=None)
    if at is None:
        return done
    return done[at + 1 :] if done[at].ok else None


@recipe("segment_compare")
def segment_compare(req: Request) -> Plan:
    if not req.done:
        return call("segment_sweep")
    recommended = (req.done[-1].result.get("data") or {}).get("recommendation") or {}
    follow = f"Next: *segment customers into {recommended['k']} segments*." if "k" in recommended else ""
    return Plan(answer=report(req, follow))


# "what's the difference between them", "how do the groups differ", "compare the segments": what sets each apart
DIFFER = r"differ|difference|apart|separat|distinguish|compar|contrast|\bvs\b|versus"


# "the top two of those", "the last three", "the two biggest" under a segments table: those rows of it
SEVERAL_OF_THOSE = re.compile(
    rf"\b(?:(?P<lead>top|first|last|biggest|largest|smallest)\s+{slots.NUMBER}"
    rf"|{slots.NUMBER.replace('(', '(?P<n>', 1)}\s+(?P<size>biggest|largest|smallest))\b"
)


def several_of_those(req: Request, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The segments a bare "the top two of those" points at in the segments' table (two or more), else none."""
    said = SEVERAL_OF_THOSE.search(req.lower)
    if not said:
        return []
    n = slots.as_number(said[2] or said["n"])
    how = said["lead"] or said["size"]
    if how in ("biggest", "largest", "smallest"):
        listed = sorted(listed, key=lambda s: s.get("size") or 0, reverse=how != "smallest")
        return listed[:n] if n >= 2 else []
    return (listed[-n:] if how == "last" else listed[:n]) if n >= 2 else []


def compared(req: Request) -> list[int]:
    """The segments a comparison names, in the order said ("how is group 2 different from group 1", "the bargain
    hunters vs the big spenders", "what makes them different from group 1" under group 2); none unless two or more."""
    if not req.has(DIFFER):
        return []
    said = [int(n) for listed in re.findall(rf"\b{slots.SEGMENT_WORD}\s+(\d+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)\d+)*)",
                                            req.lower) for n in re.findall(r"\d+", listed)]  # fmt: skip
    before = req.before  # as the user wrote it: the lookup this turn makes changes what is on screen
    if not said and before.segment_names:
        parts = re.split(r"\b(?:and|vs\.?|versus|from|with|against|to)\b|,", req.lower)
        said = [n for part in parts if (n := segment_slots.segment_named(part, before.segment_names)) is not None]
    if len(said) == 1 and before.segment not in (None, *said) and slots.THEM.search(req.lower):
        said.insert(0, before.segment)  # "them": the segment on screen
    kept = list(dict.fromkeys(said))
    return kept if len(kept) > 1 else []


@recipe("segment_list")
def segment_list(req: Request) -> Plan:
    if re.search(r"\b(?:about|describe|profile|special|like|in)\b.*" + BY_SIZE.pattern, req.lower):
        return segment_show(req)  # "what's special about the biggest group": that one, not the list
    follow = "Ask about one, e.g. *what's in group 1*, or *call group 1 Loyalists*."
    if guards.SEGMENT_OUTLOOK.search(req.text):  # "which segment has the highest churn risk": the predictions'
        return segment_outlook(req)
    if req.has(r"\b(?:charts?|graphs?|plots?|visuali[sz]\w*|pictures?|diagrams?)\b"):
        return once(req, "segment_show", follow)  # "show me a chart of the segments": all of them, with charts
    listed = req.last("segment_list")
    data = (listed.result.get("data") or {}) if listed and listed.ok else {}
    on_screen = [{"segment": n, "size": req.memory.segment_sizes.get(n)} for n in req.memory.segments]
    if not listed and req.memory.shown == "segments" and (picked := several_of_those(req, on_screen)):
        return call("segment_list", segments=[s["segment"] for s in picked])  # kept: "an email for them" next
    if not listed and (pair := compared(req)):  # "compare segment 1 and segment 2": those two side by side
        return call("segment_list", segments=pair)
    segments = [s for s in data.get("segments") or [] if s.get("description")]
    picked = segments if listed and listed.arguments.get("segments") else several_of_those(req, segments)
    if picked:
        apart = "\n".join(
            f"- **{s['segment']}. {s['name']}** ({s['share']:.0%}): {plain(s['description'])}" for s in picked
        )
        numbers = " and ".join(str(s["segment"]) for s in picked)
        return Plan(answer=f"{apart}\n\nNext: *draft an email for segments {numbers} about ...*, or *describe segment "
                    f"{picked[0]['segment']}*.")  # fmt: skip
    if not segments or not req.has(DIFFER):
        return once(req, "segment_list", follow)
    apart = "\n".join(f"- **{s['segment']}. {s['name']}**: {plain(s['description'])}" for s in segments)
    return Plan(answer=f"How the {len(segments)} segments differ:\n{apart}\n\n{follow}")


def segment_outlook(req: Request) -> Plan:
    """The segment most at risk of churning (or worth the most ahead), from the segments' table with the latest
    predictions beside it; predicting first when there are none."""
    listed = [step for step in req.done if step.name == "segment_list"]
    outlook = (listed[-1].result.get("data") or {}).get("outlook") if listed and listed[-1].ok else None
    if not listed or (not outlook and not req.last("predict")):
        return call("predict") if listed and listed[-1].ok else call("segment_list")
    if not outlook and (predicted := req.last("predict")) and predicted.ok and len(listed) == 1:
        return call("segment_list")  # again, now with the predictions beside it
    if not outlook:
        return Plan(answer=report(req))
    by_value = not re.search(r"churn|risk|slipping|leav|los(?:e|ing)", req.lower)
    key = "median_predicted_value_12m" if by_value else "share_high_churn_risk"
    scored = [row for row in outlook if row.get(key) is not None]
    top = max(scored, key=lambda row: row[key])
    name = req.memory.segment_names.get(int(top["segment"])) or f"segment {top['segment']}"
    what = (
        f"the highest median predicted 12-month value, {format_money(top[key], top.get('currency') or 'EUR')}"
        if by_value
        else f"the largest share at high churn risk, {top[key]:.0%} of its customers"
    )
    table = plain(listed[-1].result.get("summary") or "")
    return Plan(answer=f"**{name}** (segment {top['segment']}) has {what}. {table}")


# "show me some people from group 1", "who's in the VIPs", "export group 1": the members, not the profile. The CSV
# download under the table is the export.
MEMBERS_ASKED = re.compile(
    r"\b(?:people|customers|members|shoppers|names|who(?:'s| is| are)? in|export|download"
    r"|list (?:of )?(?:everyone|them))\b"
)
MEMBERS = (
    'SELECT m.customer_id, round(b.total_spent, 2) AS "Total spent", b.order_count AS "Orders", '  # noqa: S608
    'b.days_since_last_purchase AS "Days since last purchase", count(*) OVER () AS _members '
    f"FROM {ACTIVE_MEMBERS} "
    "LEFT JOIN customer_behavior b ON b.customer_id = m.customer_id WHERE m.segment = {segment} "
    "ORDER BY b.total_spent DESC NULLS LAST, m.customer_id LIMIT {limit}"
)
LISTED = 500  # members listed at most (a campaign reaches all of them; the command line exports any number)
BY_SIZE = re.compile(r"\b(biggest|largest|smallest|tiniest)\s+(?:segment|group|cluster|audience|persona)")
# "merge groups 2 and 3": segments are what the clustering found; joining two by hand is not offered.
MERGE = re.compile(
    r"\b(?:merge|combine|join|lump)\b.*\b(?:segments?|groups?|clusters?|audiences?)\b|\b(?:segments?|groups?)\b.*\bmerge"
)
MERGE_ANSWER = (
    "I cannot merge segments by hand: they are the groups the clustering finds. Segmenting into one fewer "
    "(*segment customers into 3*) usually joins the two closest; *compare the segments* shows how alike they are."
)


def members(req: Request, number: int) -> Plan:
    """The segment's members, best customers first (names on the person's screen only)."""
    if not req.done:
        sql = MEMBERS.format(segment=int(number), limit=LISTED)  # numbers, never the user's text
        return call("query_data", sql=sql, max_rows=LISTED)
    rows = req.done[-1].records() if req.done[-1].ok else []
    if not rows:
        return Plan(answer=report(req, f"Segment {number} has no members in the active segmentation."))
    total = int(rows[0]["_members"])
    shown = f"the {LISTED:,} who spent most" if total > LISTED else "all of them, by total spend"
    return Plan(
        answer=f"Segment {number} has **{total:,} customers**; listed: {shown}. The CSV download under the table "
        "takes them to a spreadsheet or another tool. Next: *draft an email for this group about ...*."
    )


@recipe("segment_show")
def segment_show(req: Request) -> Plan:
    if MERGE.search(req.lower):
        return Plan(answer=MERGE_ANSWER)
    if compared(req):  # "what's the difference between the bargain hunters and the big spenders": both
        return segment_list(req)
    number = segment_slots.segment_ref(req.text, req.memory)
    if number is None and (size := BY_SIZE.search(req.lower)):  # "the biggest group": from the list's sizes
        if (listed := req.last("segment_list")) is None:
            return call("segment_list")
        sizes = dict(zip(listed.rows("segment"), listed.rows("size"), strict=False))
        if sizes and not req.last("segment_show"):
            pick = max if size[1] in ("biggest", "largest") else min
            return call("segment_show", segment=int(pick(sizes, key=lambda n: sizes[n])))
    if number is not None and MEMBERS_ASKED.search(req.lower) and not req.last("segment_show"):
        return members(req, number)
    if number is None and (earlier := req.vocabulary().earlier_segment_named(req.text)):
        name, run_id, segment, k = earlier
        return Plan(
            answer=f"'{name}' is segment {segment} of an earlier segmentation ({k} segments), not of the one in use. "
            f"To use it again, say *go back to run {run_id}*; or *list the segments* in use now."
        )
    if number is None and not req.last("segment_list") and not req.memory.segment_names:
        return call("segment_list")  # learn the names, then look for the one meant
    if number is None and (listed := req.last("segment_list")):
        names = {int(n): str(x) for n, x in zip(listed.rows("segment"), listed.rows("name"), strict=False)}
        number = segment_slots.segment_named(req.text, names)
    if req.last("segment_show"):
        return Plan(answer=report(req, "Next: *draft an email for this group about ...*, or *rename it*."))
    if number is None and req.done:  # "describe the bargain hunters" where no segment is called that
        return Plan(answer=report(req, "Which one did you mean? Ask by number or name, e.g. *describe segment 2*."))
    return call("segment_show", segment=number) if number is not None else call("segment_list")


NOT_WHAT_THEY_BOUGHT = (
    "Your orders log does not record which products were ordered, so these are the products that suit them best, not "
    "what they bought. "
)


@recipe("suggest")
def suggest(req: Request) -> Plan:
    """ "What should I promote to group 2?": the products that suit that segment best; with no segment named,
    the segments (to learn their names, and to pick one from)."""
    number = segment_slots.segment_ref(req.text, req.before)  # as written: "them" stays that segment in every round
    if number is None and one_customer.promote_to_one_shown(req):  # after a card: "what would you promote to them"
        number = req.memory.segment
    if number is None:
        number = segment_of_products_shown(req)
    if number is None and (listed := req.last("segment_list")):
        names = {int(n): str(x) for n, x in zip(listed.rows("segment"), listed.rows("name"), strict=False)}
        number = segment_slots.segment_named(req.text, names)
    from assistant.planner import period_sales  # imports the analytics, which need the recipes first

    if req.last("suggest_products"):  # "what do they buy" with no order line naming a product: what suits them
        unknown = period_sales.asks_bought(req.lower) and not req.vocabulary().products_ordered
        follow = "Next: *keep the first three*, then *draft an email for this group about them*."
        return Plan(answer=(NOT_WHAT_THEY_BOUGHT if unknown else "") + report(req, follow))
    if number is not None:
        if (bought := period_sales.bought_by(req, number)) is not None:
            return bought
        return call("suggest_products", segment=number, **kept_to(req))
    if not req.done:
        return call("segment_list")
    return Plan(
        answer=report(req, "Which segment should I find products for? Say, for example, *products for segment 1*.")
    )


def segment_of_products_shown(req: Request) -> int | None:
    """ "What would suit them" right after a segment's best fits or best sellers: that segment (the products shown are
    not who "them" are). The best sellers come from a query, so the segment is read from the question it answered."""
    before = req.before
    if before.shown != "products" or not slots.THEM.search(req.lower):
        return None
    if before.last_tool == "suggest_products":
        return before.segment
    asked = before.figures_asked[-1] if before.last_tool == "query_data" and before.figures_asked else ""
    return slots.number_after(asked, r"\b" + slots.SEGMENT_WORD) if asked else None


def kept_to(req: Request) -> dict[str, Any]:
    """ "products for group 2 under €50", "outerwear for the VIPs": the price and category the suggestions keep to
    (the segments' own names taken out first: "Classic car lovers" names no category)."""
    said = shop_terms.without(req.text, [str(name) for name in req.segment_names.values()], [])
    wanted = slots.product_filters(said, req.vocabulary())
    kept = {key: wanted[key] for key in ("price_min", "price_max", "category") if key in wanted}
    return kept | ({"top": wanted["limit"]} if "limit" in wanted else {})


# The segment a rename points at, said before the new name: "group 4", "that one", "the second one", "it", "them".
RENAMED_SEGMENT = (
    r"(?:" + slots.SEGMENT_WORD + r"\s*\d+"
    r"|(?:the\s+)?" + slots.ORDINAL + r"\s+(?:one|" + slots.SEGMENT_WORD + r")"
    r"|(?:that|this|the same|these|those)\s+(?:one|ones|" + slots.SEGMENT_WORD + r"|people|customers)"
    r"|it|this|that|them|they|these|those)"
)
# The new name said after the segment meant: "call group 4 Loyalists", "rename it to Deal hunters", "change the name
# of segment 5 to VIPs", "swap segment 1's name for Regulars", "segment 2 -> Loyal fans", "give group 2 a new name:
# City commuters", "dub segment 4 the Night owls": the name without a leading "the", quotes or a "please".
NAME_AFTER = re.compile(
    r"\b(?:" + RENAMED_SEGMENT + r")\b(?:['’]s(?: \w+)? (?:name|title|label))?"
    r"(?:\s+(?:a|an|the)(?: \w+)? (?:name|title|label))?"
    r"(?:\s+(?:(?:should|will|can|could|must|shall) )?be|\s+becomes?|\s+is now)?"  # "segment 1 should be called X"
    r"(?:\s+(?:called|named|titled|labell?ed|renamed|known))?"
    r"(?:\s+(?:to|as|with|for|into|is|are)\s+|\s*(?:->|=>|:)\s*|\s+)(?:be\s+)?(?:the name\s+|the\s+)?"
    r"[\"'“‘]?(?P<name>[^\"'“”‘’:>]+?)[\"'”’]?(?:,?\s+(?:please|pls|plz|thanks|thx))?[.!?]*\s*$",
    re.IGNORECASE,
)
# The new name said first: "slap the label Bargain hunters on cluster 2", "use the name Regulars for group 1".
NAME_BEFORE = re.compile(
    r"\b(?:label|name|title|call)\s+[\"'“‘]?(?P<name>[^\"'“”‘’]+?)[\"'”’]?\s+(?:on|for|to)\s+"
    r"(?P<segment>" + RENAMED_SEGMENT + r")[.!?]*\s*$",
    re.IGNORECASE,
)
# Not a name but the question around it: "is it possible to rename a segment?" names nothing.
NOT_A_NAME = re.compile(r"\b(?:rename|renaming|name|segments?|groups?|clusters?|possible|how|can i|could i)\b", re.I)


def new_name(text: str) -> tuple[str, str] | None:
    """The words that point at the segment (or all that comes before the name) and the new name, if one is said."""
    if found := NAME_BEFORE.search(text):
        return found["segment"], found["name"].strip()
    found = NAME_AFTER.search(text)
    if found is None or NOT_A_NAME.search(found["name"]):
        return None
    return text[: found.start("name")], found["name"].strip()


@recipe("segment_rename")
def segment_rename(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req, ""))
    said, name = new_name(req.text) or (req.text, None)  # the new name is not the segment meant
    if name is None and (by_name := renamed_by_name(req)):  # "rename the premium buyers to VIPs"
        return call("segment_rename", segment=by_name[0], name=by_name[1])
    number = segment_slots.segment_ref(said, req.memory)
    if number is None and name:  # "change the name of the deal-seeking buyers to ...": the words of its name
        number = segment_slots.segment_named(said, req.segment_names or req.vocabulary().segments)
    if number is None and re.search(r"\b(it|this|them|that one|this one)\b", said.lower()):
        number = req.memory.segment
    if number is not None and not name:  # "give group 3 a better name": which name is up to the marketer
        now = req.memory.segment_names.get(number)
        called = f" (now “{now}”)" if now else ""
        return Plan(answer=f"What should segment {number}{called} be called? Say e.g. *call group {number} Weekend "
                    "regulars*.")  # fmt: skip
    if number is None or not name:
        return Plan(answer="Which segment, and what name? E.g. *call group 2 Bargain hunters*.")
    return call("segment_rename", segment=number, name=name)


def renamed_by_name(req: Request) -> tuple[int, str] | None:
    """ "rename the premium buyers to VIPs", "call the deal seekers Bargain fans": the segment in use named first (by
    its name or a nickname only it fits) and the new name after it; None when the request is not so."""
    from assistant.planner.analytics_one import segments_named  # it imports the analytics, which need the recipes

    asked = re.match(r"^\W*(?:please\s+)?(?:rename|re-name|call|name|relabel|change the name of)\b", req.lower)
    if not asked:
        return None
    to = re.search(r"\s(?:to|as|into)\s", req.text[asked.end() :])  # the new name comes after it
    named = [n for n in segments_named(req) if to is None or n[1] <= asked.end() + to.start()]
    names = req.segment_names or req.vocabulary().segments  # listed in this chat, or the segmentation in use
    if not named and to and (number := segment_slots.segment_named(req.text[: asked.end() + to.start()], names)):
        named = [(0, asked.end() + to.start(), number)]  # "the luxury buyers" for "Luxury full-price buyers"
    if not named:
        return None
    _, end, number = named[0]
    after = re.sub(r"^\s*(?:to|as|into|:|-+>?|=)?\s*(?:the\s+)?", "", req.text[end:]).strip(" \t\"'“”‘’.!?")
    vague = re.fullmatch(r"(?:something\b.*|a (?:better|new|nicer) name)", after, re.I)
    return (number, after) if after and not vague else None


def segment_reach(req: Request) -> Plan | None:
    """ "How many of group 1 can I email": that segment's reachable customers and why not the rest (not everyone's);
    None unless the request names a segment and emailing."""
    if not re.search(r"e-?mail|reach|contact|mail", req.lower) or re.search(r"\bcampaign\b", req.lower):
        return None
    segment = segment_slots.segment_ref(req.text, replace(req.memory, segment=None))  # named here, not "them"
    if segment is None:  # "how many of the big spenders can I email", the segments not listed in this chat
        from assistant.planner.analytics_one import segments_asked  # it imports the analytics, which need recipes

        segment = next(iter(segments_asked(replace(req, before=replace(req.before, segment=None)))), None)
    if segment is None:
        return None
    if req.last("unreachable_customers"):
        return Plan(answer=report(req, "Next: *draft an email for this group about ...*."))
    return call("unreachable_customers", segment=segment)
