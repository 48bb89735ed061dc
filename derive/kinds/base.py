"""What a problem kind is: the contract every family of problems fulfils, and the registry of kinds.

A kind is a class deriving from ``Kind`` with

- ``name`` (what a spec's ``kind =`` says; ``aliases`` are accepted too) and a one-line ``summary``;
- ``asks``: its questions, each with a line saying what it answers;
- ``fields``: its spec keys (``derive.declare.Field``: name, type, a line of documentation, default); the
  loader refuses any other key, checks each key's presence, type and range and fills its default before
  ``configure``; the docs' field tables, ``derive example``'s comments and ``derive schema`` are made from them;
- ``notation``: its symbols with how they are written (``derive.notation.Notation``);
- ``configure(values, asks) -> config``: the part's values (problem keys merged with part keys), read by
  the declarations (``derive.declare.Values``: typed, defaults filled, ``given`` the keys the spec gives),
  made into a frozen config by the rules between keys, raising ``FieldError`` naming the field;
- ``setting(config) -> Text``: the situation the part's questions are asked about;
- ``solve(config, ask) -> Solution``: one question derived step by step (then checked by derive);
- ``example()``: a commented spec that derives (by default ``derive/data/examples/<name>.toml``, its
  ``#: keys`` line made into the listing of the kind's keys from their declarations).

Every kind, built-in or a course's own, is found through the entry-point group ``derive.kinds`` (an entry
point names a Kind subclass; derive's own pyproject names the built-in ones, aliases included), so a
pip-installable package adds a kind without touching derive.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Iterator, Mapping

from ..declare import REQUIRED, Field, Rule
from ..errors import DeriveError
from ..notation import EMPTY, Notation
from ..plugins import ours, packages
from ..steps import Solution, Text

ENTRY_POINTS = "derive.kinds"


def written_as_decimal(value) -> bool:
    """Whether a spec's value holds a number written as a decimal: a float that is not whole (3.2, 1e-8)."""
    if isinstance(value, float):
        return not value.is_integer()
    if isinstance(value, Mapping):
        return any(written_as_decimal(v) for v in value.values())
    return isinstance(value, (list, tuple)) and any(written_as_decimal(v) for v in value)


class Kind(abc.ABC):
    """A family of problems: its spec fields, its questions, its notation, and how it derives them."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""
    asks: ClassVar[Mapping[str, str]] = {}
    fields: ClassVar[tuple[Field, ...]] = ()
    notation: ClassVar[Notation] = EMPTY

    @abc.abstractmethod
    def configure(self, values: dict, asks: tuple[str, ...]) -> Any:
        """The part's values, validated (FieldError names the field)."""

    @abc.abstractmethod
    def setting(self, config) -> Text:
        """The situation the questions are asked about, with the spec's values."""

    @abc.abstractmethod
    def solve(self, config, ask: str) -> Solution:
        """One question, derived step by step."""

    def shown(self, notation: Mapping, config, configs: list) -> Mapping:
        """The notation a part (its configuration ``config``, among its problem's ``configs``) is shown in: the
        kind's own (``notation``, in the spec's style) unless one of the kind's symbols would then stand for two
        things within the problem (derive.notation.Rewritten: the graph kind's sigmoid beside a spec's σ)."""
        return notation

    def setting_among(self, config, configs: list) -> Text:
        """A part's setting among its problem's parts: ``setting``, and a word on any symbol ``shown`` writes
        otherwise in it."""
        return self.setting(config)

    def decimals(self, values: Mapping) -> bool:
        """Whether a part whose spec gives ``values`` reads its numbers in decimals, as the spec wrote them (3.2,
        not 16/5; the values underneath stay exact): when the spec writes a number as a decimal (a float that is
        not whole). A kind whose numbers come in other ways (equations as text) says so here."""
        return written_as_decimal(values)

    def example(self) -> str:
        """A commented spec that derives: the bundled file of a built-in kind, its ``#: keys`` line made into the
        listing of the kind's keys from their declarations (a kind from another package overrides this method,
        and may call ``derive.listings.example`` likewise)."""
        from importlib import resources
        from ..listings import example
        path = resources.files("derive") / "data" / "examples" / f"{self.name}.toml"
        if not path.is_file():
            raise PluginError(f"the kind {self.name!r} comes with no example spec")
        return example(path.read_text(encoding="utf-8"), self)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


# --- the registry -----------------------------------------------------------------------------

class Registry(Mapping):
    """Every kind by name (aliases included), found through the entry-point group ``derive.kinds``: derive's
    own (the built-in kinds, listed first) and those of installed packages. An entry point is loaded the
    first time one of its names is asked for; listing every kind loads them all. A package whose kind fails
    to load, is not a Kind, or takes a name already taken is reported in ``problems`` (one line each, naming
    the package), and the other kinds are unaffected."""

    def __init__(self):
        self._points: dict[str, object] | None = None     # name: the entry point that provides it
        self._kinds: dict[str, Kind] = {}
        self._instances: dict[type, Kind] = {}
        self._failed: dict[str, str] = {}                  # entry point name: why it did not load
        self._of: dict[int, str] = {}                      # id of an entry point: its distribution's name
        self.problems: list[str] = []

    def _package(self, ep) -> str:
        return self._of.get(id(ep), "an unknown package")

    def _index(self) -> dict[str, object]:
        if self._points is None:
            from importlib import metadata
            points = list(metadata.entry_points(group=ENTRY_POINTS))
            self._of = packages(points)
            self._points = {}
            for ep in sorted(points, key=lambda ep: (not ours(self._package(ep)), self._package(ep))):
                if ep.name in self._points:
                    first = self._package(self._points[ep.name])
                    self._problem(f"the package {self._package(ep)} names a kind {ep.name!r}, as {first} does; "
                                  f"the kind of {first} is used")
                else:
                    self._points[ep.name] = ep
        return self._points

    def _problem(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)

    def _load(self, ep) -> None:
        """Load one entry point and register its kind under its name and aliases (names taken stay taken)."""
        if ep.name in self._failed or (ep.name in self._kinds and self._kinds[ep.name] is not None):
            return
        try:
            cls = ep.load()
        except Exception as err:  # noqa: BLE001 - a broken package must not break derive
            self._fail(ep, f"failed to load: {type(err).__name__}: {err}")
            return
        if not (isinstance(cls, type) and issubclass(cls, Kind)):
            self._fail(ep, "is not a derive Kind class")
            return
        kind = self._instances.setdefault(cls, cls())
        for name in dict.fromkeys((ep.name, cls.name, *cls.aliases)):
            owner = self._kinds.setdefault(name, kind)
            if owner is not kind:
                self._problem(f"the package {self._package(ep)} names a kind {name!r}, as {type(owner).__module__} "
                              f"does; the first one loaded is used")

    def _fail(self, ep, why: str) -> None:
        self._failed[ep.name] = f"the kind {ep.name!r} of the package {self._package(ep)} ({ep.value}) {why}"
        self._problem(self._failed[ep.name])

    def _find(self, name) -> Kind | None:
        if not isinstance(name, str):
            return None
        if name not in self._kinds and name in self._index():
            self._load(self._index()[name])
        if name not in self._kinds:
            self._all()                                   # an alias named only by its class
        return self._kinds.get(name)

    def _all(self) -> dict[str, Kind]:
        for ep in self._index().values():
            self._load(ep)
        return self._kinds

    def __getitem__(self, name: str) -> Kind:
        kind = self._find(name)
        if kind is None:
            if isinstance(name, str) and name in self._failed:
                raise PluginError(self._failed[name])
            raise KeyError(name)
        return kind

    def __contains__(self, name) -> bool:
        return self._find(name) is not None or (isinstance(name, str) and name in self._failed)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def kinds(self) -> list[Kind]:
        """Each kind once (aliases folded), built-in first, then by name."""
        builtin = {ep.name for ep in self._index().values() if ours(self._package(ep))}
        seen: dict[int, Kind] = {}
        for kind in self._all().values():
            seen.setdefault(id(kind), kind)
        return sorted(seen.values(), key=lambda k: (k.name not in builtin, k.name))

    def refresh(self) -> None:
        """Look for installed kinds again (after a package was installed in this process)."""
        self.__init__()


class PluginError(DeriveError):
    """An installed kind package is broken: its entry point does not load or is not a Kind."""


KINDS = Registry()

__all__ = ["Kind", "Field", "REQUIRED", "Rule", "KINDS", "ENTRY_POINTS", "PluginError"]
