"""The baseline index: hashed term vectors of every known document, their document frequencies and the
names they mention. The only scikit-learn import of the product (the evaluation adds metrics).

Two views of a text are kept: its content terms (stems and adjacent-stem bigrams) and its specifics
(names, by their variant-tolerant keys, and figures). Vectors are hashed (2^20 features), so documents
can be appended without refitting a vocabulary; weights (sublinear tf x smoothed idf) are applied over
the whole baseline.

An index is saved next to the store: the raw counts (to extend it when documents join the baseline) and,
ready for queries, the weighted rows and the postings of the rarer features (feature -> documents). A run
opens the saved arrays memory-mapped, so it reads only the postings of its articles' features and the rows
of their candidate neighbours: finding the nearest of 50,000 documents costs what the candidates cost,
not what the baseline weighs.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from briefing.analysis.names import Name, NameBook, extract_names
from briefing.analysis.text import content_terms, is_number, words
from briefing.models import BaselineDoc
from briefing.write import atomic_write_bytes, atomic_write_text

FEATURES = 2**20
VERSION = 3  # bump when the features or the files change: saved indexes are then rebuilt
# Files of the index folder that outlive a generation: the metadata, and the sentence vectors of the
# baseline (`linking.CACHE_FILE`), which grow with it and would otherwise be computed again each time.
KEPT = frozenset({"index.json", "vectors.npz"})
# Features in more than this share of documents (common words) are left out of the postings: they add
# little to a cosine and most of the cost. Candidates found through the rarer ones are then scored exactly.
COMMON_SHARE = 0.02
MIN_POSTING_LIMIT = 64
CANDIDATES = 100  # candidates per text scored exactly; the nearest are chosen among them
EXACT_UP_TO = 5_000  # below this many documents every document is scored exactly


def column(term: str) -> int:
    """The hashed feature column of a term, as the vectoriser stores it."""
    return int(abs(murmurhash3_32(term, seed=0, positive=False)) % FEATURES)


def term_features(text: str) -> list[str]:
    """Content stems and bigrams of adjacent content stems."""
    terms = content_terms(text)
    return terms + [f"{a} {b}" for a, b in itertools.pairwise(terms)]


def specific_features(text: str, names: Sequence[Name] | None = None) -> list[str]:
    """Name keys (one per mention) and figures: what distinguishes one event from another of its kind."""
    out = []
    for name in names if names is not None else extract_names(text, strict=False):
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


@dataclass(frozen=True)
class Queries:
    """Texts vectorised like the baseline (weighted content terms and specifics, one row per text):
    made once per analysis and used for duplicates and nearest documents alike."""

    terms: sp.csr_matrix
    specifics: sp.csr_matrix

    def __len__(self) -> int:
        return int(self.terms.shape[0])

    def rows(self, picked: Sequence[int]) -> Queries:
        return Queries(self.terms[list(picked)], self.specifics[list(picked)])


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
    _postings: dict[str, sp.csr_matrix] = field(default_factory=dict, repr=False, compare=False)
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
        self._postings.clear()
        self._book.clear()

    def __len__(self) -> int:
        return len(self.docs)

    def release_counts(self) -> None:
        """Keep only what queries use (weighted rows, idf, names) and free the raw counts, about half the
        memory. The counts are on disk; a released index can no longer be extended or saved."""
        for which in ("terms", "specifics"):
            self.weighted(which)
            self._release(which)
        self._released = True

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

    def postings(self, which: str) -> sp.csr_matrix:
        """The weighted matrix by feature (rows: features, columns: documents), rarer features only."""
        if which not in self._postings:
            self._postings[which] = _postings_of(self.weighted(which), len(self))
        return self._postings[which]

    def queries(self, texts: Sequence[str]) -> Queries:
        """`texts` vectorised like the baseline, ready for cosine similarity."""
        terms = self.query("terms", term_counts(texts))
        return Queries(terms, self.query("specifics", specific_counts(texts)))

    def nearest(self, texts: Sequence[str] | Queries, k: int, blend: float) -> list[list[tuple[int, float]]]:
        """For each text, up to `k` (row, similarity) of the closest documents, closest first.

        Similarity is the cosine of content terms blended with `blend` of the cosine of specifics.
        Candidates come from the postings of rarer features and are then scored exactly; a small
        baseline is scored exactly throughout."""
        if not len(self) or not len(texts):
            return [[] for _ in range(len(texts))]
        q = texts if isinstance(texts, Queries) else self.queries(texts)
        terms, specifics = q.terms, q.specifics
        if len(self) <= EXACT_UP_TO:
            sims = self._blended(terms, specifics, blend)
            return [_top(np.arange(len(self)), row, k) for row in sims]
        found = ((terms @ self.postings("terms")) + (specifics @ self.postings("specifics"))).tocsr()
        candidates = []
        for i in range(len(q)):
            rows, rough = (
                found.indices[found.indptr[i] : found.indptr[i + 1]],
                found.data[found.indptr[i] : found.indptr[i + 1]],
            )
            if len(rows) > CANDIDATES:
                rows = rows[np.argpartition(-rough, CANDIDATES)[:CANDIDATES]]
            candidates.append(np.sort(rows))
        # Each text against its own candidates only (rows gathered once for all texts).
        union = np.unique(np.concatenate(candidates)) if candidates else np.zeros(0, dtype=np.int32)
        rows_terms, rows_specifics = self.weighted("terms")[union], self.weighted("specifics")[union]
        out = []
        for i, rows in enumerate(candidates):
            at = np.searchsorted(union, rows)
            exact = (1 - blend) * (rows_terms[at] @ terms[i].T).toarray().ravel() + blend * (
                rows_specifics[at] @ specifics[i].T
            ).toarray().ravel()
            out.append(_top(rows, exact, k))
        return out

    def similarities(self, texts: Sequence[str] | Queries, blend: float) -> np.ndarray:
        """Exact similarity of each text to every document (rows: texts, columns: baseline order)."""
        if not len(self) or not len(texts):
            return np.zeros((len(texts), len(self)), dtype=np.float32)
        q = texts if isinstance(texts, Queries) else self.queries(texts)
        return self._blended(q.terms, q.specifics, blend)

    def _blended(self, terms: sp.csr_matrix, specifics: sp.csr_matrix, blend: float) -> np.ndarray:
        sims = (1 - blend) * (terms @ self.weighted("terms").T).toarray() + blend * (
            specifics @ self.weighted("specifics").T
        ).toarray()
        return np.asarray(sims, dtype=np.float32)

    def query(self, which: str, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Rows weighted like the baseline's (idf, then unit length), ready for cosine similarity."""
        weighted = counts.tocsr().astype(np.float32, copy=True)
        if weighted.shape[0] == 0:  # an empty baseline (scikit-learn refuses to normalise no rows)
            return weighted
        weighted.data *= self.idf(which)[weighted.indices]  # in place: no intermediate matrices
        return normalize(weighted, copy=False)

    def name_book(self) -> NameBook:
        """Every name the baseline mentions."""
        if not self._book:
            self._book.append(NameBook(key for keys in self.names for key in keys))
        return self._book[0]

    # ---- persistence ---------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the counts and the query arrays as one generation; `index.json`, written last, names it.

        A crash part-way leaves the previous generation in force; older generations are then removed.
        The index is released as it is written (one large matrix in memory at a time): use the files.
        """
        if self._released:
            raise RuntimeError("a released index cannot be saved; load it again")
        folder.mkdir(parents=True, exist_ok=True)
        generation = hashlib.sha256("".join(self.fingerprints).encode()).hexdigest()[:16]
        shapes: dict[str, list[int]] = {}
        for which in ("terms", "specifics"):
            stem = f"{generation}.{which}"
            atomic_write_bytes(folder / f"{stem}.npz", _npz_bytes(self._matrix(which)))
            atomic_write_bytes(folder / f"{stem}.idf.npy", _npy_bytes(self.idf(which)))
            weighted = self.weighted(which)
            _save_csr(folder, f"{stem}.weighted", weighted)
            self._weighted.pop(which)
            self._postings.pop(which, None)
            self._release(which)
            postings = _postings_of(weighted, len(self))
            del weighted
            _save_csr(folder, f"{stem}.postings", postings)
            shapes[which] = [postings.nnz]
            del postings
        self._released = True
        meta = {
            "version": VERSION,
            "generation": generation,
            "fingerprints": self.fingerprints,
            "names": self.names,
            "postings_nnz": shapes,
        }
        atomic_write_text(folder / "index.json", json.dumps(meta))
        for stale in folder.iterdir():  # older generations, and temporary files a crash left
            if stale.name not in KEPT and not stale.name.startswith(generation):
                stale.unlink(missing_ok=True)

    def _release(self, which: str) -> None:
        empty = sp.csr_matrix((0, FEATURES), dtype=np.float32)
        if which == "terms":
            self.terms = empty
        else:
            self.specifics = empty

    @classmethod
    def load_or_build(cls, docs: Sequence[BaselineDoc], folder: Path | None) -> BaselineIndex:
        """The saved index if it covers a prefix of `docs` (extended with the rest), else a new one.

        From a folder, the index comes back opened for queries: its arrays memory-mapped, its counts
        left on disk (it cannot be extended in memory; load it again). A saved index that does not match
        (edited corpus, other version, damaged files) is rebuilt.
        """
        docs = list(docs)
        if folder is None:
            return cls.build(docs)
        wanted = [fingerprint([d]) for d in docs]
        meta = _read_meta(folder)
        saved = list(meta["fingerprints"]) if meta else []
        if meta is None or saved != wanted[: len(saved)]:
            cls.build(docs).save(folder)
        elif len(saved) < len(docs):
            index = _load_counts(cls, folder, meta, docs[: len(saved)])
            if index is None:
                index = cls.build([])
            index.extend(docs[len(index) :])
            index.save(folder)
        opened = _open(cls, folder, docs)
        if opened is None:  # damaged since it was written: start again
            cls.build(docs).save(folder)
            opened = _open(cls, folder, docs)
            assert opened is not None
        return opened


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("version") != VERSION or "generation" not in meta:
        return None
    return meta


def _load_counts(
    cls: type[BaselineIndex], folder: Path, meta: dict[str, Any], docs: list[BaselineDoc]
) -> BaselineIndex | None:
    generation = meta["generation"]
    try:
        terms = sp.load_npz(folder / f"{generation}.terms.npz").tocsr()
        specifics = sp.load_npz(folder / f"{generation}.specifics.npz").tocsr()
    except (OSError, ValueError):
        return None
    if terms.shape[0] != len(docs) or specifics.shape[0] != len(docs):
        return None
    return cls(docs, terms, specifics, [list(n) for n in meta["names"]], list(meta["fingerprints"]))


def _open(cls: type[BaselineIndex], folder: Path, docs: list[BaselineDoc]) -> BaselineIndex | None:
    """The saved index, ready for queries, its arrays memory-mapped; None when the files do not match."""
    meta = _read_meta(folder)
    if meta is None or len(meta["fingerprints"]) != len(docs):
        return None
    generation = meta["generation"]
    empty = sp.csr_matrix((0, FEATURES), dtype=np.float32)
    index = cls(docs, empty, empty.copy(), [list(n) for n in meta["names"]], list(meta["fingerprints"]))
    try:
        for which in ("terms", "specifics"):
            weighted = _load_csr(folder, f"{generation}.{which}.weighted", (len(docs), FEATURES))
            postings = _load_csr(folder, f"{generation}.{which}.postings", (FEATURES, len(docs)))
            idf = np.load(folder / f"{generation}.{which}.idf.npy", mmap_mode="r")
            if postings.nnz != meta["postings_nnz"][which][0] or idf.shape != (FEATURES,):
                return None
            index._weighted[which], index._postings[which], index._idf[which] = weighted, postings, idf
    except (OSError, ValueError, KeyError):
        return None
    index._released = True
    return index


def _save_csr(folder: Path, stem: str, matrix: sp.csr_matrix) -> None:
    for part in ("data", "indices", "indptr"):
        atomic_write_bytes(folder / f"{stem}.{part}.npy", _npy_bytes(getattr(matrix, part)))


def _load_csr(folder: Path, stem: str, shape: tuple[int, int]) -> sp.csr_matrix:
    data, indices, indptr = (
        np.load(folder / f"{stem}.{p}.npy", mmap_mode="r") for p in ("data", "indices", "indptr")
    )
    if len(indptr) != shape[0] + 1 or len(data) != len(indices) or (len(indptr) and indptr[-1] != len(data)):
        raise ValueError(f"{stem}: damaged")
    return sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)


def _postings_of(weighted: sp.csr_matrix, documents: int) -> sp.csr_matrix:
    """The postings (rows: features, columns: documents) of the features found in at most COMMON_SHARE
    of the documents."""
    df = np.bincount(weighted.indices, minlength=weighted.shape[1])
    limit = max(MIN_POSTING_LIMIT, int(COMMON_SHARE * documents))
    rare = _keep_entries(weighted, df[weighted.indices] <= limit)  # before transposing: a smaller copy
    return rare.T.tocsr()


def _keep_entries(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=matrix.indptr.dtype)])  # kept before each
    indptr = kept_before[matrix.indptr].astype(matrix.indptr.dtype)
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def _top(rows: np.ndarray, sims: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The `k` best (row, similarity) with similarity > 0, best first; ties go to the earlier row."""
    order = np.lexsort((rows, -sims))[:k]
    return [(int(rows[j]), float(sims[j])) for j in order if sims[j] > 0]


_PARALLEL_FROM = 400  # below this, starting worker processes costs more than it saves


def _vectorise(texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, list[list[str]]]:
    names = [extract_names(t, strict=False) for t in texts]  # every specific counts for similarity
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
    buffer = io.BytesIO()
    sp.save_npz(buffer, matrix, compressed=True)
    return buffer.getvalue()


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
