"""Acme's kpispec rules. kpispec finds them through the entry point ``acme`` in the
group ``kpispec.rules`` (see pyproject.toml), which names this module: its ``RULES``
list holds the rule modules, each shaped exactly like a built-in rule."""

from __future__ import annotations

from . import known_tags, name_length

RULES = [name_length, known_tags]
