"""How messages name a dbt node: by its kind and name, read off its unique id.

A unique id is ``<resource type>.<package>.<name>`` and, by type, more:
``source.<package>.<source>.<table>``, ``model.<package>.<name>.v<N>`` for a version,
``test.<package>.<name>.<hash>`` for a generic data test, ``unit_test.<package>.<model>.
<name>``. dbt names hold no dots, so the id says both; nothing else need be kept.
"""

from __future__ import annotations

# the resource types kpispec names (a data_source names the first four), in words
KIND_WORDS = {
    "metric": "metric",
    "semantic_model": "semantic model",
    "model": "model",
    "source": "source",
    "seed": "seed",
    "snapshot": "snapshot",
    "test": "test",
    "unit_test": "unit test",
}
TESTS = ("test", "unit_test")  # the resource types that check a node, not build one


def kind_of(uid: str) -> str:
    return uid.partition(".")[0]


def name_of(uid: str) -> str:
    """``raw.orders`` for a source, ``customers v2`` for a model's version, the test's
    name without its hash, else the name."""
    parts = uid.split(".")
    kind = parts[0]
    rest = parts[2:] if len(parts) > 2 else parts[1:]
    if kind == "source" and len(rest) >= 2:
        return ".".join(rest[:2])
    if kind == "model" and len(rest) == 2 and rest[1][:1] == "v":
        return f"{rest[0]} {rest[1]}"
    if kind == "unit_test" and len(rest) >= 2:
        return rest[1]
    return rest[0] if rest else uid


def describe(uid: str) -> str:
    """``model 'orders'``, ``source 'raw.orders'``, ``model 'customers' v2``."""
    name = name_of(uid)
    base, _, version = name.partition(" ")
    word = KIND_WORDS.get(kind_of(uid), kind_of(uid).replace("_", " "))
    return f"{word} '{base}'" + (f" {version}" if version else "")
