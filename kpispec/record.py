"""Records made without generated code: the repr and equality by field a dataclass gives,
for the few classes a one-file run needs at start-up (a dataclass is code generated and
compiled when its module is imported, about a millisecond of every run per class).
Elsewhere, a dataclass."""

from __future__ import annotations

from typing import Any, ClassVar


class Record:
    """Repr and equality over :meth:`fields`, in order; unhashable, as a dataclass with
    ``eq``. A subclass names its fields in ``FIELDS`` (or overrides :meth:`fields`) and
    sets them in its ``__init__``."""

    FIELDS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return cls.FIELDS

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields())
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]


class FrozenRecord(Record):
    """A :class:`Record` nothing changes after ``__init__`` (which sets its fields with
    :meth:`_init`), hashable by value: a frozen dataclass's behaviour, its error included."""

    def _init(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(self.fields(), values, strict=True):
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
