"""The configuration reference, generated from `SETTINGS` (the README embeds it)."""

from __future__ import annotations

from briefing.config.settings import _MIB, SETTINGS, Setting


def settings_reference() -> str:
    """The configuration reference as a Markdown table (the README embeds it)."""
    rows = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = "required" if s.required else _show_default(s)
        env = f"`{s.env}`" if s.env else ""
        kind = s.kind.replace("choice:", "one of ").replace(",", ", ")
        rows.append(f"| `{s.key}` | {kind} | {default} | {env} | {s.help} |")
    return "\n".join(rows)


def _show_default(s: Setting) -> str:
    if s.default is None:
        return "(unset)"
    if s.kind == "size":
        return f"`{s.default // _MIB}MiB`"
    if isinstance(s.default, bool):
        return f"`{str(s.default).lower()}`"
    if isinstance(s.default, list):
        return "`[" + ", ".join(s.default) + "]`"
    if s.default == "":
        return '`""`'
    return f"`{s.default}`"
