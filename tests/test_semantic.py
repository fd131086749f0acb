"""The sentence-embedding model: the real all-MiniLM-L6-v2 (int8 ONNX, installed with briefing), its hash
checks and its fallbacks, the baseline's vector cache, and what it changes in the analysis."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from briefing.analysis import semantic
from briefing.analysis.findings import analyse
from briefing.analysis.index import BaselineIndex
from briefing.analysis.linking import VectorCache, link, paragraphs
from briefing.analysis.params import DEFAULTS
from briefing.models import BaselineDoc
from conftest import stored_article as article

KNOWN = BaselineDoc(
    "seed#1",
    "Armenian tycoon arrested",
    (),
    None,
    "Armenian police arrested the Russian-Armenian billionaire Samvel Karapetyan in June after he spoke in "
    "defence of the Armenian Apostolic Church, and the government moved to take over his electricity "
    "company.\n\nPrime Minister Nikol Pashinyan accuses church leaders of plotting a coup against the state.",
    "seed",
)
OTHER = BaselineDoc(
    "seed#2",
    "Caspian fisheries",
    (),
    None,
    "Sturgeon catches in the Caspian Sea have fallen for a decade, and the littoral states disagree on quotas "
    "for the coming season.\n\nScientists blame poaching and the shrinking of the Volga delta.",
    "seed",
)
RETOLD = (
    "A court in Yerevan kept the jailed businessman Samvel Karapetyan in custody for two more months on "
    "Tuesday.\n\nThe billionaire was detained after defending the country's church, and the authorities "
    "then started seizing his power grid company."
)
UNRELATED = (
    "Kazakhstan chose a Chinese-led consortium to build its second nuclear power plant near Lake Balkhash, "
    "the energy ministry said on Friday.\n\nConstruction of the two reactors is to begin in 2027."
)


@pytest.fixture(autouse=True)
def fresh_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(semantic.MODEL_ENV, raising=False)
    semantic.reset()
    yield
    semantic.reset()


def embedder() -> semantic.Embedder:
    model = semantic.load()
    assert model is not None, semantic.status().detail
    return model


def test_the_installed_model_loads_and_its_vectors_mean_something() -> None:
    vectors = embedder().embed(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
            "Armenia and Azerbaijan signed a peace deal in Washington.",
            "Yerevan and Baku agreed a peace accord at the White House.",
        ]
    )
    assert vectors.shape == (5, semantic.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    # The published figure for the first pair with the full-precision model is 0.755.
    assert 0.70 < sims[0, 1] < 0.80 and sims[0, 2] < 0.1
    assert sims[3, 4] > 0.55 and sims[3, 4] > sims[3, 0] + 0.4
    assert semantic.status().used and "all-MiniLM-L6-v2" in semantic.status().detail


def test_empty_and_long_texts_are_embedded_safely() -> None:
    model = embedder()
    assert model.embed([]).shape == (0, semantic.DIMENSIONS)
    long = " ".join(["word"] * 5000)  # cut at the model's 256 tokens
    assert model.embed([long, "short"]).shape == (2, semantic.DIMENSIONS)


def test_a_model_file_with_another_hash_is_refused_with_one_line_and_the_analysis_goes_lexical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = Path(semantic._packaged_model())
    damaged = tmp_path / "model.onnx"
    shutil.copyfile(real, damaged)
    with damaged.open("r+b") as f:  # one flipped byte deep in the weights
        f.seek(real.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv(semantic.MODEL_ENV, str(damaged))
    with caplog.at_level(logging.WARNING):
        assert semantic.load() is None
    assert "not the expected one" in semantic.status().detail and str(damaged) in semantic.status().detail
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert "lexical" in warnings[0].getMessage()
    result = analyse(BaselineIndex.build([KNOWN, OTHER]), [article(1, "Custody extended", RETOLD)])
    assert result.method == "lexical" and "not the expected one" in result.method_detail


@pytest.mark.parametrize("setting", ["off", "/nonexistent/model.onnx"])
def test_the_model_switched_off_or_missing_falls_back_to_lexical(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(semantic.MODEL_ENV, setting)
    result = analyse(BaselineIndex.build([KNOWN, OTHER]), [article(1, "Custody extended", RETOLD)])
    assert result.method == "lexical"
    assert ("switched off" if setting == "off" else "unreadable") in result.method_detail
    assert [f.kind for f in result.findings] == ["new"]  # lexically, the retelling shares too few words


def test_a_known_story_told_in_other_words_is_recognised() -> None:
    index = BaselineIndex.build([KNOWN, OTHER])
    result = analyse(index, [article(1, "Custody extended", RETOLD), article(2, "Nuclear plant", UNRELATED)])
    assert result.method == "semantic"
    retold, unrelated = result.findings
    assert retold.kind in ("development", "repeat") and retold.nearest[0].doc_id == "seed#1"
    assert unrelated.kind == "new"
    # The lexical analysis alone calls the retelling a new story (that is the gap the model closes).
    lexical = analyse(
        index, [article(1, "Custody extended", RETOLD)], params=DEFAULTS.__class__(semantic=False)
    )
    assert lexical.method == "lexical" and lexical.findings[0].kind == "new"


def test_the_same_event_told_by_two_outlets_in_other_words_is_one_story() -> None:
    index = BaselineIndex.build([OTHER])
    # Two reports of one statement: one paragraph says the same thing, the rest differs, so the texts
    # share too few words for the lexical test (0.36 against 0.6) and the meaning decides.
    one = (
        "Pakistan and Armenia have formally established diplomatic relations, the Foreign Office of Pakistan "
        "announced on Sunday, after the two foreign ministers signed a joint communique in Tianjin.\n\n"
        "Islamabad had refused to recognise Armenia since its independence in 1991, out of solidarity with "
        "Azerbaijan over the Karabakh conflict.\n\n"
        "Analysts in Islamabad said the move reflects a wider reshuffle of alliances in the South Caucasus."
    )
    two = (
        "Armenia and Pakistan formally established diplomatic ties on Sunday, Pakistan's Foreign Office said, "
        "after their foreign ministers signed a joint communique in Tianjin.\n\n"
        "The ceremony took place on the sidelines of the Shanghai Cooperation Organisation summit.\n\n"
        "Yerevan has been widening its circle of partners, from India and France to the Gulf states."
    )
    pair = [
        article(1, "Pakistan and Armenia establish relations", one),
        article(2, "Ties with Islamabad", two),
    ]
    assert [f.kind for f in analyse(index, pair).findings] == ["new", "duplicate"]
    lexical = analyse(index, pair, params=DEFAULTS.__class__(semantic=False))
    assert [f.kind for f in lexical.findings] == ["new", "new"]
    # Two events of one kind are not merged: another country, another city, another day.
    other = (
        "Bangladesh and Armenia have formally established diplomatic relations, the foreign ministry in Dhaka "
        "announced on Friday, after the two foreign ministers signed a joint communique in New York.\n\n"
        "Dhaka and Yerevan had never exchanged ambassadors, and trade between them was under $5 million.\n\n"
        "Officials said visa rules for students and garment buyers would be eased next year."
    )
    apart = analyse(index, [pair[0], article(3, "Bangladesh and Armenia establish relations", other)])
    assert "duplicate" not in {f.kind for f in apart.findings}


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed (a fake of our own boundary)."""

    def __init__(self, real: semantic.Embedder) -> None:
        self.real = real
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.real.embed(texts)


def test_baseline_vectors_are_computed_once_and_kept(tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder())
    cache = VectorCache(tmp_path)
    first = link(counting, [KNOWN, OTHER], [RETOLD], cache)  # type: ignore[arg-type]
    known_paragraphs = len(paragraphs(KNOWN.text)) + len(paragraphs(OTHER.text))
    assert len(counting.texts) == known_paragraphs + len(paragraphs(RETOLD))
    cache.save()
    counting.texts.clear()
    stored = VectorCache(tmp_path)
    again = link(counting, [KNOWN, OTHER], [RETOLD, UNRELATED], stored)  # type: ignore[arg-type]
    assert counting.texts == paragraphs(UNRELATED)  # only the unseen text: the rest came from the file
    assert np.array_equal(first.doc_similarity[0], again.doc_similarity[0])  # fresh or stored: the same
    # An article briefed last week joins the baseline: its vectors are already there.
    counting.texts.clear()
    briefed = BaselineDoc("article:1", "", (), None, UNRELATED, "feed", origin="briefed")
    link(counting, [KNOWN, OTHER, briefed], [], stored)  # type: ignore[arg-type]
    assert counting.texts == []
    # A damaged cache file is not an error: the vectors are computed again.
    (tmp_path / "vectors.npz").write_bytes(b"not a numpy file")
    counting.texts.clear()
    link(counting, [KNOWN], [RETOLD], VectorCache(tmp_path))  # type: ignore[arg-type]
    assert len(counting.texts) == len(paragraphs(KNOWN.text)) + len(paragraphs(RETOLD))


def test_similarity_by_paragraph_and_coverage() -> None:
    linking = link(embedder(), [KNOWN, OTHER], [RETOLD, UNRELATED])
    assert linking.doc_similarity.shape == (2, 2) and linking.coverage.shape == (2, 2)
    assert linking.doc_similarity[0, 0] > DEFAULTS.semantic_new_story > linking.doc_similarity[1].max()
    assert (linking.coverage <= linking.doc_similarity + 1e-6).all()
    assert linking.pairwise[0, 0] == pytest.approx(1.0, abs=1e-3)


def test_an_authors_biography_does_not_make_two_stories_one() -> None:
    bio = (
        "Jane Roe is a senior fellow at the Eurasia Institute, where she leads research on energy security, "
        "connectivity and the politics of infrastructure in the South Caucasus and Central Asia."
    )
    pipeline = BaselineDoc(
        "seed#9",
        "Pipeline deal",
        ("Jane Roe",),
        None,
        "Turkmenistan and Azerbaijan agreed to build a gas pipeline across the Caspian seabed, with a capacity "
        f"of 30 billion cubic meters a year.\n\n{bio}",
        "seed",
    )
    quake = (
        "A magnitude 6.1 earthquake struck the Fergana Valley on Tuesday, killing at least 14 people and "
        f"damaging hundreds of homes in three districts, officials said.\n\n{bio}"
    )
    assert bio not in paragraphs(quake)
    linking = link(embedder(), [pipeline, OTHER], [quake])
    assert linking.doc_similarity[0, 0] < 0.3  # in meaning, the earthquake is nothing like the pipeline
    # In the same period, two pieces that share only their author's bio are not one story.
    pipe = article(2, "Pipeline deal", pipeline.text)
    result = analyse(BaselineIndex.build([OTHER]), [article(1, "Earthquake", quake), pipe])
    assert "duplicate" not in {f.kind for f in result.findings}


def test_the_vector_cache_survives_the_index_growing(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    BaselineIndex.load_or_build([KNOWN], folder)
    cache = VectorCache(folder)
    link(embedder(), [KNOWN], [RETOLD], cache)
    cache.save()
    BaselineIndex.load_or_build([KNOWN, OTHER], folder)  # a new generation: older files are removed
    assert (folder / "vectors.npz").exists() and len(VectorCache(folder)._rows) > 0


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04 truncated zip", b"not a numpy file", "npy"],
    ids=["empty", "zip", "text", "npy"],
)
def test_a_damaged_vector_cache_is_computed_again(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "vectors.npz"
    if content == "npy":
        with path.open("wb") as f:
            np.save(f, np.zeros(3))
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    linking = link(embedder(), [KNOWN], [RETOLD], VectorCache(tmp_path))
    assert linking.doc_similarity.shape == (1, 1) and linking.doc_similarity[0, 0] > 0.5
