"""The baseline corpus: documents the reader already knows, read from files and split into articles.

Plain text, Markdown, HTML and PDF files are read from `corpus.paths`. A file may hold several articles
run together (as the seed files do); it is cut into articles at lines matching `corpus.split_after`
(CACI Analyst pages end every article with "Published in <section>"), the rest of a chunk is dropped at
`corpus.drop_after` lines (related links, newsletter boxes), caption and credit lines matching
`corpus.drop_lines` are removed, and so are phrases matching `corpus.drop_text` (e-mail cloaking
notices). Title, authors and date are read from the head of each article.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from briefing.config import CorpusSettings
from briefing.errors import ConfigError, ExtractError
from briefing.htmltext import decode_html, html_to_text, normalise_text
from briefing.models import BaselineDoc
from briefing.workers import WorkerPool
from briefing.write import atomic_write_text

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_MONTHS = "january february march april may june july august september october november december".split()
_LONG_DATE = re.compile(
    r"^(?:\w+day,\s+)?(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})(?:\s+\d{1,2}:\d{2})?$", re.IGNORECASE
)
_US_DATE = re.compile(
    r"^(?:\w{3},\s+)?(" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*\.?\s+(\d{1,2}),\s+(\d{4})$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_BYLINE = re.compile(r"^By\s+(.+?)\s*$")
_PERSON_LINE = re.compile(r"^([A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){1,3})$")
_BIO = re.compile(r"^([A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){1,3}) is (?:a|an|the)\s")
_READ = re.compile(r"^Read\s+(.{10,200})$")


@dataclass(frozen=True)
class SplitRules:
    """How files are cut into articles and cleaned (regular expressions, matched per line); the
    defaults are the configuration's (`corpus.*` in the settings table)."""

    split_after: tuple[str, ...]
    drop_after: tuple[str, ...]
    drop_lines: tuple[str, ...]
    drop_text: tuple[str, ...]
    min_words: int

    @classmethod
    def of(cls, corpus: CorpusSettings) -> SplitRules:
        return cls(
            corpus.split_after, corpus.drop_after, corpus.drop_lines, corpus.drop_text, corpus.min_words
        )


def read_text(path: Path, corpus: CorpusSettings | None = None) -> str:
    """The text of a corpus file, read within `corpus`'s limits (PDFs in a worker process). Raises
    `ConfigError` naming the file when it cannot be read; a PDF read in part is returned as far as read."""
    with CorpusReader(corpus or CorpusSettings(paths=())) as reader:
        result = reader.read(path)
    if result.text is None:
        raise ConfigError(str(path), [result.problem])
    return result.text


@dataclass(frozen=True)
class FileText:
    """A corpus file's text (None when it was skipped) and what the reader should know about it."""

    path: Path
    text: str | None
    problem: str = ""


class CorpusReader:
    """Reads corpus files within the configured limits. Text files are read directly; a PDF is read in a
    worker process with a deadline and a memory limit, up to `max_pdf_pages` pages, and its outcome is
    remembered by content in `cache` (a data folder's), so a slow or broken PDF is not read again until
    it changes. Use as a context manager (the worker is stopped at the end)."""

    def __init__(self, corpus: CorpusSettings, cache: Path | None = None) -> None:
        self.corpus = corpus
        self.cache = cache
        self._pool: WorkerPool | None = None

    def __enter__(self) -> CorpusReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()

    def read(self, path: Path) -> FileText:
        try:
            size = path.stat().st_size
            if size > self.corpus.max_file_mb * 1024 * 1024:
                return FileText(path, None, f"skipped: {size / 1024 / 1024:.1f} MB, over corpus.max_file_mb")
            data = path.read_bytes()
        except OSError as e:
            return FileText(path, None, f"cannot read corpus file: {e.strerror or e}")
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            return self._in_worker(path, data, pdf_text, f"{self.corpus.max_pdf_pages}|pypdf")
        if suffix in (".html", ".htm"):  # a parser on hostile markup: the same isolation as a PDF
            return self._in_worker(path, data, html_file_text, "html|lxml")
        text = decode_html(data)  # the same careful decoding: BOM, UTF-8, then windows-1252
        if suffix in (".md", ".markdown"):
            text = _markdown_to_text(text)
        return FileText(path, text.replace("\r\n", "\n"))

    def _in_worker(
        self, path: Path, data: bytes, reader: Callable[[str, int], tuple[str | None, str]], recipe: str
    ) -> FileText:
        """`reader(path, max_pages)` in the worker, its outcome remembered by content. The outcome depends
        on the file, the page limit and the reader's version (`recipe` names them); a timeout also on the
        deadline (a longer one may read it), a crash on nothing worth remembering."""
        from importlib.metadata import version

        library = recipe.rsplit("|", 1)[-1]
        key_text = f"{CACHE_FORMAT}|{recipe} {version(library)}|"
        key = hashlib.sha256(key_text.encode() + data).hexdigest()
        remembered = self._remembered(key)
        if remembered is not None:
            return FileText(path, remembered[0], remembered[1])
        text, problem, status = self._run(reader, path)
        if status != "crashed":
            self._remember(key, text, problem, self.corpus.read_timeout if status == "timeout" else None)
        return FileText(path, text, problem)

    def _run(
        self, reader: Callable[[str, int], tuple[str | None, str]], path: Path
    ) -> tuple[str | None, str, str]:
        """(text, problem, status) where status is "ok", or the worker's: timeout, memory, crashed, failed."""
        import asyncio

        if self._pool is None:
            self._pool = WorkerPool(1, self.corpus.read_timeout, READER_MEMORY_MB)
        try:
            text, problem = asyncio.run(self._pool.run(reader, str(path), self.corpus.max_pdf_pages))
            return text, problem, "ok"
        except ExtractError as e:
            problem = {
                "timeout": f"skipped: took longer than {self.corpus.read_timeout:g} s to read "
                "(corpus.read_timeout); not read again until it changes",
                "memory": f"skipped: needs more than {READER_MEMORY_MB} MB to read",
            }.get(e.status, f"cannot read {path.suffix.lstrip('.').upper() or 'file'}: {e}")
            return None, problem, e.status

    def _remembered(self, key: str) -> tuple[str | None, str] | None:
        if self.cache is None:
            return None
        try:
            data = json.loads((self.cache / f"{key}.json").read_text(encoding="utf-8"))
            deadline = data.get("timeout")
            if deadline is not None and self.corpus.read_timeout > float(deadline):
                return None  # it ran out of time before; with more time it may be read
            return data["text"], data["problem"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remember(self, key: str, text: str | None, problem: str, timeout: float | None) -> None:
        if self.cache is None:
            return
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            outcome = {"text": text, "problem": problem, "timeout": timeout}
            atomic_write_text(self.cache / f"{key}.json", json.dumps(outcome))
        except OSError as e:  # the cache is an optimisation: reading again next time is correct
            log.debug("cannot cache %s: %s", self.cache, e)


CACHE_FORMAT = 1
READER_MEMORY_MB = 1024


def html_file_text(path: str, _max_pages: int) -> tuple[str | None, str]:
    """(text, problem) of an HTML corpus file, in a worker: decoded as pages are, its main text kept."""
    return html_to_text(decode_html(Path(path).read_bytes()), page=True), ""


def pdf_text(path: str, max_pages: int) -> tuple[str | None, str]:
    """(text, problem) of a PDF, in a worker: an encrypted PDF is opened with the empty password when it
    has one (most "encrypted" PDFs only restrict printing); a longer PDF is read up to `max_pages`."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as e:
                return None, f"skipped: encrypted in a way that cannot be read ({e})"
            if not opened:
                return None, "skipped: encrypted with a password; save an unprotected copy in the corpus"
        total = len(reader.pages)  # the page tree's own count, which a hostile file may inflate
        pages: list[str] = []
        for i in range(min(total, max_pages)):
            try:
                page = reader.pages[i]
            except IndexError:  # it claimed more pages than it holds
                break
            pages.append(page.extract_text() or "")
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as e:
        return None, f"cannot read PDF: {type(e).__name__}: {e}"[:300]
    note = ""
    if len(pages) < min(total, max_pages):
        note = f"its page tree claims {total} pages but holds {len(pages)}"
    elif total > max_pages:
        note = f"read the first {max_pages} of its {total} pages (corpus.max_pdf_pages)"
    return "\n\n".join(pages), note


def _markdown_to_text(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return text


def packaged_corpus() -> Path:
    """The seed corpus shipped in the wheel, or the repository's `corpus/` in a development install."""
    packaged = resources.files("briefing").joinpath("corpus")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "corpus"


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """Every corpus file under `paths` (files or folders), sorted, so document ids are stable."""
    found: list[Path] = []
    for p in paths:
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES))
        else:
            raise ConfigError(str(p), ["corpus path does not exist; fix corpus.paths in the configuration"])
    return found


def load_corpus(corpus: CorpusSettings, cache: Path | None = None) -> list[BaselineDoc]:
    """All baseline documents of the corpus files, split into articles, in file order. A file that cannot
    be read is skipped with one warning naming it: the baseline never stops a brief."""
    paths, rules = corpus.paths, SplitRules.of(corpus)
    docs: list[BaselineDoc] = []
    with CorpusReader(corpus, cache) as reader:
        for path in corpus_files(paths):
            result = reader.read(path)
            if result.problem:
                log.warning("corpus file %s: %s", path, result.problem)
            if result.text is None:
                continue
            base = next((p for p in paths if p.is_dir() and path.is_relative_to(p)), path.parent)
            docs.extend(split_document(result.text, path.relative_to(base).as_posix(), rules))
    return docs


def split_document(text: str, source: str, rules: SplitRules) -> list[BaselineDoc]:
    """Cut one file's text into articles and read each article's head (title, authors, date)."""
    split_after = [re.compile(p) for p in rules.split_after]
    drop_after = [re.compile(p) for p in rules.drop_after]
    drop_lines = [re.compile(p) for p in rules.drop_lines]
    drop_text = [re.compile(p) for p in rules.drop_text]
    chunks: list[list[str]] = [[]]
    skipping = False
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        for pattern in drop_text:
            line = pattern.sub("", line).strip()
        if any(p.search(line) for p in split_after):
            chunks.append([])
            skipping = False
            continue
        if skipping:
            continue
        if any(p.search(line) for p in drop_after):
            skipping = True
            continue
        if line and any(p.search(line) for p in drop_lines):
            continue
        chunks[-1].append(line)
    docs: list[BaselineDoc] = []
    for lines in chunks:
        doc = _article(lines, source, len(docs) + 1, rules.min_words)
        if doc is not None:
            docs.append(doc)
    return docs


def _article(lines: list[str], source: str, n: int, min_words: int) -> BaselineDoc | None:
    paragraphs = [line for line in lines if line and any(c.isalpha() for c in line)]
    title, date = "", None
    authors: list[str] = []
    body: list[str] = []
    for line in paragraphs:
        when = parse_date(line)
        byline = _BYLINE.match(line)
        read = _READ.match(line)
        if not body and when is not None and date is None:
            date = when
        elif not body and byline:
            authors.extend(a.strip() for a in re.split(r",| and ", byline.group(1)) if a.strip())
        elif read and not title:
            title = read.group(1).strip()
        elif not body and not authors and _PERSON_LINE.match(line) and not title:
            authors.append(line)  # a byline without "By" (listing teasers)
        elif not body and not title and not authors and _heading(line):
            title = line
        elif _heading(line) and len(line.split()) <= 3 and body:
            continue  # a short leftover label ("Armenia Title Page")
        else:
            body.append(line)
    text = normalise_text("\n\n".join(body))
    if len(text.split()) < min_words:
        return None
    if not authors:
        authors = [m.group(1) for line in body if (m := _BIO.match(line)) and len(line.split()) < 60]
    return BaselineDoc(
        id=f"{source}#{n}",
        title=title,
        authors=tuple(dict.fromkeys(authors)),
        date=date,
        text=text,
        source=source,
    )


def _heading(line: str) -> bool:
    return len(line.split()) <= 20 and not re.search(r"[.!?:;]['’”\"]?$", line)


def parse_date(line: str) -> datetime | None:
    """A date line as the publishers write it ("Thursday, 06 November 2025 14:52", "July 25, 2025")."""
    line = line.strip()
    m = _LONG_DATE.match(line)
    if m:
        return _date(int(m.group(3)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(1)))
    m = _US_DATE.match(line)
    if m:
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group(1).lower()))
        return _date(int(m.group(3)), month, int(m.group(2)))
    m = _ISO_DATE.match(line)
    if m and len(line) <= 25:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _date(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def add_files(sources: Sequence[Path], folder: Path) -> list[Path]:
    """Copy documents into the corpus folder; an identical file already there is not copied twice.

    Returns the paths written. Raises `ConfigError` for a missing or unsupported file, or a different
    file with the same name already in the corpus.
    """
    problems = []
    for src in sources:
        if not src.is_file():
            problems.append(f"{src}: not a file")
        elif src.suffix.lower() not in SUFFIXES:
            problems.append(f"{src}: unsupported type; use {', '.join(SUFFIXES)}")
    if problems:
        raise ConfigError("corpus add", problems)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        target = folder / src.name
        if target.exists():
            if _digest(target) == _digest(src):
                continue
            raise ConfigError("corpus add", [f"{target} already exists with other content; rename {src}"])
        shutil.copyfile(src, target)
        written.append(target)
    return written


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
