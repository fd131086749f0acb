"""ECB+ (Cybulska and Vossen, LREC 2014): reading the corpus into documents, sentences and mentions.

Each topic holds two real-world events of the same kind (subtopics `ecb` and `ecbplus`). The text of a
document is rebuilt from its tokens, one sentence per paragraph, keeping each token's offsets so that
sentences and mentions are spans of that text. In `*ecbplus.xml` sentence 0 is the source URL and is
dropped. Splits follow EVALUATION.md.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from briefing.analysis.text import Sentence

DEV = frozenset({2, 5, 12, 18, 21, 23, 34, 35})
TEST = frozenset(range(36, 46))
TRAIN = frozenset(range(1, 36)) - DEV - {15, 17}  # there are no topics 15 and 17

ENTITY_TAGS = ("HUMAN_PART", "NON_HUMAN_PART", "LOC", "TIME")
EVENT_TAGS = ("ACTION", "NEG")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    tag: str
    instance: str
    sentence: int

    @property
    def category(self) -> str:
        return (
            "entity"
            if self.tag.startswith(ENTITY_TAGS)
            else "event"
            if self.tag.startswith(EVENT_TAGS)
            else ""
        )


@dataclass
class EcbDoc:
    name: str
    topic: int
    number: int
    plus: bool
    text: str
    sentences: list[Sentence]
    sentence_numbers: list[int]
    mentions: list[Mention] = field(default_factory=list)

    @property
    def instances(self) -> set[str]:
        return {m.instance for m in self.mentions}


def topics_for(split: str) -> frozenset[int]:
    return {"train": TRAIN, "dev": DEV, "test": TEST, "all": TRAIN | DEV | TEST}[split]


def load(root: Path, topics: frozenset[int] | None = None) -> dict[int, list[EcbDoc]]:
    """Documents by topic, each topic's documents ordered: `ecb` by number, then `ecbplus` by number."""
    out: dict[int, list[EcbDoc]] = {}
    for folder in sorted((root / "ECB+").iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else -1):
        if not folder.name.isdigit() or (topics is not None and int(folder.name) not in topics):
            continue
        docs = [_document(p, int(folder.name)) for p in folder.glob("*.xml")]
        docs.sort(key=lambda d: (d.plus, d.number))
        out[int(folder.name)] = docs
    return out


def selected_sentences(root: Path) -> set[tuple[int, str, int]]:
    """(topic, file id such as "10ecbplus", sentence number) of the fully annotated sentences."""
    with (root / "ECBplus_coreference_sentences.csv").open(encoding="utf-8") as f:
        return {(int(r["Topic"]), r["File"], int(r["Sentence Number"])) for r in csv.DictReader(f)}


def file_id(doc: EcbDoc) -> str:
    return doc.name.split("_", 1)[1].removesuffix(".xml")


def _document(path: Path, topic: int) -> EcbDoc:
    root = ET.parse(path).getroot()  # noqa: S314 - a local research corpus, not fetched input
    plus = path.name.endswith("ecbplus.xml")
    number = int(re.match(r"\d+_(\d+)", path.name).group(1))  # type: ignore[union-attr]
    by_sentence: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for token in root.iter("token"):
        by_sentence[int(token.get("sentence", 0))].append((int(token.get("t_id", 0)), token.text or ""))
    pieces: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    sentence_list: list[Sentence] = []
    numbers: list[int] = []
    offset = 0
    for number_in_doc in sorted(by_sentence):
        if plus and number_in_doc == 0:
            continue  # the source URL
        start = offset
        words: list[str] = []
        for t_id, word in by_sentence[number_in_doc]:
            if words:
                offset += 1
            spans[t_id] = (offset, offset + len(word))
            words.append(word)
            offset += len(word)
        line = " ".join(words)
        pieces.append(line)
        sentence_list.append(Sentence(line, start, start + len(line), len(sentence_list), len(sentence_list)))
        numbers.append(number_in_doc)
        offset += 2
    text = "\n\n".join(pieces)
    token_sentence = {t: s for s, tokens in by_sentence.items() for t, _ in tokens}
    mentions = []
    instances: dict[str, str] = {}
    relations = root.find("Relations")
    for relation in relations.findall("CROSS_DOC_COREF") if relations is not None else []:
        for source in relation.findall("source"):
            instances[source.get("m_id", "")] = relation.get("note", "")
    markables = root.find("Markables")
    for markable in list(markables) if markables is not None else []:
        anchors = [int(a.get("t_id", 0)) for a in markable.findall("token_anchor")]
        m_id = markable.get("m_id", "")
        if not anchors or m_id not in instances or anchors[0] not in spans:
            continue
        spans_of = [spans[a] for a in anchors if a in spans]
        mentions.append(
            Mention(
                min(s for s, _ in spans_of),
                max(e for _, e in spans_of),
                markable.tag,
                instances[m_id],
                token_sentence[anchors[0]],
            )
        )
    return EcbDoc(path.name, topic, number, plus, text, sentence_list, numbers, mentions)
