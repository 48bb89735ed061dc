"""What the registries of kinds and formats share: the distributions their entry points come from."""

from __future__ import annotations

OURS = "derive-keys"          # the distribution whose entry points are the built-in kinds and formats


def packages(points) -> dict[int, str]:
    """The name of each entry point's distribution, by the entry point's id (read once a distribution)."""
    of_dist: dict[int, str] = {}
    for ep in points:
        dist = getattr(ep, "dist", None)
        if id(dist) not in of_dist:
            of_dist[id(dist)] = name(dist) or "an unknown package"
    return {id(ep): of_dist[id(getattr(ep, "dist", None))] for ep in points}


def name(dist) -> str | None:
    """A distribution's name from the Name header of its metadata, the headers alone read (``dist.name`` parses
    the whole file as an e-mail, derive's README included: a few milliseconds each time)."""
    try:
        headers = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").partition("\n\n")[0]
    except (AttributeError, OSError, UnicodeDecodeError):
        return getattr(dist, "name", None)
    for line in headers.splitlines():
        if line.lower().startswith("name:"):
            return line[5:].strip()
    return getattr(dist, "name", None)


def ours(package: str) -> bool:
    """Whether a distribution's name is derive's own."""
    return package.lower().replace("_", "-") == OURS
