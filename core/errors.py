"""Errors that services raise and every caller (views, API, admin, commands) turns into a message."""

from __future__ import annotations


class InvalidTransition(Exception):
    """A status change that the workflow's transition table does not allow."""

    def __init__(self, current: str, target: str, label: str = "record") -> None:
        self.current = current
        self.target = target
        super().__init__(f"A {label} cannot go from “{current}” to “{target}”.")


class NotAllowed(Exception):
    """The actor may see the record but may not take this action on it (answers 403)."""
