"""What a problem kind is: the contract every family of problems fulfils, and the registry of kinds.

A kind is a class deriving from ``Kind`` with

- ``name`` (what a spec's ``kind =`` says; ``aliases`` are accepted too) and a one-line ``summary``;
- ``asks``: its questions, each with a line saying what it answers;
- ``fields``: its spec keys (``Field``: name, what is accepted, default, a line of documentation); the
  loader refuses any other key, and ``derive example`` documents them;
- ``notation``: its symbols with how they are written (``derive.notation.Notation``);
- ``configure(values, asks) -> config``: the part's values (problem keys merged with part keys)
  validated into a frozen config, raising ``FieldError`` naming the field;
- ``setting(config) -> Text``: the situation the part's questions are asked about;
- ``solve(config, ask) -> Solution``: one question derived step by step (then checked by derive);
- ``example()``: a commented spec that derives (by default ``derive/data/examples/<name>.toml``).

Built-in kinds register with the ``@register`` decorator; a course's own kinds are found through the
entry-point group ``derive.kinds`` (an entry point names a Kind subclass), so a pip-installable
package adds a kind without touching derive.
"""

from __future__ import annotations

import abc
import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Mapping

from ..errors import DeriveError
from ..notation import EMPTY, Notation
from ..steps import Solution, Text

ENTRY_POINTS = "derive.kinds"
REQUIRED = object()           # a Field's default when the key must be given


@dataclass(frozen=True)
class Field:
    """One spec key of a kind: its name, what it accepts (in words), its default and what it means."""

    name: str
    accepts: str
    doc: str = ""
    default: Any = None       # REQUIRED: must be given; None: optional without a default

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


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

    def example(self) -> str:
        """A commented spec that derives: the bundled file of a built-in kind (a kind from another
        package overrides this method)."""
        from importlib import resources
        path = resources.files("derive") / "data" / "examples" / f"{self.name}.toml"
        if not path.is_file():
            raise PluginError(f"the kind {self.name!r} comes with no example spec")
        return path.read_text(encoding="utf-8")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


# --- the registry -----------------------------------------------------------------------------

_BUILTIN: dict[str, Kind] = {}
_MODULES: dict[str, str] = {}     # built-in kind name -> the module registering it, imported when first asked for


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: a built-in kind, registered under its name and aliases."""
    kind = cls()
    for name in (cls.name, *cls.aliases):
        if name in _BUILTIN:
            raise ValueError(f"two kinds are named {name!r}")
        _BUILTIN[name] = kind
    return cls


class Registry(Mapping):
    """Every kind by name (aliases included): the built-in ones, then those of installed packages
    (entry-point group ``derive.kinds``), loaded the first time a name is not built in."""

    def __init__(self):
        self._plugins: dict[str, Kind] | None = None

    def _all(self) -> dict[str, Kind]:
        if self._plugins is None:
            from importlib import metadata               # only when a name is not built in, or all are listed
            self._plugins = {}
            for ep in metadata.entry_points(group=ENTRY_POINTS):
                self._add_plugin(ep)
        return {**self._plugins, **_builtin()}

    def _add_plugin(self, ep) -> None:
        try:
            cls = ep.load()
        except Exception as err:                         # a broken plugin must not break derive
            raise PluginError(f"the kind package entry point {ep.name!r} ({ep.value}) failed to load: "
                              f"{type(err).__name__}: {err}") from None
        if not (isinstance(cls, type) and issubclass(cls, Kind)):
            raise PluginError(f"the entry point {ep.name!r} ({ep.value}) is not a derive Kind class")
        kind = cls()
        for name in (cls.name, *cls.aliases):
            if name not in _BUILTIN:
                self._plugins[name] = kind

    def __getitem__(self, name: str) -> Kind:
        return _BUILTIN[name] if _load(name) else self._all()[name]

    def __contains__(self, name) -> bool:
        return _load(name) or name in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def kinds(self) -> list[Kind]:
        """Each kind once (aliases folded), built-in first, then by name."""
        seen: dict[int, Kind] = {}
        for kind in self._all().values():
            seen.setdefault(id(kind), kind)
        builtin = _builtin()
        return sorted(seen.values(), key=lambda k: (k.name not in builtin, k.name))

    def refresh(self) -> None:
        """Look for installed kinds again (after a package was installed in this process)."""
        self._plugins = None


def builtin_modules(package: str, modules: Mapping[str, tuple[str, ...]]) -> None:
    """Declare the built-in kinds: {module of ``package``: the names (and aliases) its kinds register}.
    A module is imported the first time one of its names is asked for; listing every kind imports all."""
    for module, names in modules.items():
        for name in names:
            _MODULES[name] = f"{package}.{module}"


def _load(name) -> bool:
    """Whether ``name`` is a built-in kind, importing the module registering it if need be."""
    if name not in _BUILTIN and isinstance(name, str) and name in _MODULES:
        importlib.import_module(_MODULES[name])
    return name in _BUILTIN if isinstance(name, str) else False


def _builtin() -> dict[str, Kind]:
    """Every built-in kind, by name: the declared ones in the order declared (whatever order their modules
    were imported in), then any registered without a declaration."""
    for module in dict.fromkeys(_MODULES.values()):
        importlib.import_module(module)
    declared = {name: _BUILTIN[name] for name in _MODULES if name in _BUILTIN}
    return {**declared, **_BUILTIN}


class PluginError(DeriveError):
    """An installed kind package is broken: its entry point does not load or is not a Kind."""


KINDS = Registry()

__all__ = ["Kind", "Field", "REQUIRED", "register", "KINDS", "ENTRY_POINTS", "PluginError"]
