"""Keyset paging walks every row exactly once, both ways, and refuses forged cursors."""

import pytest

from core.paging import InvalidCursor, decode_cursor, encode_cursor, keyset_page
from partners.models import Partner
from tests.factories import PartnerFactory, TierFactory


@pytest.fixture
def partners(db):
    tier = TierFactory(name="T", rank=1)
    # Duplicate names force the id tie-breaker to matter.
    return [PartnerFactory(name=f"Name {i // 3:02d}", tier=tier) for i in range(23)]


@pytest.mark.parametrize("order", ["name", "-name", "created_at", "-created_at", "tier__rank"])
def test_walking_forward_visits_every_row_once_in_order(partners, order):
    seen, cursor = [], None
    while True:
        page = keyset_page(Partner.objects.all(), order=order, after=cursor, size=5)
        seen.extend(page.items)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert len(seen) == 23
    assert len({p.pk for p in seen}) == 23
    expected = list(
        Partner.objects.order_by(*([order, "pk"] if not order.startswith("-") else [order, "-pk"]))
    )
    assert [p.pk for p in seen] == [p.pk for p in expected]


def test_walking_back_returns_the_previous_page(partners):
    first = keyset_page(Partner.objects.all(), order="name", size=5)
    second = keyset_page(Partner.objects.all(), order="name", after=first.next_cursor, size=5)
    back = keyset_page(Partner.objects.all(), order="name", before=second.prev_cursor, size=5)
    assert [p.pk for p in back.items] == [p.pk for p in first.items]
    assert not back.has_prev
    assert back.has_next


def test_last_page_has_no_next(partners):
    page = keyset_page(Partner.objects.all(), order="name", size=50)
    assert len(page.items) == 23
    assert not page.has_next and page.next_cursor is None


@pytest.mark.parametrize("token", ["garbage", "", "e30", "W10", encode_cursor("-name", "x", 1)])
def test_forged_or_foreign_cursor_is_refused(token):
    with pytest.raises(InvalidCursor):
        decode_cursor(token, "name")


@pytest.mark.parametrize(
    ("order", "value", "pk"),
    [
        ("tier__rank", "abc", 1),
        ("name", 7, 1),
        ("created_at", "yesterday", 1),
        ("name", "x", 2**70),
        ("name", "a\x00", 1),
    ],
)
def test_cursor_values_that_do_not_fit_the_column_are_refused(partners, order, value, pk):
    with pytest.raises(InvalidCursor):
        keyset_page(Partner.objects.all(), order=order, after=encode_cursor(order, value, pk), size=5)
