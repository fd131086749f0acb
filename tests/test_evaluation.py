"""The benchmarks run through the product's analysis (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.evaluation import ecbplus, runner
from conftest import SHARED, run_cli

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not (DATA / "ecbplus").is_dir(), reason=f"{DATA} not present")


@needs_data
def test_ecbplus_loads_as_documented() -> None:
    topics = ecbplus.load(DATA / "ecbplus")
    assert len(topics) == 43 and sum(len(d) for d in topics.values()) == 982
    doc = next(d for d in topics[1] if d.plus)
    assert not doc.text.startswith("http")  # sentence 0 of an ecbplus document is its URL, dropped
    for m in doc.mentions[:20]:
        assert doc.text[m.start : m.end].strip() == doc.text[m.start : m.end]
    assert len(ecbplus.selected_sentences(DATA / "ecbplus")) == 1840


@needs_data
@pytest.mark.slow
def test_ecbplus_dev_regression() -> None:
    rows = {r.level: r for r in runner.evaluate_ecbplus(DATA / "ecbplus", "dev")}
    assert rows["document k=3"].auroc is not None and rows["document k=3"].auroc >= 0.93
    assert rows["document k=1"].auroc is not None and rows["document k=1"].auroc >= 0.90
    assert rows["sentence k=3"].auroc is not None and rows["sentence k=3"].auroc >= 0.52
    assert rows["mention entity k=3"].auroc is not None and rows["mention entity k=3"].auroc >= 0.65


@pytest.mark.skipif(not (DATA / "mstream-news").is_dir(), reason="no MStream data")
def test_mstream_first_story_and_stories(tmp_path: Path) -> None:
    lines = (DATA / "mstream-news" / "News").read_text(encoding="utf-8").splitlines()[:3000]
    (tmp_path / "News").write_text("\n".join(lines), encoding="utf-8")
    rows = {r.level: r for r in runner.evaluate_mstream(tmp_path)}
    assert rows["first story"].auroc is not None and rows["first story"].auroc > 0.9
    assert rows["story NMI"].auroc is not None and rows["story NMI"].auroc > 0.8


@pytest.mark.skipif(not (DATA / "tap-dlnd-sports-slice").is_dir(), reason="no DLND data")
def test_dlnd_is_not_fooled_by_length() -> None:
    rows = runner.evaluate_dlnd(DATA / "tap-dlnd-sports-slice")
    ours = next(r for r in rows if r.level == "document")
    similarity_only = next(r for r in rows if r.level != "document")
    assert ours.n == 90 and ours.positives == 39
    assert ours.auroc is not None and ours.auroc > 0.85
    assert (
        similarity_only.auroc is not None and similarity_only.auroc < 0.5
    )  # the trap EVALUATION.md describes


@pytest.mark.skipif(not (DATA / "tap-dlnd-sports-slice").is_dir(), reason="no DLND data")
def test_eval_command_prints_the_table_and_json() -> None:
    done = run_cli(["eval", "--dataset", "dlnd", "--data", str(DATA)])
    assert done.returncode == 0, done.stderr
    assert "| dlnd | all | document |" in done.stdout and "reference" in done.stdout
    as_json = json.loads(run_cli(["eval", "--dataset", "dlnd", "--data", str(DATA), "--json"]).stdout)
    assert as_json["rows"][0]["dataset"] == "dlnd" and as_json["rows"][0]["n"] == 90


def test_eval_without_data_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli(["eval", "--dataset", "mstream", "--data", str(tmp_path)])
    assert done.returncode == 2 and "mstream data not found; pass --data DIR" in done.stderr


REALWORLD = DATA / "realworld-dev" / "articles.json"
needs_realworld = pytest.mark.skipif(not REALWORLD.is_file(), reason=f"{REALWORLD} not present")


def test_the_name_judge_is_independent_of_the_product() -> None:
    from briefing.evaluation.realworld import junk_reason

    for junk in ("Let", "Nov", "RL", "House", "Finnish Foreign Minister Elina Valtonen", "Uzbek President"):
        assert junk_reason(junk), junk
    assert junk_reason("Republic of Uzbekistan Shavkat Mirziyoyev") == "an institution glued to a name"
    for name in ("Narek Karapetian", "Public Services Regulatory Commission", "OSCE", "London", "Georgia"):
        assert junk_reason(name) == "", name


@needs_realworld
def test_realworld_folds_are_fixed_stratified_and_keep_pairs_together() -> None:
    from briefing.evaluation import realworld

    records = realworld.load_records(REALWORLD)
    folds = realworld.fold_of(records)
    assert folds == realworld.fold_of(list(reversed(records)))  # order of the file does not matter
    for kind in {r.kind for r in records}:
        assert {folds[r.id] for r in records if r.kind == kind} == {"tune", "holdout"}
    for r in records:
        if r.dup_group:
            assert {folds[o.id] for o in records if o.dup_group == r.dup_group} == {folds[r.id]}


@needs_realworld
@pytest.mark.slow
def test_realworld_holdout_through_the_command() -> None:
    done = run_cli(["eval", "--dataset", "realworld", "--data", str(DATA), "--json"])
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["fold"] == "holdout" and report["method"] == "semantic"
    got = {m["name"]: m["value"] for m in report["measures"]}
    # Regression guards at or just below the holdout figures the README reports (not the goals of #12,
    # which are not all met: see the README's evaluation section).
    assert got["class accuracy"] >= 0.8 and got["lead fact quoted first"] >= 0.7
    assert got["name precision"] >= 0.95 and got["name recall"] >= 0.85
    assert got["new-fact recall (top 5)"] >= 0.75
    assert got["duplicate pairs grouped"] >= 0.5
    assert got["restatements quoted as new"] <= 7
