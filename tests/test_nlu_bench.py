"""`python -m bench.nlu --model` keeps working: run against the fake OpenAI server, as CI does."""

from __future__ import annotations

import json

from bench import nlu
from tests.fake_openai import FakeOpenAI, Scripted


def test_the_model_evaluation_scores_each_examples_first_tool_call(monkeypatch, capsys):
    with FakeOpenAI() as server:
        server.default = Scripted(tool_calls=[{"name": "data_overview", "arguments": {}}])
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("PROMOPILOT_MODEL", "fake-model")
        figures = nlu.main(["--model", "--limit", "40", "--concurrency", "2", "--json"])

    sampled = nlu.sample(nlu.examples(), 40)
    should_look = [e for e in sampled if "data_overview" in nlu.expected_first_calls(e.intent)]
    assert should_look, "the sample covers the overview intent"
    assert figures["examples"] == 40 and figures["failed_requests"] == 0
    assert figures["accuracy"] == round(len(should_look) / 40, 4), "only overview phrasings are right"
    assert figures["prompt_tokens_total"] == 40 * 10 and figures["completion_tokens_total"] == 40 * 5
    assert json.loads(capsys.readouterr().out)["model"] == "fake-model"

    bodies = server.requests
    assert len(bodies) == 40
    assert all(len(b["messages"]) == 2 and b["messages"][0]["role"] == "system" for b in bodies), "fresh turns"
    assert {b["messages"][1]["content"] for b in bodies} == {e.text for e in sampled}
    assert any(t["function"]["name"] == "campaign_draft" for t in bodies[0]["tools"]), "the tools are offered"


def test_a_conversation_with_no_campaign_may_start_by_listing_them():
    assert nlu.expected_first_calls("send") == {"campaign_send", "campaign_list"}
    assert nlu.expected_first_calls("help") == set(), "help is answered in words"


def test_the_offline_bench_reports_held_out_figures_per_intent():
    intents = {"pause", "cancel", "reject", "smalltalk"}
    data = [e for e in nlu.examples() if e.intent in intents]
    figures = nlu.held_out(data, folds=2)
    assert figures["phrasings"] == len(data) and set(figures["per_intent_recall"]) == intents
    assert 0.5 < figures["held_out_accuracy"] <= 1 and figures["ms_per_turn_median"] > 0
    assert 0.5 < figures["words_alone_accuracy"] <= 1, "the same classifier without the sentence encoder"
    for confusion in figures["top_confusions"]:
        assert confusion["said"] != confusion["read_as"] and confusion["examples"]
