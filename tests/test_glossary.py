"""What PromoPilot's words mean, asked in the chat: each said as the code computes it."""

from __future__ import annotations

import pytest

from assistant.planner.memory import Memory, Request
from assistant.planner.model import choose
from tests.test_planner import CAMPAIGN_4
from tools.catalog.audience import WEIGHTS
from tools.predict.scoring import HIGH_RISK, HORIZON_DAYS, LOW_RISK


def said(text: str, memory: Memory | None = None):
    return choose(Request(text, memory or Memory(), []))


@pytest.mark.parametrize(
    ("text", "first", "then"),
    [  # each was read as something else: the shortlist shown, the segments, the campaigns, a "did you mean"
        ("what's the difference between a segment and a shortlist", "A **segment** is", "The **shortlist** is"),
        ("what is the difference between open rate and click rate", "The **open rate**", "The **click rate**"),
        ("what is a shortlist?", "The **shortlist** is", None),
        ("what is silhouette", "The **silhouette**", None),
        ("define click-to-open rate", "The **click-to-open rate**", None),  # one term, not the open rate too
        ("what does CTR stand for", "The **click rate**", None),
    ],
)
def test_a_term_is_explained_in_the_order_asked(text, first, then):
    plan = said(text, CAMPAIGN_4)
    assert not plan.calls and plan.answer.startswith(first)
    parts = plan.answer.split("\n\n")
    assert len(parts) == (2 if then else 1) and (then is None or parts[1].startswith(then))


def test_the_figures_in_the_definitions_are_the_codes_own():
    fit = said("what does fit score mean").answer
    assert [f"{w:.0%}" in fit for w in WEIGHTS.values()] == [True] * len(WEIGHTS)
    churn = said("what does churn risk mean").answer
    assert f"next {HORIZON_DAYS} days" in churn and f"low under {LOW_RISK:.0%}, high over {HIGH_RISK:.0%}" in churn


@pytest.mark.parametrize(
    ("text", "tool"),
    [("what is segment 2", "segment_show"), ("what's the open rate", "campaign_report")],
)
def test_a_figure_asked_for_is_not_a_definition(text, tool):
    plan = said(text, CAMPAIGN_4)
    assert plan.calls and plan.calls[0][0] == tool
