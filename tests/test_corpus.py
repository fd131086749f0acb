"""The baseline corpus: the seed files split into their articles; other formats; adding documents."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from briefing.config import load_config
from briefing.corpus import SplitRules, add_files, load_corpus, parse_date, read_text, split_document
from briefing.errors import ConfigError
from conftest import ROOT

CORPUS = load_config(ROOT / "feeds.yaml", env={}).corpus
RULES = SplitRules.of(CORPUS)


def test_the_seed_files_split_into_their_articles() -> None:
    docs = load_corpus(CORPUS)
    got = [(d.id, d.title, d.authors, d.date.date().isoformat() if d.date else None) for d in docs]
    assert got == [
        (
            "000_908e1f0253111f30.txt#1",
            "Russia Reengages with Armenia (and Azerbaijan)",
            ("Eduard Abrahamyan",),
            "2025-11-06",
        ),
        ("000_908e1f0253111f30.txt#2", "", ("Vali Kaleji",), None),
        ("000_908e1f0253111f30.txt#3", "", ("Mehmet Fatih Oztarsu",), None),
        (
            "000_908e1f0253111f30.txt#4",
            "Trump Makes a Move in the Caucasus",
            ("Stephen Blank",),
            "2025-08-20",
        ),
        (
            "000_908e1f0253111f30.txt#5",
            "Armenia's Corridor Toward Regional Stability",
            ("John DiPirro",),
            "2025-07-25",
        ),
        (
            "004_c4a41e943d25da33.txt#1",
            "Russia’s imperial approach toward Armenia and Azerbaijan has backfired",
            ("Sheila Paylan", "Joseph Epstein"),
            None,
        ),
    ]
    first = docs[0].text
    assert first.startswith("In recent months, Armenia and Russia have strengthened their relations.")
    assert "BACKGROUND: The intensified Armenia–Russia bilateral reengagement" in first
    assert first.rstrip().endswith("(Routledge, 2025).")
    everything = "\n".join(d.text for d in docs)
    for furniture in (
        "Published in",
        "Visit also",
        "Newsletter",
        "Credit: Wikimedia Commons",
        "Free Stock Photo",
        "Further reading",
        "protected from spambots",
        "Image: August 8",
        "Title Page",
        "MENASource By",
    ):
        assert furniture not in everything, furniture
    assert "Sign up for upcoming events" not in everything
    assert docs[1].text.startswith("On August 27, Israeli Prime Minister Benjamin Netanyahu")
    assert all(d.words > 100 for d in docs)


def test_split_rules_come_from_the_configuration(tmp_path: Path) -> None:
    text = (
        "First piece\n\nBy A. Writer\n\n"
        + "Body of the first piece goes on here. " * 10
        + "\n\n=== END ===\n\n"
    )
    text += (
        "Second piece\n\n"
        + "Body of the second piece goes on here. " * 10
        + "\n\nRelated links\n\nJunk here."
    )
    rules = SplitRules((r"^=== END ===$",), (r"^Related links$",), (), (), 10)
    docs = split_document(text, "x.txt", rules)
    assert [(d.id, d.title, d.authors) for d in docs] == [
        ("x.txt#1", "First piece", ("A. Writer",)),
        ("x.txt#2", "Second piece", ()),
    ]
    assert "Junk" not in docs[1].text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Thursday, 06 November 2025 14:52", (2025, 11, 6)),
        ("July 25, 2025", (2025, 7, 25)),
        ("Wed, Aug 13, 2025", (2025, 8, 13)),
        ("2026-01-10", (2026, 1, 10)),
        ("The 2025 vote", None),
        ("31 February 2025", None),
    ],
)
def test_dates(line: str, expected: tuple[int, int, int] | None) -> None:
    got = parse_date(line)
    assert got == (datetime(*expected, tzinfo=UTC) if expected else None)


def minimal_pdf(sentence: str) -> bytes:
    """A one-page PDF with one line of text, assembled by hand with a correct cross-reference table."""
    return pages_pdf([sentence])


def test_other_formats(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A heading\n\nSome **bold** text with [a link](https://x.example/).\n")
    assert read_text(tmp_path / "a.md").splitlines() == ["A heading", "", "Some bold text with a link."]
    (tmp_path / "b.html").write_text(
        "<html><head><title>T</title></head><body><nav>Menu</nav><p>Paragraph one.</p>"
        "<footer>Footer</footer></body></html>"
    )
    assert read_text(tmp_path / "b.html") == "Paragraph one."
    (tmp_path / "c.pdf").write_bytes(
        minimal_pdf("Tashkent and Dushanbe signed a water accord on the Amu Darya.")
    )
    assert "water accord on the Amu Darya" in read_text(tmp_path / "c.pdf")
    (tmp_path / "d.pdf").write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(ConfigError, match=r"d\.pdf"):
        read_text(tmp_path / "d.pdf")


def test_add_files(tmp_path: Path) -> None:
    src = tmp_path / "in" / "note.txt"
    src.parent.mkdir()
    src.write_text("Some known analysis. " * 20)
    folder = tmp_path / "corpus"
    assert add_files([src], folder) == [folder / "note.txt"]
    assert add_files([src], folder) == []  # the same file again: nothing to do
    src.write_text("Different content. " * 20)
    with pytest.raises(ConfigError, match="already exists with other content"):
        add_files([src], folder)
    (tmp_path / "x.docx").write_text("x")
    with pytest.raises(ConfigError, match="unsupported type"):
        add_files([tmp_path / "x.docx", tmp_path / "missing.txt"], folder)
    with pytest.raises(ConfigError, match="corpus path does not exist"):
        load_corpus(dataclasses.replace(CORPUS, paths=(tmp_path / "nowhere",)))


# --- hostile corpus files: one line naming the file, the rest of the baseline read --------------------


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of the given objects (1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pages_pdf(sentences: list[str], count: int | None = None, kids: bytes | None = None) -> bytes:
    """One page per sentence; `count` and `kids` replace the page tree's own (to lie or to loop)."""
    n = len(sentences)
    page_ids = [4 + 2 * i for i in range(n)]
    tree_kids = kids or b"[" + b" ".join(b"%d 0 R" % p for p in page_ids) + b"]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids %s /Count %d >>" % (tree_kids, n if count is None else count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, sentence in enumerate(sentences):
        content = f"BT /F1 12 Tf 72 720 Td ({sentence}) Tj ET".encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> >> >>" % (page_ids[i] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    return raw_pdf(objects)


def encrypted_pdf(sentence: str, password: str) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pages_pdf([sentence]))))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ARTICLE = "Tashkent and Dushanbe signed a water accord on the Amu Darya after long talks in Khujand"


def test_hostile_pdfs_are_skipped_or_read_in_part_each_named_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a-good.txt").write_text(("Known analysis of the Caspian ports. " * 10), encoding="utf-8")
    (folder / "b-restricted.pdf").write_bytes(encrypted_pdf(ARTICLE + " in March.", ""))
    (folder / "c-locked.pdf").write_bytes(encrypted_pdf(ARTICLE + " in April.", "secret"))
    (folder / "d-broken.pdf").write_bytes(b"%PDF-1.4 garbage that is no PDF at all")
    (folder / "e-loop.pdf").write_bytes(pages_pdf([ARTICLE + " in May."], kids=b"[2 0 R]"))
    (folder / "f-liar.pdf").write_bytes(pages_pdf([ARTICLE + " in June."], count=500_000))
    (folder / "g-long.pdf").write_bytes(pages_pdf([f"{ARTICLE}, part {i}." for i in range(1, 6)]))
    corpus = dataclasses.replace(CORPUS, paths=(folder,), max_pdf_pages=2, min_words=5)
    with caplog.at_level("WARNING", logger="briefing.corpus"):
        docs = load_corpus(corpus, cache=tmp_path / "cache")
    text = {d.source: d.text for d in docs}
    assert set(text) == {"a-good.txt", "b-restricted.pdf", "f-liar.pdf", "g-long.pdf"}
    assert "in March" in text["b-restricted.pdf"]  # AES-256 with the empty password: read
    assert "part 2" in text["g-long.pdf"] and "part 3" not in text["g-long.pdf"]
    ours = [r.getMessage() for r in caplog.records if r.name == "briefing.corpus"]
    said = {m.split(":")[0].removeprefix("corpus file "): m for m in ours}
    assert said[str(folder / "c-locked.pdf")].endswith(
        "skipped: encrypted with a password; save an unprotected copy in the corpus"
    )
    assert "cannot read PDF" in said[str(folder / "d-broken.pdf")]
    assert str(folder / "e-loop.pdf") in said
    assert "in June" in text["f-liar.pdf"]  # a page count of 500,000 over one page: its one page is read
    assert said[str(folder / "g-long.pdf")].endswith("read the first 2 of its 5 pages (corpus.max_pdf_pages)")
    assert len(ours) == 4, ours


def slow_pdf() -> bytes:
    """A page whose content stream is half a million text operators: seconds of pypdf's time."""
    import zlib

    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (slow) Tj ET\n" * 500_000)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return raw_pdf(objects)


def test_a_slow_pdf_is_cut_by_its_deadline_and_not_read_again_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from briefing.corpus import CorpusReader

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "known.txt").write_text("Known analysis of the Caspian ports. " * 10, encoding="utf-8")
    (folder / "slow.pdf").write_bytes(slow_pdf())
    corpus = dataclasses.replace(CORPUS, paths=(folder,), read_timeout=1.0)
    calls: list[Path] = []
    original = CorpusReader._run

    def counted(self: CorpusReader, reader: Any, path: Path) -> tuple[str | None, str, str]:
        calls.append(path)
        return original(self, reader, path)

    monkeypatch.setattr(CorpusReader, "_run", counted)
    with caplog.at_level("WARNING", logger="briefing.corpus"):
        first = load_corpus(corpus, cache=tmp_path / "cache")
        second = load_corpus(corpus, cache=tmp_path / "cache")
    assert [d.source for d in first] == [d.source for d in second] == ["known.txt"]
    assert calls == [folder / "slow.pdf"]  # the second run remembered the outcome
    ours = [r.getMessage() for r in caplog.records if r.name == "briefing.corpus"]
    assert ours[0] == (
        f"corpus file {folder / 'slow.pdf'}: skipped: took longer than 1 s to read (corpus.read_timeout); "
        "not read again until it changes"
    )
    # More time, or a new version of the file, is worth another read; a page limit is part of the key.
    load_corpus(dataclasses.replace(corpus, read_timeout=2.0), cache=tmp_path / "cache")
    assert len(calls) == 2
    (folder / "slow.pdf").write_bytes(pages_pdf([ARTICLE + " in July."]))
    third = load_corpus(dataclasses.replace(corpus, min_words=5), cache=tmp_path / "cache")
    assert "slow.pdf" in {d.source for d in third} and len(calls) == 3
    load_corpus(dataclasses.replace(corpus, min_words=5, max_pdf_pages=1), cache=tmp_path / "cache")
    assert len(calls) == 4


def test_an_html_corpus_file_is_parsed_in_the_worker_within_the_deadline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "known.txt").write_text("Known analysis of the Caspian ports. " * 10, encoding="utf-8")
    # 5 MB of markup takes the parser about half a second: far over a 0.05 s deadline.
    paragraph = "<p>Known analysis of the Caspian ports and the shipping lanes across the sea. </p>"
    (folder / "huge.html").write_text(f"<html><body>{paragraph * 60_000}</body></html>", encoding="utf-8")
    (folder / "small.html").write_text(f"<html><body>{paragraph * 5}</body></html>", encoding="utf-8")
    corpus = dataclasses.replace(CORPUS, paths=(folder,), read_timeout=0.05)
    with caplog.at_level("WARNING", logger="briefing.corpus"):
        docs = load_corpus(corpus, cache=tmp_path / "cache")
    assert sorted(d.source for d in docs) == ["known.txt", "small.html"]
    ours = [r.getMessage() for r in caplog.records if r.name == "briefing.corpus"]
    assert ours == [
        f"corpus file {folder / 'huge.html'}: skipped: took longer than 0.05 s to read "
        "(corpus.read_timeout); not read again until it changes"
    ]


def test_a_corpus_file_over_the_size_limit_is_skipped_saying_so(tmp_path: Path) -> None:
    from briefing.corpus import CorpusReader

    big = tmp_path / "big.txt"
    big.write_text("Known analysis of the Caspian ports. " * 5000, encoding="utf-8")  # 185 KB
    with CorpusReader(dataclasses.replace(CORPUS, max_file_mb=0.1)) as reader:
        result = reader.read(big)
    assert result.text is None and result.problem == "skipped: 0.2 MB, over corpus.max_file_mb"
