"""feeds.yaml -> Config: defaults, paths, environment, and every problem reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from briefing.config import add_feeds_text, find_config, load_config, parse_config, settings_reference
from briefing.errors import ConfigError
from briefing.models import FeedSource
from conftest import ROOT, dedent


def problems(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    return info.value.problems


def test_the_shipped_configuration_has_the_real_feeds() -> None:
    config = load_config(ROOT / "feeds.yaml", env={})
    by_name = {f.name: f for f in config.feeds}
    assert (
        by_name["caci-analytical"].url == "https://www.cacianalyst.org/publications/analytical-articles.feed"
    )
    assert by_name["caci-feature"].url == "https://www.cacianalyst.org/publications/feature-articles.feed"
    assert not by_name["caci-field-reports"].enabled
    assert by_name["ac-main"].url == "https://www.atlanticcouncil.org/feed/"
    assert by_name["ac-new-atlanticist"].url.endswith("/blogs/new-atlanticist/feed/")
    for name in ("ac-main", "ac-new-atlanticist"):
        assert {"/in-the-news/", "/insight-impact/", "/event/", "/events/", "/podcast"} <= set(
            by_name[name].exclude
        )
    assert config.settings.allow_private_networks is False
    assert config.settings.data_dir == ROOT / "data"
    assert config.corpus.paths == (ROOT / "corpus",)


def test_defaults_apply_and_relative_paths_follow_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "feeds.yaml").write_text("feeds:\n  - name: a\n    url: https://a.example/feed\n")
    config = load_config(folder / "feeds.yaml", env={})
    s = config.settings
    assert s.data_dir == folder / "data"
    assert s.reports_dir == folder / "reports"
    assert s.timeout == 30.0 and s.max_feed_bytes == 10 * 1024 * 1024
    assert s.allow_private_networks is False
    assert config.feeds == (FeedSource(name="a", url="https://a.example/feed"),)


def test_every_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    found = problems(
        dedent(
            """
            settings:
              timout: 3
              concurrency: many
              max_feed_bytes: lots
            corpus:
              paths: 7.5x
            feeds:
              - name: a
                url: file:///etc/passwd
              - name: A
                url: https://x.example/feed
                enabled: perhaps
                exclude: ["(unclosed"]
              - url: https://y.example/feed
              - just a string
            extra: 1
            """
        ),
        tmp_path,
    )
    text = "\n".join(found)
    assert "settings.timout: unknown key (did you mean 'timeout'?)" in text
    assert "settings.concurrency: expected a whole number, got 'many'" in text
    assert "settings.max_feed_bytes: expected a size" in text
    assert "feeds[0].url: 'file:///etc/passwd' is not an http:// or https:// URL" in text
    assert "feeds[1].enabled: expected true or false" in text
    assert "feeds[1].exclude: '(unclosed' is not a valid regular expression" in text
    assert "feeds[1].name: duplicate feed name 'A' (also feeds[0])" in text
    assert "feeds[2].name: required key is missing" in text
    assert "feeds[3]: expected a mapping" in text
    assert "extra: unknown key" in text
    assert f"corpus.paths[0]: {tmp_path / '7.5x'} does not exist" in text
    assert len(found) == 11


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line(tmp_path: Path) -> None:
    assert problems("feeds: [\n", tmp_path)[0].startswith("not valid YAML: line 2")
    dup = problems("settings:\n  timeout: 3\n  timeout: 4\n", tmp_path)[0]
    assert "duplicate key 'timeout'" in dup and "line 3" in dup


def test_missing_default_file_says_how_to_point_at_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(None, env={})
    assert str(info.value) == "feeds.yaml: file not found; pass --config FILE or set BRIEFING_CONFIG"


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.yaml: file not found$"):
        load_config(tmp_path / "absent.yaml", env={})
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "binary.yaml", env={})
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path, env={})  # a folder


def test_config_path_precedence(tmp_path: Path) -> None:
    assert find_config("x.yaml", {"BRIEFING_CONFIG": "y.yaml"}) == Path("x.yaml")
    assert find_config(None, {"BRIEFING_CONFIG": "y.yaml"}) == Path("y.yaml")
    assert find_config(None, {}) == Path("feeds.yaml")


def test_environment_overrides_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  timeout: 10\n  data_dir: here\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(
        path,
        env={
            "BRIEFING_TIMEOUT": "2.5",
            "BRIEFING_DATA_DIR": "elsewhere",
            "BRIEFING_ALLOW_PRIVATE_NETWORKS": "yes",
            "BRIEFING_ALLOWED_NETWORKS": "127.0.0.2, 10.0.0.0/8",
        },
    )
    assert config.settings.timeout == 2.5
    assert config.settings.data_dir == tmp_path / "elsewhere"  # relative to the shell, not the file
    assert config.settings.allow_private_networks is True
    assert config.settings.allowed_networks == ("127.0.0.2", "10.0.0.0/8")
    with pytest.raises(ConfigError, match="environment BRIEFING_TIMEOUT: expected a number"):
        load_config(path, env={"BRIEFING_TIMEOUT": "soon"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2048, 2048), ("10MiB", 10 * 1024 * 1024), ("500KB", 500_000), ("1.5 MB", 1_500_000), ("64kib", 65536)],
)
def test_sizes(tmp_path: Path, value: object, expected: int) -> None:
    config = parse_config(f"settings:\n  max_page_bytes: {value!r}\n".replace("'", '"'), tmp_path / "f.yaml")
    assert config.settings.max_page_bytes == expected


def test_minimums_are_enforced(tmp_path: Path) -> None:
    found = problems("settings:\n  concurrency: 0\n  timeout: -1\n", tmp_path)
    assert found == [
        "settings.timeout: must be at least 0.1, got -1.0",
        "settings.concurrency: must be at least 1, got 0",
    ]


def test_add_feeds_keeps_comments_and_reads_back(tmp_path: Path) -> None:
    original = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    new = FeedSource(
        name="eurasianet", url="https://eurasianet.example/feed", title="Eurasianet", tags=("news",)
    )
    updated = add_feeds_text(original, [new], "feeds.yaml")
    assert "# dormant" not in original or "# dormant" in updated
    assert all(line in updated for line in original.splitlines() if line.strip().startswith("#"))
    config = parse_config(updated, ROOT / "feeds.yaml")
    assert config.feeds[-1] == FeedSource(
        name="eurasianet", url="https://eurasianet.example/feed", title="Eurasianet", tags=("news",)
    )
    assert len(config.feeds) == 6


def test_add_feeds_to_a_zero_indented_list() -> None:
    text = "feeds:\n- name: a\n  url: https://a.example/f\nsettings:\n  timeout: 3\n"
    updated = add_feeds_text(text, [FeedSource(name="b", url="https://b.example/f")], "f.yaml")
    assert [f.name for f in parse_config(updated, Path("f.yaml")).feeds] == ["a", "b"]


def test_add_feeds_refuses_a_flow_list() -> None:
    with pytest.raises(ConfigError, match="not a block list"):
        add_feeds_text("feeds: []\n", [FeedSource(name="x", url="https://x.example/")], "f.yaml")


def test_reference_lists_every_key() -> None:
    table = settings_reference()
    for key in (
        "settings.data_dir",
        "settings.reports_dir",
        "settings.allow_private_networks",
        "corpus.paths",
        "feeds[].name",
        "feeds[].url",
        "feeds[].exclude",
    ):
        assert f"`{key}`" in table
    assert "`BRIEFING_TIMEOUT`" in table


def test_yaml_aliases_that_expand_into_huge_values_are_refused_quickly(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):  # ten to the tenth values, in a few hundred bytes
        prev, name = chr(96 + i), chr(97 + i)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(levels) + "\nfeeds:\n  - name: x\n    url: https://example.org/feed\n    exclude: *j\n"
    assert problems(text, tmp_path) == [
        "not accepted: its aliases (*name) expand to more than 1,000,000 values"
    ]
    # A list shared by two feeds, as the shipped feeds.yaml does, is fine.
    shared = "feeds:\n  - {name: a, url: 'https://a.example/f', exclude: &n [x]}\n  - {name: b, url: 'https://b.example/f', exclude: *n}\n"
    path = tmp_path / "shared.yaml"
    path.write_text(shared, encoding="utf-8")
    assert [f.exclude for f in load_config(path, env={}).feeds] == [("x",), ("x",)]


def test_a_huge_value_is_quoted_cut_short(tmp_path: Path) -> None:
    (line,) = problems(f"feeds:\n  - name: a\n    url: 'file:///{'x' * 100_000}'\n", tmp_path)
    assert (
        line.startswith("feeds[0].url: 'file:///xxx") and "xxx…' is not an http" in line and len(line) < 200
    )


def test_the_yaml_parser_is_libyaml_when_pyyaml_has_it() -> None:
    import yaml

    from briefing.yamltext import _UniqueKeyLoader

    assert issubclass(_UniqueKeyLoader, yaml.CSafeLoader) == bool(yaml.__with_libyaml__)


def test_every_default_is_declared_once_in_the_settings_table() -> None:
    import dataclasses

    from briefing.analysis.params import Params
    from briefing.config import SETTINGS, CorpusSettings, EmailSettings, ReportSettings, ScheduleSettings
    from briefing.models import FeedSource, WatchTopic

    classes: dict[str, type] = {
        "report.": ReportSettings,
        "schedule.": ScheduleSettings,
        "delivery.email.": EmailSettings,
        "corpus.": CorpusSettings,
        "analysis.": Params,
        "feeds[].": FeedSource,
        "topics[].": WatchTopic,
    }
    differ = []
    for spec in SETTINGS:
        prefix = next((p for p in classes if spec.key.startswith(p)), None)
        if prefix is None or spec.required:
            continue
        fields = {f.name: f for f in dataclasses.fields(classes[prefix])}
        field = fields.get(spec.key.removeprefix(prefix))
        if field is None or field.default is dataclasses.MISSING:
            continue
        declared = tuple(spec.default) if isinstance(spec.default, list) else spec.default
        if field.default != declared and not (spec.default is None and "override" in spec.help):
            differ.append(f"{spec.key}: table {declared!r}, {classes[prefix].__name__} {field.default!r}")
    assert differ == []


def test_settings_database_is_sqlite_or_postgresql(tmp_path: Path) -> None:
    def load(value: str) -> Any:
        path = tmp_path / "feeds.yaml"
        path.write_text(f"settings:\n  database: {value!r}\nfeeds: []\n", encoding="utf-8")
        return load_config(path, env={}).settings

    assert load("").store_location == tmp_path / "data" / "briefing.sqlite3"
    assert load("sqlite:///other.sqlite3").store_location == tmp_path / "data" / "other.sqlite3"
    assert load("sqlite:////srv/b.sqlite3").store_location == Path("/srv/b.sqlite3")
    shared = load("postgresql://db.internal/briefing")
    assert shared.store_location == "postgresql://db.internal/briefing" and shared.shared_database
    with pytest.raises(ConfigError, match=r"settings\.database: 'postgresql\+psycopg://x/y' is not"):
        load("postgresql+psycopg://x/y")
