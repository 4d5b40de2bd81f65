"""“Data of this kind changed”, told to whoever listens once the transaction commits.

The domain services (leads, orders, service, mdf) call `data_changed("leads")` where they change
what the dashboards count; analytics, which sits above them, registers a listener in its
AppConfig.ready() (`on_data_changed`). So the lower apps never import analytics (DESIGN.md
layering), and there is no business logic in a signal: a service names the kind it changed, and
the listeners run after the commit only, once per transaction and kind however many rows changed,
never after a rollback. Outside a transaction (autocommit) they run at once.

Kinds in use: "leads", "orders", "service", "mdf", "registrations".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)

Listener = Callable[[str], None]
_listeners: list[Listener] = []


def on_data_changed(listener: Listener) -> Listener:
    """Register `listener(kind)` to run after each commit that changed data (once per kind). The
    same function registered twice runs once. Usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def remove_listener(listener: Listener) -> None:
    """Forget a listener (tests)."""
    if listener in _listeners:
        _listeners.remove(listener)


class _Notify:
    """The on-commit callback of one kind: calls every listener; a listener that fails is logged
    and does not stop the others (the change is committed already, it must not fail the request)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self) -> None:
        for listener in list(_listeners):
            try:
                listener(self.kind)
            except Exception:
                logger.exception("A listener of data changes (%s) failed", self.kind)

    def __repr__(self) -> str:
        return f"<data_changed {self.kind!r}>"


def data_changed(kind: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Say that data of `kind` changed: the listeners hear of it once the current transaction
    commits, once per transaction and kind (a batch of 1,000 rows, or 1,000 calls, is one
    notification); nothing is heard after a rollback. Cheap enough to call on every change."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and _pending(connection.run_on_commit, kind):
        return
    transaction.on_commit(_Notify(kind), using=using)


def is_notification(callback: object) -> bool:
    """Is this on-commit callback a data-change notification (tests that look at the callbacks a
    service queued tell these from e-mails and tasks)?"""
    return isinstance(callback, _Notify)


def _pending(callbacks: list[tuple[set[str], Callable[[], None], bool]], kind: str) -> bool:
    """Is a notification of `kind` already waiting for this transaction's commit? Django's own
    list of on-commit callbacks is the truth here: it drops the callbacks of a rolled-back
    savepoint, so a kind registered there is registered again by the next change."""
    return any(isinstance(func, _Notify) and func.kind == kind for _sids, func, _robust in callbacks)
