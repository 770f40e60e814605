"""The planner's classifier is fitted once per machine and loaded from disk after that."""

import pytest

from assistant.planner import classifier as planner_classifier

TEXTS = ["check the data", "validate my files", "split customers into groups", "segment the shoppers"]
INTENTS = ["validate", "validate", "segment_run", "segment_run"]


def test_a_fitted_model_is_kept_and_loaded_instead_of_fitted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOPILOT_CACHE_DIR", str(tmp_path))
    first = planner_classifier.trained(TEXTS, INTENTS)
    assert [p.name.startswith("planner-") for p in tmp_path.glob("*.pickle")] == [True]

    def never(*args, **kwargs):
        raise AssertionError("fitted again although the model was on disk")

    monkeypatch.setattr(planner_classifier.Classifier, "__init__", never)
    loaded = planner_classifier.trained(TEXTS, INTENTS)
    assert loaded.ranked("put the buyers in clusters") == first.ranked("put the buyers in clusters")
    with pytest.raises(AssertionError, match="fitted again"):
        planner_classifier.trained([*TEXTS[:3], "segment the customers"], INTENTS)


def test_a_new_model_replaces_the_old_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOPILOT_CACHE_DIR", str(tmp_path))
    planner_classifier.trained(TEXTS, INTENTS)
    old = {p.name for p in tmp_path.glob("planner-*.pickle")}
    planner_classifier.trained([*TEXTS[:3], "segment the customers"], INTENTS)
    new = {p.name for p in tmp_path.glob("planner-*.pickle")}
    assert len(new) == 1 and new != old


def test_a_damaged_file_is_fitted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOPILOT_CACHE_DIR", str(tmp_path))
    first = planner_classifier.trained(TEXTS, INTENTS)
    [kept] = tmp_path.glob("planner-*.pickle")
    kept.write_bytes(kept.read_bytes()[:1000])
    assert planner_classifier.trained(TEXTS, INTENTS).ranked("check it") == first.ranked("check it")
