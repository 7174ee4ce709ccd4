"""Named entries of one kind (architectures, face detectors, dataset kinds), imported only when one is used.

An entry names its target as "package.module:attribute", so listing names, descriptions and availability never
imports the target, PyTorch or any other optional dependency; `load` imports it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import EmopyError, MissingExtraError, unknown_name


@dataclass(frozen=True)
class Entry:
    """One registered name: where its object lives, a one-line description, and what it needs installed."""

    name: str
    target: str  # "package.module:attribute"
    description: str
    needs: str | None = None  # a module the target imports, looked up (never imported) to tell availability
    install: str | None = None  # what `pip install` takes to get `needs` (default: the module's name)

    def missing(self) -> str | None:
        """What to `pip install` before this entry can load, or None when it can load here."""
        if self.needs is None or importlib.util.find_spec(self.needs) is not None:
            return None
        return self.install or self.needs


E = TypeVar("E", bound=Entry)


class Registry(Generic[E]):
    """Entries of one kind in registration order (the preference order where that matters)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "architecture", "detector", ...: the word error messages use
        self._entries: dict[str, E] = {}

    def add(self, entry: E) -> E:
        """Register `entry`; a name can be registered once."""
        if entry.name in self._entries:
            raise EmopyError(f"{self.kind} {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        return entry

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self._entries)

    def available(self) -> list[str]:
        """Names whose dependencies are installed here, in registration order (`Entry.missing` says the rest's)."""
        return [e.name for e in self if e.missing() is None]

    def get(self, name: str) -> E:
        """The entry called `name`; an unknown name raises UnknownNameError with the closest names."""
        if name not in self._entries:
            raise unknown_name(self.kind, name, self.names())
        return self._entries[name]

    def load(self, name: str) -> Any:
        """Import and return the target of `name`; MissingExtraError says what to install when it cannot load."""
        entry = self.get(name)
        install = entry.missing()
        if install is not None:
            raise MissingExtraError(str(entry.needs), install=install)
        module, _, attribute = entry.target.partition(":")
        return getattr(importlib.import_module(module), attribute)
