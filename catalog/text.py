"""Short texts for fixed-width fields (OCI's 40-character NEW_ITEM-DESCRIPTION, list cells).

Text is shortened at a word boundary and marked with a trailing "…", so a reader always sees that
something was left out; a word is cut only when it alone is longer than the limit."""

from __future__ import annotations

ELLIPSIS = "…"


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace (spaces, tabs, newlines) become one space; leading and trailing space goes."""
    return " ".join(text.split())


def short_text(text: str, limit: int = 40) -> str:
    """`text` with whitespace collapsed, at most `limit` characters; shortened text ends in "…".

    Cut at the last word boundary where the kept words plus "…" fit; a first word longer than that is cut
    at `limit - 1` characters followed by "…"."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    collapsed = collapse_whitespace(text)
    if len(collapsed) <= limit:
        return collapsed
    room = limit - len(ELLIPSIS)
    words = collapsed.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) > room:
            break
        kept = candidate
    if not kept:
        return words[0][:room] + ELLIPSIS
    # Trailing punctuation that joined words ("Sensor, …") reads badly before the ellipsis.
    kept = kept.rstrip(",;:-–—")
    return (kept or words[0][:room]) + ELLIPSIS


def was_shortened(text: str, limit: int = 40) -> bool:
    """True when `short_text(text, limit)` drops something from `text`."""
    return short_text(text, limit) != collapse_whitespace(text)
