"""Records made without generated code: the repr and equality by field a dataclass gives,
for the classes a one-file run needs at start-up (a dataclass is code generated and
compiled when its module is imported, about a millisecond of every run per class, and
``import dataclasses`` brings inspect, ast and tokenize with it). Elsewhere, a dataclass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # a TypeVar bound by name compiles the name: a millisecond of start-up
    from typing import TypeVar

    R = TypeVar("R", bound="Record")


class Record:
    """Repr and equality over :meth:`fields`, in order; unhashable, as a dataclass with
    ``eq``. A subclass names its fields in ``FIELDS`` (or overrides :meth:`fields`) and
    sets them in its ``__init__``, whose parameters are the fields (:meth:`replace`
    builds a copy through it). ``class Entry(Record, eq=False)``: equal only to itself
    and hashable by identity, as a dataclass with ``eq=False``. No ``__slots__`` of its
    own, so a subclass that declares them has no ``__dict__``."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()
    HIDDEN: ClassVar[tuple[str, ...]] = ()  # fields its repr leaves out (``repr=False``)

    def __init_subclass__(cls, eq: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not eq:  # object's own, as a class that defines neither has
            cls.__eq__ = object.__eq__  # type: ignore[method-assign]
            cls.__hash__ = object.__hash__  # type: ignore[method-assign, assignment]

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return cls.FIELDS

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.fields())

    def replace(self: R, **changes: Any) -> R:
        """A new record with the same fields but ``changes`` (``dataclasses.replace``'s
        work, as it does it, a fifth faster)."""
        for name in self.fields():
            if name not in changes:
                changes[name] = getattr(self, name)
        return type(self)(**changes)

    __replace__ = replace  # copy.replace (Python 3.13)

    def __repr__(self) -> str:
        hidden = self.HIDDEN
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.fields() if name not in hidden
        )
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]


class FrozenRecord(Record):
    """A :class:`Record` nothing changes after ``__init__`` (which sets its fields, named
    in ``FIELDS``, with :meth:`_init`), hashable by value: a frozen dataclass's behaviour,
    its error included."""

    __slots__ = ()

    def _init(self, values: tuple[Any, ...]) -> None:
        """Set the fields named in ``FIELDS`` to ``values``, one each, in order (past
        :meth:`__setattr__`): one update of the instance's namespace, as fast as a frozen
        dataclass's ``__init__`` (a check that the counts match would make it slower by
        a fifth; a test of the class's repr shows a mismatch)."""
        try:
            self.__dict__.update(zip(self.FIELDS, values))
        except AttributeError:  # a subclass with __slots__
            for name, value in zip(self.FIELDS, values):
                object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise _frozen(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise _frozen(f"cannot delete field {name!r}")

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self.values())


def _frozen(message: str) -> AttributeError:
    from dataclasses import FrozenInstanceError  # here: only a mistake needs it

    return FrozenInstanceError(message)
