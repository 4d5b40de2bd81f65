"""core.changes: the listeners hear of a change once per transaction and kind, after the commit,
never after a rollback. Real transactions (transaction=True): on_commit is what is under test."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from core.changes import data_changed, is_notification, on_data_changed, remove_listener

# Kinds no app listens to (analytics refreshes on "leads", "orders", ...): only our listener hears them.
WIDGETS, GADGETS = "test-widgets", "test-gadgets"

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


@pytest.fixture
def heard():
    calls: list[str] = []

    def listener(kind: str) -> None:
        if kind in (WIDGETS, GADGETS):
            calls.append(kind)

    on_data_changed(listener)
    yield calls
    remove_listener(listener)


def test_listeners_hear_of_a_change_only_after_the_commit(heard):
    with transaction.atomic():
        data_changed(WIDGETS)
        assert heard == []
    assert heard == [WIDGETS]


def test_one_notification_per_transaction_and_kind(heard):
    with transaction.atomic():
        for _ in range(1000):
            data_changed(WIDGETS)
        data_changed(GADGETS)
        with transaction.atomic():  # a savepoint that is kept
            data_changed(WIDGETS)
            data_changed(GADGETS)
    assert sorted(heard) == [GADGETS, WIDGETS]


def test_each_transaction_notifies_again(heard):
    for _ in range(3):
        with transaction.atomic():
            data_changed(WIDGETS)
            data_changed(WIDGETS)
    assert heard == [WIDGETS, WIDGETS, WIDGETS]


def test_nothing_is_heard_after_a_rollback(heard):
    with pytest.raises(Boom), transaction.atomic():
        data_changed(WIDGETS)
        raise Boom
    assert heard == []
    with transaction.atomic():  # and the next transaction is not taken for a duplicate
        data_changed(WIDGETS)
    assert heard == [WIDGETS]


def test_a_change_in_a_rolled_back_savepoint_is_not_heard(heard):
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            data_changed(WIDGETS)
            raise Boom
        data_changed(GADGETS)
    assert heard == [GADGETS]


def test_a_change_after_a_rolled_back_savepoint_is_heard_once(heard):
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            data_changed(WIDGETS)
            raise Boom
        data_changed(WIDGETS)  # registered again: the savepoint took its callback with it
        data_changed(WIDGETS)
    assert heard == [WIDGETS]


def test_outside_a_transaction_the_listeners_hear_at_once(heard):
    data_changed(WIDGETS)
    assert heard == [WIDGETS]


def test_a_failing_listener_is_logged_and_the_next_one_still_hears(caplog):
    calls: list[str] = []

    def broken(kind: str) -> None:
        if kind == WIDGETS:
            raise RuntimeError("listener broke")

    def recorder(kind: str) -> None:
        if kind == WIDGETS:
            calls.append(kind)

    on_data_changed(broken)  # first: its failure must not silence the listener after it
    on_data_changed(recorder)
    try:
        with caplog.at_level(logging.ERROR, logger="core.changes"), transaction.atomic():
            data_changed(WIDGETS)  # and the commit itself does not raise
    finally:
        remove_listener(broken)
        remove_listener(recorder)
    assert calls == [WIDGETS]
    assert "A listener of data changes (test-widgets) failed" in caplog.text
    assert "listener broke" in caplog.text


@pytest.mark.django_db  # the test's own transaction: the callbacks are captured, not run
def test_notifications_are_told_apart_from_other_on_commit_callbacks(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        transaction.on_commit(lambda: None)
        data_changed(WIDGETS)
    assert [is_notification(c) for c in callbacks] == [False, True]


def test_a_listener_registered_twice_hears_once():
    calls: list[str] = []

    def listener(kind: str) -> None:
        if kind == WIDGETS:
            calls.append(kind)

    assert on_data_changed(listener) is listener
    on_data_changed(listener)
    try:
        with transaction.atomic():
            data_changed(WIDGETS)
    finally:
        remove_listener(listener)
    assert calls == [WIDGETS]
    data_changed(WIDGETS)  # removed: not heard any more
    assert calls == [WIDGETS]
