"""The registry of formats: every ``Format`` by name, found through the entry-point group ``derive.formats``.

derive's own formats are entry points of its own distribution, exactly as another package names its own. Lists
of formats (--help, messages) give derive's first, each side in the order of the classes' ``listed``, then by
name. An entry point is loaded the first time its name is asked for; listing the formats loads them all (each a
light class: no renderer is imported). A package whose format fails to load, is not a Format class, says another
name than its entry point, or takes a name already taken is reported in ``problems`` (one line, naming the
package), and asking for that name says why; the other formats are unaffected.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from ..errors import DeriveError
from .format import Format

ENTRY_POINTS = "derive.formats"


from ..plugins import ours, packages


class PluginError(DeriveError):
    """An installed format package is broken: its entry point does not load or is not a Format."""


class Registry(Mapping):
    """Every format by name, built-in ones first (see the module's docstring)."""

    def __init__(self):
        self._points: dict[str, object] | None = None     # name: the entry point that provides it
        self._package: dict[str, str] = {}                 # name: the package of that entry point
        self._formats: dict[str, Format] = {}
        self._failed: dict[str, str] = {}                  # name: why its entry point gave no format
        self.problems: list[str] = []

    def _index(self) -> dict[str, object]:
        if self._points is None:
            from importlib import metadata
            points = list(metadata.entry_points(group=ENTRY_POINTS))
            package = packages(points)
            self._points = {}
            for ep in sorted(points, key=lambda ep: (not ours(package[id(ep)]), package[id(ep)])):
                if ep.name in self._points:
                    first = self._package[ep.name]
                    self._problem(f"the package {package[id(ep)]} names a format {ep.name!r}, as {first} does; "
                                  f"the format of {first} is used")
                else:
                    self._points[ep.name], self._package[ep.name] = ep, package[id(ep)]
        return self._points

    def _problem(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)

    def _load(self, name: str) -> Format | None:
        if name in self._formats or name in self._failed or name not in self._index():
            return self._formats.get(name)
        ep = self._index()[name]
        try:
            cls = ep.load()
            made = cls() if isinstance(cls, type) and issubclass(cls, Format) else None
        except Exception as err:  # noqa: BLE001 - a broken package must not break derive
            return self._fail(ep, f"failed to load: {type(err).__name__}: {err}")
        if made is None:
            return self._fail(ep, "is not a derive Format class")
        if getattr(made, "name", None) != name:
            return self._fail(ep, f"names itself {getattr(made, 'name', None)!r}, not {name!r}")
        self._formats[name] = made
        return made

    def _fail(self, ep, why: str) -> None:
        self._failed[ep.name] = f"the format {ep.name!r} of the package {self._package[ep.name]} ({ep.value}) {why}"
        self._problem(self._failed[ep.name])

    def __getitem__(self, name: str) -> Format:
        form = self._load(name) if isinstance(name, str) else None
        if form is None:
            if name in self._failed:
                raise PluginError(self._failed[name])
            raise KeyError(name)
        return form

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and (self._load(name) is not None or name in self._failed)

    def __iter__(self) -> Iterator[str]:
        return iter([form.name for form in self.formats()])

    def __len__(self) -> int:
        return len(self.formats())

    def formats(self) -> list[Format]:
        """Every format that loads, built-in ones first, each side by ``listed`` and name."""
        loaded = [form for form in map(self._load, list(self._index())) if form is not None]
        return sorted(loaded, key=lambda form: (not ours(self._package[form.name]), form.listed, form.name))

    def failed(self, name: str) -> str | None:
        """Why the format of that name did not load (None when it did, or when no package names it)."""
        if isinstance(name, str):
            self._load(name)
        return self._failed.get(name)

    def check_installed(self, name: str) -> None:
        """PluginError, saying why, when an installed package names that format and does not provide it."""
        why = self.failed(name)
        if why:
            raise PluginError(why)

    def refresh(self) -> None:
        """Look for installed formats again (after a package was installed in this process)."""
        self.__init__()


FORMATS = Registry()


def for_sheet(sheet: str) -> tuple[str, ...]:
    """The names of the formats a sheet ('solutions' or 'problems') can be written in."""
    return tuple(form.name for form in FORMATS.formats() if sheet in form.sheets)


def snippet_formats() -> tuple[str, ...]:
    """The names of the formats `derive snippets` writes."""
    return tuple(form.name for form in FORMATS.formats() if form.snippet_help is not None)


__all__ = ["FORMATS", "Registry", "PluginError", "ENTRY_POINTS", "for_sheet", "snippet_formats"]
