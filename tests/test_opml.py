"""OPML from other feed readers is someone else's file: bombs, external entities, depth, control characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.cli import cli
from briefing.errors import ConfigError
from briefing.opml import OpmlFeed, read_opml
from conftest import write_config


def opml(body: str, prolog: str = "") -> bytes:
    return f'<?xml version="1.0"?>{prolog}<opml version="2.0"><head/><body>{body}</body></opml>'.encode()


def test_folders_give_categories_in_document_order() -> None:
    found = read_opml(
        opml(
            '<outline text="Caucasus"><outline text="A" xmlUrl="https://a.example/feed"/>'
            '<outline text="Inner"><outline text="B" xmlUrl="https://b.example/feed"/></outline></outline>'
            '<outline title="C" xmlUrl="https://c.example/feed"/>'
        ),
        "subs.opml",
    )
    assert found == [
        OpmlFeed("A", "https://a.example/feed", "Caucasus"),
        OpmlFeed("B", "https://b.example/feed", "Inner"),
        OpmlFeed("C", "https://c.example/feed", ""),
    ]


def test_a_file_nested_a_hundred_thousand_deep_is_read() -> None:
    # A recursive walk raised RecursionError here: a traceback instead of an import.
    depth = 100_000
    data = opml(
        '<outline text="x">' * depth
        + '<outline text="Deep" xmlUrl="https://d.example/"/>'
        + "</outline>" * depth
    )
    assert read_opml(data, "deep.opml") == [OpmlFeed("Deep", "https://d.example/", "x")]


@pytest.mark.parametrize(
    ("prolog", "body"),
    [
        (  # billion laughs: expat's amplification limit stops it
            '<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            + "".join(
                f'<!ENTITY {"b" * (i + 1)} "{("&" + ("b" * i if i else "a") + ";") * 10}">' for i in range(9)
            )
            + "]>",
            '<outline text="&bbbbbbbbb;" xmlUrl="https://x.example/"/>',
        ),
        (  # an external entity is never read
            '<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
            '<outline text="&x;" xmlUrl="https://x.example/"/>',
        ),
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_entity_tricks_are_refused_with_one_line_naming_the_file(prolog: str, body: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_opml(opml(body, prolog), "subs.opml")
    assert str(caught.value).startswith("subs.opml: not a valid OPML file:")
    assert "\n" not in str(caught.value)


def test_titles_and_links_carry_no_control_characters(tmp_path: Path) -> None:
    # XML refuses C0 controls; C1 ones (0x9b is a terminal's one-byte escape) and bidi overrides pass
    data = opml(
        '<outline text="Folder&#x9b;2J"><outline text="Evil&#x9b;0m &#x202E;feed"'
        ' xmlUrl=" https://e.example/a&#x9b;b "/></outline>'
    )
    found = read_opml(data, "subs.opml")
    assert found == [OpmlFeed("Evil0m feed", "https://e.example/a%C2%9Bb", "Folder2J")]
    # and through the command line, into feeds.yaml and back out of `feeds list`
    config = write_config(tmp_path, [{"name": "first", "url": "https://first.example/feed"}])
    (tmp_path / "subs.opml").write_bytes(data)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["feeds", "import-opml", str(tmp_path / "subs.opml"), "--config", str(config.source)]
    )
    assert result.exit_code == 0, result.stderr
    listed = runner.invoke(cli, ["feeds", "list", "--config", str(config.source)])
    assert listed.exit_code == 0 and "https://e.example/a%C2%9Bb" in listed.stdout
    assert not {"\x9b", "\u202e"} & set(config.source.read_text() + listed.stdout)
