"""YAML in and out, the one module that imports PyYAML (configuration, the demo's feeds.yaml, the
gazetteer).

`load` is safe for files a user pastes into: a SafeLoader (libyaml's when PyYAML was built with it: a
large file loads several times faster), duplicate keys refused rather than the last one kept, and aliases
that expand into huge values ("billion laughs") refused.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_VALUES = 1_000_000  # values after expanding aliases: far above any real configuration


class YamlError(ValueError):
    """Text that is not YAML this module accepts; the message says where and why, in one line."""


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def load(text: str, max_values: int = MAX_VALUES) -> Any:
    """The value `text` holds. Raises `YamlError` for invalid YAML, a duplicate key, or more than
    `max_values` values once aliases are expanded."""
    try:
        value = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise YamlError(f"not valid YAML: {_problem(e)}") from e
    if _expanded_size(value, max_values) > max_values:
        raise YamlError(f"not accepted: its aliases (*name) expand to more than {max_values:,} values")
    return value


def dump(value: Any, indent: int | None = None) -> str:
    """Block-style YAML for `value`, keys in their given order, non-ASCII kept as written."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, indent=indent)


def _problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def _expanded_size(value: Any, budget: int) -> int:
    """How many values `value` holds with every alias expanded, counting no further than `budget` + 1:
    a few aliases of aliases can stand for billions of values."""
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
