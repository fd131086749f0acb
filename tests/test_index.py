"""The baseline index: the nearest documents found through the postings of rarer features are the ones
exact scoring finds; the saved index opens memory-mapped, grows by a new generation of files, and a damaged
or stale one is rebuilt."""

from __future__ import annotations

import itertools
import mmap
import random
from pathlib import Path

import numpy as np
import pytest

from briefing.analysis import index as index_module
from briefing.analysis.index import BaselineIndex
from briefing.analysis.names import name_key
from briefing.analysis.novelty import similarities
from briefing.models import BaselineDoc

BLEND = 0.4
SYLLABLES = "ka ra ta na ma la sa ba da ga ha ya za ko ro to no mo lo so bo do go ho yo".split()


def corpus(n: int, seed: int = 3) -> tuple[list[BaselineDoc], list[str]]:
    """`n` synthetic documents (Zipf-distributed words, names, figures; SAMPLE DATA) and, for the queries,
    ten near-copies of some of them (a known story, rewritten) and ten unrelated texts."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(4000)})
    # No real names ("doha", "gaza" come out of these syllables): unrelated texts must share none.
    vocab = [w for w in vocab if not name_key(w).startswith("g:")]
    weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    names = [f"{rng.choice(vocab).capitalize()} {rng.choice(vocab).capitalize()}" for _ in range(400)]

    def text(words: int) -> str:
        sentences = []
        for _ in range(words // 15):
            tokens = rng.choices(vocab, cum_weights=weights, k=15)
            tokens[rng.randrange(15)] = rng.choice(names)
            sentences.append(" ".join(tokens).capitalize() + ".")
        return " ".join(sentences)

    docs = [BaselineDoc(f"d{i}", f"Doc {i}", (), None, text(240), "test") for i in range(n)]
    rewritten = []
    for doc in rng.sample(docs, 10):
        sentences = doc.text.split(". ")
        rng.shuffle(sentences)
        rewritten.append(". ".join(sentences[: len(sentences) * 2 // 3]) + ". " + text(60))
    return docs, rewritten + [text(200) for _ in range(10)]


@pytest.fixture(scope="module")
def sample() -> tuple[list[BaselineDoc], list[str]]:
    return corpus(360)  # under the size from which the index vectorises in worker processes: quick


def test_nearest_through_postings_finds_what_exact_scoring_finds(
    sample: tuple[list[BaselineDoc], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, queries = sample
    index = BaselineIndex.build(docs)
    exact = index.nearest(queries, 5, BLEND)
    every = similarities(index, queries)
    monkeypatch.setattr(index_module, "EXACT_UP_TO", 0)  # the path large baselines take
    monkeypatch.setattr(index_module, "MIN_POSTING_LIMIT", 8)  # so common words really are left out
    monkeypatch.setattr(index_module, "CANDIDATES", 40)
    index._postings.clear()
    assert index.postings("terms").nnz < 0.8 * index.weighted("terms").nnz  # common words left out
    found = index.nearest(queries, 5, BLEND)
    for i, (want, got) in enumerate(zip(exact, found, strict=True)):
        # Whatever is found is scored exactly...
        assert np.allclose([s for _, s in got], [every[i, r] for r, _ in got], atol=1e-5)
        # ...and every neighbour that means something (a known story) is found; below that, documents
        # sharing only common words (similarity about 0.03 here) may be swapped for equally distant ones.
        meaningful = [r for r, s in want if s >= 0.1]
        assert [r for r, _ in got[: len(meaningful)]] == meaningful
        assert got[0][1] <= want[0][1] + 1e-5
        assert bool(meaningful) == (i < 10)


def test_a_saved_index_opens_memory_mapped_and_grows_by_generations(
    sample: tuple[list[BaselineDoc], list[str]], tmp_path: Path
) -> None:
    docs, queries = sample
    folder = tmp_path / "index"
    opened = BaselineIndex.load_or_build(docs[:250], folder)
    assert _mapped(opened.weighted("terms").data) and _mapped(opened.postings("terms").indices)
    assert opened.nearest(queries, 5, BLEND) == BaselineIndex.build(docs[:250]).nearest(queries, 5, BLEND)
    first = {p.name for p in folder.iterdir()}

    grown = BaselineIndex.load_or_build(docs, folder)  # 110 documents joined the baseline
    assert len(grown) == len(docs) and grown.names == BaselineIndex.build(docs).names
    assert grown.nearest(queries, 5, BLEND) == BaselineIndex.build(docs).nearest(queries, 5, BLEND)
    files = {p.name for p in folder.iterdir()}
    assert not files & (first - {"index.json"})  # the previous generation is gone
    assert len({name.split(".")[0] for name in files - {"index.json"}}) == 1
    with pytest.raises(RuntimeError):
        grown.extend(docs[:1])  # opened for queries only


@pytest.mark.parametrize("damage", ["truncated", "edited-corpus", "missing"])
def test_a_damaged_or_stale_index_is_rebuilt(
    sample: tuple[list[BaselineDoc], list[str]], tmp_path: Path, damage: str
) -> None:
    docs, queries = sample
    folder = tmp_path / "index"
    BaselineIndex.load_or_build(docs[:200], folder)
    postings = next(folder.glob("*.terms.postings.data.npy"))
    if damage == "truncated":
        postings.write_bytes(postings.read_bytes()[:1000])
    elif damage == "missing":
        postings.unlink()
    else:
        docs = [BaselineDoc("d0", "Doc 0", (), None, "An edited first document.", "test"), *docs[1:]]
    again = BaselineIndex.load_or_build(docs[:200], folder)
    assert again.nearest(queries, 5, BLEND) == BaselineIndex.build(docs[:200]).nearest(queries, 5, BLEND)


def _mapped(array: object) -> bool:
    """Whether the array is a view of a file mapped into memory (not a copy read into it)."""
    while array is not None:
        if isinstance(array, np.memmap | mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False
