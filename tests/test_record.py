"""kpispec.record: the plain classes that stand in for dataclasses on the start-up path
(a dataclass is code generated and compiled at import). They must behave as the
dataclasses did: constructor, repr, equality, hashing, frozen-ness, replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from kpispec.findings import Finding, Selection
from kpispec.record import FrozenRecord, Record


class Point(Record):
    FIELDS = ("x", "y", "cache")
    HIDDEN = ("cache",)

    def __init__(self, x: int, y: int = 0, cache: dict | None = None):
        self.x = x
        self.y = y
        self.cache = {} if cache is None else cache


class Node(Record, eq=False):
    FIELDS = ("name",)

    def __init__(self, name: str):
        self.name = name


class Slotted(Record):
    __slots__ = FIELDS = ("a", "b")

    def __init__(self, a: int, b: int = 2):
        self.a = a
        self.b = b


class Pair(FrozenRecord):
    FIELDS = ("left", "right")

    def __init__(self, left: int, right: int = 0):
        self._init((left, right))


def test_repr_leaves_hidden_fields_out_and_equality_still_reads_them():
    one = Point(1, 2, {"k": 1})
    assert repr(one) == "Point(x=1, y=2)"
    assert one == Point(1, 2, {"k": 1})
    assert one != Point(1, 2)  # the hidden field still compares, as repr=False did
    assert one != Point(1, 3, {"k": 1})
    assert (one == (1, 2)) is False
    with pytest.raises(TypeError):
        hash(one)


def test_eq_false_is_identity_equality_and_identity_hashing():
    a, b = Node("n"), Node("n")
    assert a == a and a != b
    assert len({a, b, a}) == 2
    assert hash(a) == object.__hash__(a)
    assert repr(a) == "Node(name='n')"  # the repr is still by field


def test_replace_copies_through_init_with_the_changes():
    one = Point(1, 2)
    two = one.replace(y=5)
    assert (two.x, two.y) == (1, 5) and type(two) is Point
    assert (one.x, one.y) == (1, 2)
    assert two.cache is one.cache  # a shallow copy, as dataclasses.replace makes
    with pytest.raises(TypeError):
        one.replace(z=1)  # no such field: the constructor refuses it
    pair = Pair(1, 2).replace(right=3)
    assert pair == Pair(1, 3)
    assert Pair.__replace__(Pair(1), left=4) == Pair(4)  # copy.replace on Python 3.13


def test_a_record_with_slots_has_no_dict():
    one = Slotted(1)
    assert not hasattr(one, "__dict__")
    with pytest.raises(AttributeError):
        one.c = 3  # type: ignore[attr-defined]
    assert one == Slotted(1, 2) and repr(one) == "Slotted(a=1, b=2)"
    assert copy.copy(one) == one
    assert pickle.loads(pickle.dumps(one)) == one


def test_frozen_records_raise_as_frozen_dataclasses_and_hash_by_value():
    pair = Pair(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'left'"):
        pair.left = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'right'"):
        del pair.right
    assert hash(pair) == hash(Pair(1, 2)) == hash((1, 2))
    assert copy.deepcopy(pair) == pair
    assert pickle.loads(pickle.dumps(pair)) == pair


class SlottedPair(FrozenRecord):
    __slots__ = FIELDS = ("left", "right")

    def __init__(self, left: int, right: int = 0):
        self._init((left, right))


def test_a_frozen_record_with_slots_is_set_and_frozen_alike():
    pair = SlottedPair(1, 2)
    assert not hasattr(pair, "__dict__")
    assert (pair.left, pair.right) == (1, 2) and repr(pair) == "SlottedPair(left=1, right=2)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.left = 3  # type: ignore[misc]
    assert hash(pair) == hash((1, 2)) and pair.replace(right=5) == SlottedPair(1, 5)


def test_loaded_file_repr_leaves_its_positions_out_and_problems_compare_by_field():
    from kpispec.load.loader import LoadedFile, Problem

    loaded = LoadedFile({"a": 1}, True, [Problem("KS002", 2, 3, "bad", ("kpis", 0))], "a: 1\n")
    loaded._pos[id(loaded.data)] = {"a": (1, 1)}
    assert repr(loaded) == (
        "LoadedFile(data={'a': 1}, ok=True, problems=[Problem(code='KS002', line=2, "
        "column=3, message='bad', path=('kpis', 0))], text='a: 1\\n', root_pos=(1, 1))"
    )
    assert LoadedFile().problems is not LoadedFile().problems
    assert Problem("KS001", 1, 1, "x") == Problem("KS001", 1, 1, "x", None)
    assert Problem.fields() == ("code", "line", "column", "message", "path")


def test_finding_keeps_its_slots_repr_and_equality():
    finding = Finding("KS101", "kpis/a.yaml", 3, 5, "no owner", entry="arr", key=("owner",))
    assert not hasattr(finding, "__dict__")
    assert repr(finding) == (
        "Finding(code='KS101', path='kpis/a.yaml', line=3, column=5, message='no owner', "
        "entry='arr', name='', severity='', entry_line=None, key=('owner',), unread=())"
    )
    assert finding == Finding("KS101", "kpis/a.yaml", 3, 5, "no owner", "arr", key=("owner",))
    moved = finding.replace(line=9, entry_line=8)
    assert (moved.line, moved.entry_line, moved.column, moved.key) == (9, 8, 5, ("owner",))
    assert finding.line == 3
    with pytest.raises(TypeError):
        hash(finding)


def test_selection_defaults_are_fresh_per_instance():
    one, two = Selection(), Selection()
    one.ignore.add("KS101")
    assert two.ignore == set() and two.severity == {}
    assert one == Selection(None, {"KS101"}, {})
    assert repr(two) == "Selection(select=None, ignore=set(), severity={})"
