"""Words for prose: lists joined with commas and 'and', counts with their plurals, articles."""

from __future__ import annotations


def join(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items else "")


def join_pieces(items) -> list:
    """Pieces (strings or maths) listing items with commas and 'and', for say(*...)."""
    out = []
    for k, item in enumerate(items):
        if k:
            out.append(" and " if k == len(items) - 1 else ", ")
        out.append(item)
    return out


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 filter', '2 filters', '3 entries' (with many='entries')."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def article(word: str) -> str:
    """'an' before a vowel, else 'a'."""
    return "an" if word[:1].lower() in "aeiou" else "a"


__all__ = ["join", "join_pieces", "plural", "article"]
