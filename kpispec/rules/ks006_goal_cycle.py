"""KS006 goal-cycle: a goal is its own ancestor through ``parent``.

What: following ``parent:`` from goal to goal comes back to where it started — a goal
names itself as its parent (``a -> a``), or two or more goals name each other in a ring
(``a -> b -> a``). Every goal of the cycle is reported, at its ``parent:`` key, and the
message names the whole cycle starting from that goal, so whichever file you open you
see the ring and can pick the link to cut. (A cycle of more than 8 goals is named by its
first goals, its last one and how many there are.)

Goals that lead into a cycle without being on it (``c -> a`` where ``a -> b -> a``) are
not reported: their own ``parent:`` names a real goal, and once the cycle is cut their
tree is whole again — one mistake, one set of findings. A ``parent:`` that names no goal
is KS005's finding, a ``parent:`` that is not a single id KS002's; neither makes a
cycle. When an id is defined twice (KS004), ``parent:`` names the first goal of that id,
as every reference does.

Why: the goals form a tree: a goal below another contributes to it, and the KPIs of a
goal count for every goal above it (KS203, KS404). In a cycle no goal is at the top, the
tree has no root, and "which goals does this one serve?" has no answer: reports and OKR
tools show the goals nowhere, or forever.

Fix: remove or change one ``parent:`` of the cycle — usually the one on the goal that
is really the top of its tree.

    # before: each goal is below the other
    - id: company-2026
      parent: arr-5m-2026
    - id: arr-5m-2026
      parent: company-2026
    # after: company-2026 is the top
    - id: company-2026
    - id: arr-5m-2026
      parent: company-2026
"""

from __future__ import annotations

CODE = "KS006"
NAME = "goal-cycle"
SEVERITY = "error"

SHOWN = 8  # a longer cycle is named by its first SHOWN - 2 goals, its last, and its length


def check(catalog, ctx):
    # every goal has at most one parent (a single id; a list is KS002's), so following
    # parents from any goal either stops or runs into a cycle: one walk per goal, each
    # goal walked once in all — linear in the number of goals, on any graph
    parent_of = {}
    for goal in catalog.goals:
        for ref in catalog.references_from(goal, "parent"):
            if ref.index is None and ref.resolves:
                parent_of[goal] = ref.target
    state: dict = {}  # goal -> 1 on the walk under way, 2 done
    for start in catalog.goals:
        walk: list = []
        where: dict = {}  # goal -> its position in walk
        goal = start
        while goal is not None and goal not in state:
            state[goal] = 1
            where[goal] = len(walk)
            walk.append(goal)
            goal = parent_of.get(goal)
        if goal is not None and state[goal] == 1:  # the walk came back onto itself
            cycle = walk[where[goal] :]
            for at, member in enumerate(cycle):
                yield member.finding(CODE, _message(cycle, at), "parent")
        for member in walk:
            state[member] = 2


def _message(cycle: list, at: int) -> str:
    """The finding of ``cycle[at]``: the cycle in parent order, starting from it (a few
    ids picked by position, not the cycle rotated: that would be quadratic)."""
    size = len(cycle)
    first = cycle[at].id
    if size == 1:
        return (
            f"goal '{first}' is its own parent ({first} -> {first}); a goal cannot be "
            "below itself. Remove its parent, or name the goal above it"
        )
    if size <= SHOWN:
        ids = [cycle[(at + step) % size].id for step in range(size)] + [first]
        path = " -> ".join(ids)
    else:
        ids = [cycle[(at + step) % size].id for step in range(SHOWN - 2)]
        path = " -> ".join(ids + ["...", cycle[at - 1].id, first]) + f" ({size} goals)"
    return (
        f"goal '{first}' is in a parent cycle: {path}; a goal cannot be below itself. "
        "Remove or change one parent of the cycle"
    )
