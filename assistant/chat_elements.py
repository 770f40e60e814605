"""What a turn shows under its answer in the chat: one compact table, charts worth drawing, the draft
preview with its decision buttons, and buttons for the readings of an unclear request or the next steps.

Chainlit elements only; how a table is shortened and labelled is `assistant.present` (plain, tested
without a browser); `assistant.turn_view` and the handlers in `assistant.webapp` call these.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import chainlit as cl

from assistant.planner.model import offered_readings
from assistant.present import HIDDEN, compact, full, lead, markdown, with_names, worth_drawing
from storage.shop import get_currency
from tools.results import ApprovalRequest, ToolResult

if TYPE_CHECKING:
    from storage.db import Database


async def show_result(result: ToolResult, db: Database) -> None:
    """One compact table of the key columns of the table that answers (the full ones expandable, with a CSV
    download; a table backing the answer up, such as the metrics per number of segments, only there), the charts
    that have something on them, and a draft as a preview with the decision buttons."""
    shown_at_all = [t for t in result.tables if t.rows and not all(c.startswith(HIDDEN) for c in t.columns)]
    tables = [with_names(t, db) for t in shown_at_all]  # not one of the planner's own figures ("_..." columns)
    first = lead(tables)
    if first is not None:
        shown = compact(first, get_currency(db))
        more = f" (first {len(shown)} of {first.total or len(first.rows):,})" if (first.total or 0) > len(shown) else ""
        download = cl.File(
            name=csv_name(first.name), content=full(first).to_csv(index=False).encode(), display="inline"
        )
        await cl.Message(content=f"**{first.name}**{more}\n\n{markdown(shown)}", elements=[download]).send()
    # Every table in full, each in a collapsed step: opened on demand, out of the way otherwise.
    for table in tables:
        async with cl.Step(name=f"full table: {table.name}", type="tool") as step:
            step.show_input = False
            step.output = f"{len(table.rows):,} rows, {len(table.columns)} columns"
            step.elements = [cl.Dataframe(name=table.name, data=full(table), display="inline", size="large")]
    charts = [
        cl.Plotly(name=c.title, figure=c.to_figure(), display="inline", size="large")
        for c in result.charts
        if worth_drawing(c)
    ]
    if charts:
        await cl.Message(content="", elements=charts).send()
    if result.approval:
        await show_approval(result.approval)


def csv_name(title: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "table") + ".csv"


NEXT_STEP = re.compile(r"(?:^|\n)Next: (.+)$", re.MULTILINE)


def next_steps(answer: str) -> list[str]:
    """The phrases an answer suggests saying next ("Next: *check the data*, or *segment customers*")."""
    found = NEXT_STEP.search(answer)
    return re.findall(r"\*([^*]+)\*", found.group(1))[:3] if found else []


async def offer_next_steps(answer: str, request: str) -> None:
    """Buttons under the answer: the readings of a clarifying question, or the next steps it suggests."""
    readings = offered_readings(answer)
    if readings:
        actions = [
            cl.Action(name="reading", label=r.capitalize(), payload={"label": r, "text": request}) for r in readings
        ]
        await cl.Message(content="Pick one:", actions=actions).send()
        return
    steps = [s for s in next_steps(answer) if "..." not in s]
    if steps:
        actions = [cl.Action(name="say", label=s[:1].upper() + s[1:], payload={"text": s}) for s in steps]
        await cl.Message(content="Or press:", actions=actions).send()


async def show_approval(request: ApprovalRequest) -> None:
    payload = {"campaign_id": request.campaign_id, "version": request.version}
    preview = cl.CustomElement(
        name="EmailPreview",
        props={"html": request.preview_html, "subject": request.subject},
        display="inline",
    )
    shown_as = f"{request.shown_as}\n\n" if request.shown_as else ""  # the name: this screen only, not the model
    await cl.Message(
        content=f"**Draft ready for your decision**: campaign {request.campaign_id}, version {request.version}.\n\n"
        f"{shown_as}**Approve** allows sending exactly this version; **Revise** asks for changes; **Reject** drops it.",
        elements=[preview],
        actions=[
            cl.Action(name="approve", label="Approve", payload=payload, tooltip="Allow sending this version"),
            cl.Action(name="revise", label="Revise", payload=payload, tooltip="Ask for changes"),
            cl.Action(name="reject", label="Reject", payload=payload, tooltip="Drop this draft"),
        ],
    ).send()
