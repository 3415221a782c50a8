"""kpispec's .gitignore-style patterns (kpispec/load/globs.py): what they match, said
outright, and -- pattern by pattern, path by path -- the same as pathspec's
GitIgnoreSpec, which kpispec used until its import cost a fifth of a one-file run
(issue 28)."""

from __future__ import annotations

import itertools
import warnings

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpispec.load.globs import GlobError, Globs


def matches(patterns: list[str], path: str) -> bool:
    return Globs(patterns).match_file(path)


@pytest.mark.parametrize(
    "patterns, path, expected",
    [
        # a name without '/' matches at any depth, a file or a folder above the path
        (["*.yaml"], "team.yaml", True),
        (["*.yaml"], "kpis/deep/team.yaml", True),
        (["*.yaml"], "team.yml", False),
        (["kpis"], "a/kpis/team.yaml", True),
        # a '/' anchors it at the root
        (["/team.yaml"], "team.yaml", True),
        (["/team.yaml"], "kpis/team.yaml", False),
        (["kpis/*.yaml"], "kpis/team.yaml", True),
        (["kpis/*.yaml"], "a/kpis/team.yaml", False),
        (["kpis/*.yaml"], "kpis/deep/team.yaml", False),
        # ** for any number of folders, none included
        (["**/kpis/**/*.yaml"], "kpis/team.yaml", True),
        (["**/kpis/**/*.yaml"], "x/kpis/a/b/team.yaml", True),
        (["kpis/**"], "kpis/a/b.yaml", True),
        (["kpis/**"], "kpis", False),
        (["a/**/b"], "a/b", True),
        (["a/**/b"], "a/x/y/b", True),
        # names without wildcards (compared as text, not compiled)
        (["**/a/b"], "x/a/b", True),
        (["**/a/b"], "a/b/c.yaml", True),
        (["**/a/b"], "xa/b", False),
        (["a/b"], "x/a/b", False),
        (["node_modules/"], "web/node_modules/x/kpis.yaml", True),
        (["node_modules/"], "web/node_modules", False),
        (["node_modules/"], "my_node_modules/x.yaml", False),
        # a trailing '/' names folders only: what lies below them, never a file
        (["build/"], "build/out.yaml", True),
        (["build/"], "build/", True),
        (["build/"], "build", False),
        (["build/**/"], "build/x.yaml", True),
        # * and ? stay within a name; sets
        (["*"], "a/b/c", True),
        (["k?is/x"], "kpis/x", True),
        (["k*s/x"], "k/s/x", False),
        (["[ab].yaml"], "b.yaml", True),
        (["[!ab].yaml"], "b.yaml", False),
        (["[!ab].yaml"], "c.yaml", True),
        (["[]a].yaml"], "].yaml", True),
        (["[[a].yaml"], "[.yaml", True),
        # the last pattern that matches the path itself decides...
        (["*.yaml", "!keep.yaml"], "kpis/keep.yaml", False),
        (["!keep.yaml", "*.yaml"], "kpis/keep.yaml", True),
        # ... over any that matched only a folder above it, before or after it
        (["kpis/", "!kpis/keep.yaml"], "kpis/keep.yaml", False),
        (["*.tmp", "!kpis/"], "kpis/x.tmp", True),
        (["kpis/", "!kpis/"], "kpis/x.yaml", False),
        # lines that name nothing
        ([""], "a", False),
        (["# *.yaml"], "a.yaml", False),
        (["\\#x"], "#x", True),
        (["\\!x"], "!x", True),
        (["/"], "a/b", False),
        (["!/", "a/"], "a/b", True),
        (["[ab"], "[ab", False),
        # trailing white space is not part of a pattern, unless escaped
        (["a.yaml   "], "a.yaml", True),
        (["a\\ "], "a ", True),
        (["a\\ "], "a", False),
        # paths as callers give them: from the root, a leading './' or '/' dropped
        (["/a.yaml"], "./a.yaml", True),
        (["/a.yaml"], "/a.yaml", True),
    ],
)
def test_what_a_pattern_matches(patterns, path, expected):
    assert matches(patterns, path) is expected


@pytest.mark.parametrize("line", ["a\\", "!", "kpis/a\\"])
def test_a_pattern_git_would_not_take_is_an_error(line):
    with pytest.raises(GlobError) as caught:
        Globs([line])
    assert repr(line)[1:-1] in str(caught.value)
    assert isinstance(caught.value, ValueError)  # what callers catch


def test_set_characters_are_never_read_as_more_and_warn_nothing():
    """A '[' or '&&' inside a set is a character: Python would read '[[' as a nested set
    to come and warn (a FutureWarning on every run's stderr)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert matches(["[a&&b]"], "&")
        assert matches(["[a~~b]"], "~")
        assert matches(["[a||b]"], "|")
        assert not matches(["[a&&b]"], "c")


# the same as pathspec's GitIgnoreSpec, over every pattern made of these pieces

PIECES = ["a", "*", "**", "?", "[!a]", "[a-c]", "*.yaml", "\\*", "[", "a b", "]", "a**b", "."]
NAMES = ["a", "b", "x.yaml", "a.yaml", "*", "a b", "]", "a-b", "."]


def _patterns():
    for count in (1, 2):
        for pieces in itertools.product(PIECES, repeat=count):
            body = "/".join(pieces)
            for lead in ("", "/", "!", "!/"):
                for trail in ("", "/", "  "):
                    yield lead + body + trail


def _paths():
    found = set()
    for count in (1, 2, 3):
        for names in itertools.product(NAMES[:5] if count == 3 else NAMES, repeat=count):
            path = "/".join(names)
            found.update((path, path + "/"))  # a folder as the walk asks: a trailing '/'
    return sorted(found)


PATHS = _paths()


def _theirs(lines):
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        return None


def _ours(lines):
    try:
        return Globs(lines)
    except GlobError:
        return None


def _differences(lines: list[str]) -> list[str]:
    if any(line.rstrip() == "!/" for line in lines):
        # the one difference on purpose: pathspec reads '!/' as "take back every path in
        # a folder"; kpispec reads it as '/' is read, by git and by pathspec: nothing
        return []
    ours, theirs = _ours(lines), _theirs(lines)
    if (ours is None) != (theirs is None):
        return [f"{lines!r}: an error for {'kpispec' if ours is None else 'pathspec'} only"]
    if ours is None or theirs is None:
        return []
    return [
        f"{lines!r} {path!r}: kpispec {ours.match_file(path)}"
        for path in PATHS
        if ours.match_file(path) != theirs.match_file(path)
    ]


def test_every_pattern_of_the_pieces_matches_what_pathspec_matches():
    patterns = list(_patterns())
    assert len(patterns) > 2000 and len(PATHS) > 200
    differences = [d for pattern in patterns for d in _differences([pattern])]
    assert differences == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(_patterns())), min_size=2, max_size=4))
def test_lists_of_patterns_with_negations_match_what_pathspec_matches(lines):
    assert _differences(lines) == []
