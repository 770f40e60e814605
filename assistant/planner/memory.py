"""What the conversation has established, read back from its messages: every chat has its own memory.

The planner keeps nothing between turns. Each turn it replays the conversation's tool calls and
their results (the same compact views a model gets) and remembers what the last answers showed:
the products of the last table (in its order, with their prices), the segments and their names,
the customers of a ranking or of a predicted outlook, and the campaign in play. Follow-ups ("the top
two of those", "that group", "the VIPs", "send it", "an email for them") resolve against that.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assistant.planner.vocabulary import Vocabulary
from storage.followups import recipients_who

NOTE_PREFIX = "[UI]"  # how the UI records a button press or an upload in the conversation
NEXT_STEP = re.compile(r"(?:^|\n)Next: \*([^*]+)\*")  # "Next: *check the data* ...": the first suggestion
NOTE_CAMPAIGN = re.compile(re.escape(NOTE_PREFIX) + r".*?campaign (\d+)")
# A clarifying question answered by a button: the reading the user chose, for the text they typed.
# "[UI] The user uploaded 'a.csv' as customers: Imported 6 of 6 rows ..." / "...; the import failed: ..."
NOTE_UPLOAD = re.compile(
    re.escape(NOTE_PREFIX) + r" The user uploaded (?P<name>.+?) as (?P<kind>\w+)(?::|; the import (?P<failed>failed):) "
    r"(?P<said>.*)$",
    re.S,
)
LEAST = re.compile(r"\b(?:least|lowest|fewest|smallest|worst|weakest|quietest|bottom)\b")
NOTE_CHOICE = re.compile(re.escape(NOTE_PREFIX) + r" The user chose “(?P<label>[^”]+)” for: (?P<text>.*)$", re.S)


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

    def records(self) -> list[dict[str, Any]]:
        """The first table's rows as dicts."""
        tables = self.result.get("tables") or []
        if not tables:
            return []
        return [dict(zip(tables[0]["columns"], row, strict=False)) for row in tables[0]["rows"]]


@dataclass
class Memory:
    """What the conversation has established so far."""

    campaign_id: int | None = None
    skus: list[str] = field(default_factory=list)  # "them", "those": the products in play
    found: list[str] = field(default_factory=list)  # the last product table's SKUs, in its order
    products: list[dict[str, Any]] = field(default_factory=list)  # ... with their price, margin and stock
    search: dict[str, Any] | None = None  # the last product search's arguments, for "next page"
    segment: int | None = None  # "that group"
    segment_names: dict[int, str] = field(default_factory=dict)  # "the VIPs"
    segments: list[int] = field(default_factory=list)  # the last segment table's numbers, in its order
    segment_sizes: dict[int, int] = field(default_factory=dict)  # "the two biggest": their customers
    segments_meant: list[int] = field(default_factory=list)  # "the top two of those", then "an email for them"
    customers: list[str] = field(default_factory=list)  # the last ranking's customer IDs, in order
    outlook: dict[str, Any] = field(default_factory=dict)  # who the last predicted customers were: risk, value, due
    suggested: str | None = None  # the next step the last answer suggested: what "yes" or "do it" means
    shown: str | None = None  # what the last table was about: products / segments / customers / campaign
    last_tool: str | None = None  # the tool of the last step that worked
    upload: dict[str, Any] | None = None  # the last import: file name, kind, failed, what it said
    checked: dict[str, Any] | None = None  # the last data check since the last import or generation: its result
    asked: str = ""  # what the user last typed: "which group spends the least" makes the lowest "that group"
    figures_asked: list[str] = field(default_factory=list)  # the questions answered from the data just before
    buyers_asked: str = ""  # "customers who bought the jumbo bag": who "email them" is for, while they are shown
    awaiting: str | None = None  # the tool waiting for the person's Confirm, asked in the last step
    customers_of: int = 0  # how many customers the last list was the first rows of
    customers_query: dict[str, Any] | None = None  # the query that listed them: "which of them" asks of all it found
    engagement: str | None = None  # the recipients last listed ("who opened but didn't click"): "follow up with them"

    def learn(self, step: Step) -> None:
        args, data = step.arguments, step.result.get("data") or {}
        for source in (args, data, step.result.get("approval") or {}):
            if isinstance(source.get("campaign_id"), int):
                self.campaign_id = source["campaign_id"]
        if step.name == "import_data":  # "load products.csv": an import in the chat, as an upload is
            said = step.result.get("summary") or step.result.get("error") or ""
            name = Path(str(args.get("path") or "the file")).name
            self.upload = {"name": name, "kind": args.get("kind"), "failed": not step.ok, "said": said}
        # A step waiting for the person's Confirm ("Send campaign 1 to 246 customers now?"): "ok go" cannot confirm it
        self.awaiting = step.name if step.result.get("needs_confirmation") else None
        if not step.ok:
            return
        if step.name == "validate_data":
            self.checked = step.result
        elif step.name in ("import_data", "generate_demo_data"):  # new data: not checked yet
            self.checked = None
        previous, self.last_tool = self.last_tool, step.name
        if step.name != "query_data":  # another answer: "and the month before?" continues no figure
            self.figures_asked = []
        elif self.asked not in self.figures_asked[-1:]:  # "what about January?" next: that figure again
            self.figures_asked.append(self.asked)
        if step.name.startswith("campaign_"):
            self.shown = "campaign"
        skus = args.get("product") or args.get("skus") or data.get("skus")
        if step.name in ("find_products", "shortlist_show", "suggest_products", "query_data") and (
            found := step.rows("sku") or data.get("skus")
        ):
            self.found = [str(s) for s in found]
            self.products = step.records() or [{"sku": s} for s in self.found]
            self.skus = self.found[:3]  # a page of 20 is too many to mean by "them"
            self.shown = "products"
            if step.name == "find_products":
                self.search = dict(args)
        elif step.name == "shortlist_remove" or (step.name == "shortlist_add" and previous == "shortlist_remove"):
            self.skus = [str(s) for s in data.get("skus") or []]  # what is kept (after a swap too), not what went
        elif skus and isinstance(skus, list):
            self.skus = [str(s) for s in skus]
        listed = ("rank_customers", "campaign_recipients", "campaign_report", "query_data")  # "who bounced" too
        if step.name in listed and any(c is not None for c in step.rows("customer_id")):
            self.customers = [str(c) for c in step.rows("customer_id") if c is not None]
            self.shown = "customers"
            counted = step.rows("_customers")[:1]  # how many the list was of ("35 customers; the top 10 listed")
            self.customers_of = int(counted[0]) if counted and counted[0] is not None else len(self.customers)
            query = {"sql": args.get("sql"), "params": args.get("params") or {}}
            a_set = step.name == "query_data" and isinstance(args.get("sql"), str) and any(step.rows("_a_set"))
            self.customers_query = query if a_set else None  # not a ranking: "which of them" asks of all it found
            self.buyers_asked = self.asked if step.rows("Last bought") else ""  # a product's buyers (purchasers)
            self.engagement = args.get("engagement") if step.name == "campaign_recipients" else None
            if step.name == "campaign_recipients" and data.get("campaign_id") is not None:  # all of them, not a page
                who = recipients_who(int(data["campaign_id"]), str(data.get("engagement") or "received"))
                self.customers_query = {"sql": who, "params": {}}
                self.customers_of = int(data.get("matching") or len(self.customers))
        if step.name == "customer_card" and data.get("customer_id"):  # "unsubscribe her": the customer on the card
            self.customers, self.shown = [str(data["customer_id"])], "customers"
            self.segment = data.get("segment")  # "what would you promote to them": their segment's best fits
        if step.name == "find_predicted_customers":  # "draft an email for them": the same outlook
            self.outlook = {
                k: args[k] for k in ("risk", "min_value", "due_within_days", "segment") if args.get(k) is not None
            }
            self.customers = [str(c) for c in step.rows("customer_id")]
            self.shown = "predicted customers"
        if step.name == "query_data" and step.rows("Segment") and (ranked := step.records()[0]).get("_highest"):
            # "which group spends the most", then "tell me about that group": the one asked for ("5 (VIPs)")
            named = re.match(r"\d+", str(ranked["_lowest" if LEAST.search(self.asked.lower()) else "_highest"]))
            if named:
                self.segment, self.shown = int(named.group(0)), "segments"
        names = step.rows("name")
        if step.name in ("segment_run", "segment_use") and step.rows("segment"):
            self.segment_names, self.segment_sizes = {}, {}  # another segmentation: the last one's are not its own
        if step.name in ("segment_list", "segment_show", "segment_run", "segment_use") and step.rows("segment"):
            numbers = [int(n) for n in step.rows("segment")]
            self.segment_names |= {n: str(name) for n, name in zip(numbers, names, strict=False) if name}
            self.segment_sizes |= {n: int(size) for n, size in zip(numbers, step.rows("size"), strict=False) if size}
            picked = step.name == "segment_list" and args.get("segments") and len(numbers) > 1
            self.segments_meant = numbers if picked else []
            self.shown = "segments"
            if len(numbers) == 1:
                self.segment = numbers[0]
            else:  # "the second audience", "the last one": counted in the order listed; "them" is none of them
                self.segments, self.segment = numbers, None
        if step.name == "segment_rename":
            self.segment_names[int(args["segment"])] = str(args.get("name"))
        if isinstance(args.get("segment"), int):
            self.segment, self.segments_meant = args["segment"], []
            if step.name == "segment_show":  # "what would you promote to them": that segment
                self.shown = "segments"
        elif step.name == "match_segments" and step.rows("segment"):
            self.segments = [int(n) for n in step.rows("segment")]
            self.segment, self.segments_meant = self.segments[0], []  # the best fit comes first
            self.shown = "segments"


@dataclass
class Request:
    text: str
    memory: Memory
    done: list[Step]  # the calls already made for this request, in order
    chosen: str | None = None  # the reading the user picked from a clarifying question (an intent's label)
    # The reading this turn's first round chose (from its calls' ids): the later rounds keep to it, as a fresh
    # reading after a lookup may differ ("email them again" read as a send once the campaigns were listed)
    turn_intent: str | None = None
    segment_names: dict[int, str] = field(default_factory=dict)  # as they were when the user wrote the text
    # The memory as it was when the user wrote the text, before this turn's steps: what "them" and "and the month
    # before?" point at, the same in every round of the turn (not given: a copy of `memory`, no step taken yet)
    before: Memory = None  # type: ignore[assignment]
    vocabulary: Callable[[], Vocabulary] = Vocabulary.empty  # the shop's own categories, brands and columns
    test_addresses: tuple[str, ...] = ()  # where a test copy may go from the chat (PROMOPILOT_TEST_ADDRESSES)
    today: date = field(default_factory=date.today)  # the marketer's calendar: "last year" counts from it

    def __post_init__(self) -> None:
        if self.before is None:
            self.before = copy.deepcopy(self.memory)

    @property
    def lower(self) -> str:
        return self.text.lower()

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.lower) is not None

    def last(self, name: str) -> Step | None:
        return next((s for s in reversed(self.done) if s.name == name), None)


@dataclass
class Plan:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answer: str = ""
    intent: str | None = None  # the reading it comes from: the turn's later rounds keep to it


PLANNED_CALL = re.compile(r"^plan_\d+_\d+_(?P<intent>\w+)$")  # a call's id: plan_<message>_<call>_<intent>


def call(tool: str, /, **arguments: Any) -> Plan:
    return Plan(calls=[(tool, arguments)])  # positional-only: a tool may have an argument called "name"


def read_request(messages: list[dict[str, Any]]) -> Request:
    """Rebuild the current request, this turn's steps and the conversation's memory from the messages."""
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    memory = Memory()
    done: list[Step] = []
    pending: dict[str, tuple[str, dict[str, Any]]] = {}
    before: Memory | None = None
    turn_intent: str | None = None
    for i, message in enumerate(messages):
        if i > last_user and before is None:
            before = copy.deepcopy(memory)
        if message["role"] == "assistant":
            if message.get("content") and i < last_user:
                suggested = NEXT_STEP.search(str(message["content"]))
                memory.suggested = suggested.group(1) if suggested else None
            for c in message.get("tool_calls") or []:
                if i > last_user and turn_intent is None and (planned := PLANNED_CALL.match(str(c.get("id") or ""))):
                    turn_intent = planned["intent"]
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
        elif message["role"] == "user" and (m := NOTE_UPLOAD.match(str(message["content"]))):
            memory.upload = {"name": m["name"].strip("'\""), "kind": m["kind"], "failed": bool(m["failed"]),
                             "said": m["said"]}  # fmt: skip
            memory.checked = memory.checked if m["failed"] else None  # an upload that worked: new data to check
        elif message["role"] == "user" and not str(message["content"]).startswith(NOTE_PREFIX):
            memory.asked = str(message["content"] or "")

    text = str(messages[last_user]["content"] or "") if last_user >= 0 else ""
    chosen = None
    if choice := NOTE_CHOICE.match(text):
        chosen, text = choice["label"], choice["text"]
    before = before or copy.deepcopy(memory)
    return Request(text=text, memory=memory, done=done, chosen=chosen, segment_names=dict(before.segment_names),
                   before=before, turn_intent=turn_intent)  # fmt: skip


def _json(content: Any) -> dict[str, Any]:
    try:
        value = json.loads(content or "{}")
    except (TypeError, json.JSONDecodeError):
        return {"ok": False, "error": str(content)}
    return value if isinstance(value, dict) else {"ok": True, "summary": str(value)}
