"""The sentence encoder the planner reads meaning with: all-MiniLM-L6-v2, run with numpy.

The reference vectors in fixtures/minilm_reference.json were made by sentence-transformers itself
(with PyTorch, outside this project); the numpy encoder must give the same numbers."""

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.planner import encoder

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text())


def test_gives_the_same_vectors_as_sentence_transformers():
    ours = encoder.encode(REFERENCE["sentences"])
    theirs = np.array(REFERENCE["embeddings"], dtype=np.float32)
    assert ours.shape == theirs.shape == (len(REFERENCE["sentences"]), 384)
    assert np.abs(ours - theirs).max() < 1e-5


def test_a_batch_gives_what_each_sentence_gives_alone():
    """Padding the short sentences of a batch to the longest must not change them."""
    together = encoder.encode(REFERENCE["sentences"])
    alone = np.vstack([encoder.encode([s]) for s in REFERENCE["sentences"]])
    assert np.abs(together - alone).max() < 1e-5


def test_paraphrases_are_closer_than_other_requests():
    results, performance, split, groups = encoder.encode(
        [
            "show me the results of the spring mailing",
            "how did the spring campaign perform",
            "split the customers into segments",
            "put the shoppers into groups",
        ]
    )
    assert results @ performance > max(results @ split, results @ groups)
    assert split @ groups > max(split @ results, split @ performance)


def test_remembered_vectors_are_reused_and_renewed_when_the_texts_change(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOPILOT_CACHE_DIR", str(tmp_path))
    first = encoder.encode_remembered(["check the data", "segment customers"])
    assert len(list(tmp_path.glob("phrasings-*.npy"))) == 1

    def never(texts, batch_size=64):
        raise AssertionError("encoded again although the vectors were on disk")

    monkeypatch.setattr(encoder, "encode", never)
    assert np.array_equal(encoder.encode_remembered(["check the data", "segment customers"]), first)
    with pytest.raises(AssertionError, match="encoded again"):
        encoder.encode_remembered(["check the data", "segment the customers"])


def test_a_weights_file_that_is_not_the_release_is_refused(tmp_path, monkeypatch):
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    monkeypatch.setattr(encoder, "model_folder", lambda: tmp_path)
    encoder._model.cache_clear()
    try:
        with pytest.raises(encoder.ModelMissing, match="not the all-MiniLM-L6-v2 release"):
            encoder.encode(["hello"])
    finally:
        encoder._model.cache_clear()
