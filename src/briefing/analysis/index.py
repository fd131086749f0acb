"""The baseline index: hashed term vectors of every known document, their document frequencies and the
names they mention. The only scikit-learn/scipy import of the product (the evaluation adds metrics).

Two views of a text are kept: its content terms (stems and adjacent-stem bigrams) and its specifics
(names, by their variant-tolerant keys, and figures). Vectors are hashed (2^20 features), so documents
can be appended without refitting a vocabulary; weights (sublinear tf x smoothed idf) are applied when
the index is queried. An index is saved next to the store and extended in place when new documents
join the baseline, so a large baseline is not re-read on every run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from briefing.analysis.names import Name, NameBook, extract_names
from briefing.analysis.text import content_terms, is_number, words
from briefing.models import BaselineDoc
from briefing.write import atomic_write_bytes, atomic_write_text

FEATURES = 2**20
VERSION = 1  # bump when the features change: saved indexes are then rebuilt


def term_features(text: str) -> list[str]:
    """Content stems and bigrams of adjacent content stems."""
    terms = content_terms(text)
    return terms + [f"{a} {b}" for a, b in itertools.pairwise(terms)]


def specific_features(text: str, names: Sequence[Name] | None = None) -> list[str]:
    """Name keys (one per mention) and figures: what distinguishes one event from another of its kind."""
    out = []
    for name in names if names is not None else extract_names(text):
        out.extend([name.key] * name.count)
    out.extend("#" + w.replace(",", "") for w in words(text) if is_number(w) and len(w) > 1)
    return out


def _features(features: list[str]) -> list[str]:
    return features


_TERMS = HashingVectorizer(analyzer=term_features, n_features=FEATURES, alternate_sign=False, norm=None)
# Fed with ready-made feature lists: names are extracted once per document and used twice.
_HASHED = HashingVectorizer(analyzer=_features, n_features=FEATURES, alternate_sign=False, norm=None)


def _sublinear(m: sp.csr_matrix) -> sp.csr_matrix:
    m = m.tocsr(copy=True).astype(np.float32)
    m.data = 1.0 + np.log(m.data)
    return m


def term_counts(texts: Sequence[str]) -> sp.csr_matrix:
    return _sublinear(_TERMS.transform(texts))


def specific_counts(texts: Sequence[str], names: Sequence[Sequence[Name]] | None = None) -> sp.csr_matrix:
    if names is None:
        return _sublinear(_HASHED.transform([specific_features(t) for t in texts]))
    return _sublinear(_HASHED.transform([specific_features(t, n) for t, n in zip(texts, names, strict=True)]))


def fingerprint(docs: Sequence[BaselineDoc]) -> str:
    h = hashlib.sha256(f"v{VERSION}".encode())
    for d in docs:
        h.update(d.id.encode())
        h.update(hashlib.sha256(d.text.encode()).digest())
    return h.hexdigest()[:24]


@dataclass
class BaselineIndex:
    """Vectors, document frequencies and names of the baseline documents (rows in `docs` order)."""

    docs: list[BaselineDoc]
    terms: sp.csr_matrix
    specifics: sp.csr_matrix
    names: list[list[str]]
    fingerprints: list[str]
    # Derived from the rows above; cleared whenever rows are added.
    _idf: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _weighted: dict[str, sp.csr_matrix] = field(default_factory=dict, repr=False, compare=False)
    _book: list[NameBook] = field(default_factory=list, repr=False, compare=False)
    _released: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def build(cls, docs: Sequence[BaselineDoc]) -> BaselineIndex:
        empty = sp.csr_matrix((0, FEATURES), dtype=np.float32)
        index = cls([], empty, empty.copy(), [], [])
        index.extend(docs)
        return index

    def extend(self, docs: Sequence[BaselineDoc]) -> None:
        """Append documents (their vectors and names); existing rows are untouched."""
        if not docs:
            return
        if self._released:
            raise RuntimeError("a released index cannot be extended; load it again")
        texts = [_index_text(d) for d in docs]
        parts = _vectorise_in_parallel(texts) if len(texts) >= _PARALLEL_FROM else [_vectorise(texts)]
        self.terms = sp.vstack([self.terms, *(p[0] for p in parts)], format="csr")
        self.specifics = sp.vstack([self.specifics, *(p[1] for p in parts)], format="csr")
        for part in parts:
            self.names.extend(part[2])
        self.docs.extend(docs)
        self.fingerprints.extend(fingerprint([d]) for d in docs)
        self._idf.clear()
        self._weighted.clear()
        self._book.clear()

    def __len__(self) -> int:
        return len(self.docs)

    def release_counts(self) -> None:
        """Keep only what queries use (weighted rows, idf, names) and free the raw counts, about half the
        memory. The counts are on disk; a released index can no longer be extended or saved."""
        for which in ("terms", "specifics"):
            self.weighted(which)
        empty = sp.csr_matrix((0, FEATURES), dtype=np.float32)
        self.terms, self.specifics, self._released = empty, empty, True

    def _matrix(self, which: str) -> sp.csr_matrix:
        return self.terms if which == "terms" else self.specifics

    def idf(self, which: str) -> np.ndarray:
        """Smoothed idf over the baseline for `terms` or `specifics`."""
        if which not in self._idf:
            matrix = self._matrix(which)
            df = np.bincount(matrix.indices, minlength=FEATURES).astype(np.float32)
            self._idf[which] = (np.log((matrix.shape[0] + 1) / (df + 1)) + 1).astype(np.float32)
        return self._idf[which]

    def weighted(self, which: str) -> sp.csr_matrix:
        """The baseline's rows, idf-weighted and l2-normalised."""
        if which not in self._weighted:
            self._weighted[which] = self.query(which, self._matrix(which))
        return self._weighted[which]

    def query(self, which: str, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Rows weighted like the baseline's (idf, then unit length), ready for cosine similarity."""
        weighted = counts.tocsr().astype(np.float32, copy=True)
        weighted.data *= self.idf(which)[weighted.indices]  # in place: no intermediate matrices
        return normalize(weighted, copy=False)

    def name_book(self) -> NameBook:
        """Every name the baseline mentions."""
        if not self._book:
            self._book.append(NameBook(key for keys in self.names for key in keys))
        return self._book[0]

    # ---- persistence ---------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        if self._released:
            raise RuntimeError("a released index cannot be saved; load it again")
        folder.mkdir(parents=True, exist_ok=True)
        for name, matrix in (("terms", self.terms), ("specifics", self.specifics)):
            buffer = _npz_bytes(matrix)
            atomic_write_bytes(folder / f"{name}.npz", buffer)
        meta = {"version": VERSION, "fingerprints": self.fingerprints, "names": self.names}
        atomic_write_text(folder / "index.json", json.dumps(meta))

    @classmethod
    def load_or_build(cls, docs: Sequence[BaselineDoc], folder: Path | None) -> BaselineIndex:
        """The saved index if it covers a prefix of `docs` (extended with the rest), else a new one.

        A saved index that does not match (edited corpus, other version, damaged files) is rebuilt.
        """
        docs = list(docs)
        if folder is None:
            return cls.build(docs)
        wanted = [fingerprint([d]) for d in docs]
        try:
            meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            saved = list(meta["fingerprints"])
            if meta.get("version") != VERSION or saved != wanted[: len(saved)]:
                raise ValueError("stale")
            terms = sp.load_npz(folder / "terms.npz").tocsr()
            specifics = sp.load_npz(folder / "specifics.npz").tocsr()
            if terms.shape[0] != len(saved) or specifics.shape[0] != len(saved):
                raise ValueError("damaged")
            index = cls(docs[: len(saved)], terms, specifics, [list(n) for n in meta["names"]], saved)
        except (OSError, ValueError, KeyError, TypeError):
            index = cls.build([])
        fresh = docs[len(index) :]
        if fresh or len(index) != len(docs):
            index.extend(fresh)
            index.save(folder)
        return index


_PARALLEL_FROM = 400  # below this, starting worker processes costs more than it saves


def _vectorise(texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, list[list[str]]]:
    names = [extract_names(t) for t in texts]
    keys = [sorted({n.key for n in found}) for found in names]
    return term_counts(texts), specific_counts(texts, names), keys


def _vectorise_in_parallel(
    texts: Sequence[str],
) -> list[tuple[sp.csr_matrix, sp.csr_matrix, list[list[str]]]]:
    """Vectorise on every CPU (a large baseline is indexed once, then extended)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = os.cpu_count() or 1
    size = max(100, -(-len(texts) // (workers * 4)))
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_vectorise, chunks))


def _index_text(doc: BaselineDoc) -> str:
    return f"{doc.title}\n\n{doc.text}" if doc.title else doc.text


def _npz_bytes(matrix: sp.csr_matrix) -> bytes:
    import io

    buffer = io.BytesIO()
    sp.save_npz(buffer, matrix, compressed=True)
    return buffer.getvalue()
