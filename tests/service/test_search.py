"""The knowledge-base search: on PostgreSQL real full-text search (weighted tsvector in a generated
column, GIN index, websearch_to_tsquery, ts_rank ordering), on SQLite the LIKE fallback with its own
ranking; what partners find (published only); suggestions while a problem is typed; ranked pages.
Each test runs on both databases and asserts what that database is documented to do."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from core.paging import InvalidCursor, encode_cursor
from service import selectors, services
from service.models import Solution
from service.search import MAX_WORDS, query_words, rank_page, ranked_search

pytestmark = pytest.mark.django_db


def make(world, title, problem="Something happens.", solution="Do something.", tags="", published=True):
    return services.solution_create(
        actor=world.admin,
        fields={
            "title": title,
            "problem": problem,
            "solution": solution,
            "tags": tags,
            "published": published,
        },
    )


def titles(solutions) -> list[str]:
    return [s.title for s in solutions]


def test_every_word_must_occur_and_the_title_ranks_first(world, on_postgres):
    in_title = make(world, "Pressure transmitter drift", problem="Reading moves.")
    in_problem = make(world, "Reading moves with heat", problem="The pressure transmitter shows drift.")
    in_text = make(world, "Calibration routine", solution="Against pressure drift fit a siphon.")
    make(world, "Pressure switch chattering", problem="Toggles around the set point.")

    found = list(selectors.solution_list(world.pe_a, q="pressure drift"))

    assert titles(found) == [in_title.title, in_problem.title, in_text.title]
    assert found[0].rank > found[1].rank > found[2].rank
    if on_postgres:
        assert isinstance(found[0].rank, float)


def test_full_text_stems_words_and_the_fallback_matches_text(world, on_postgres):
    make(world, "Sensor drifts after warm-up", problem="Values are drifting.")

    stemmed = titles(selectors.solution_list(world.pe_a, q="drifted"))
    partial = titles(selectors.solution_list(world.pe_a, q="warm"))

    if on_postgres:
        assert stemmed == ["Sensor drifts after warm-up"]  # drift, drifts, drifting, drifted: one stem
    else:
        assert stemmed == []  # LIKE '%drifted%' finds nothing: no stemming on SQLite
    assert partial == ["Sensor drifts after warm-up"]


def test_partners_find_published_solutions_only(world, service):
    partner = titles(selectors.solution_list(world.pe_a, q="pressure drift"))
    channel = titles(selectors.solution_list(world.cm_a, q="pressure drift"))

    assert partner == ["Pressure reading drifts after warm-up"]
    assert set(channel) == {"Pressure reading drifts after warm-up", "Secret draft about pressure drift"}
    assert list(selectors.solution_list(None, q="pressure")) == []


@pytest.mark.parametrize("text", ["!!! & | :* <->", "'\"\\", "-- ()"])
def test_text_without_words_finds_nothing_and_never_errors(world, service, text):
    assert list(selectors.solution_list(world.pe_a, q=text)) == []
    assert list(ranked_search(Solution.objects.all(), text)) == []


def test_no_search_text_lists_the_published_solutions(world, service):
    assert set(titles(selectors.solution_list(world.pe_a, q="  "))) == {
        service.drift.title,
        service.flicker.title,
    }


def test_operators_in_the_text_are_plain_words(world, service):
    # websearch syntax ("-", "or", quotes) is not passed through: every word is a plain word.
    found = titles(selectors.solution_list(world.pe_a, q='pressure -drift "warm'))
    assert found == ["Pressure reading drifts after warm-up"]


def test_query_words_are_cut_and_deduplicated():
    assert query_words("Drift, drift! Pressure/DRIFT 0-10 bar") == ["drift", "pressure", "0-10", "bar"]
    assert len(query_words(" ".join(f"w{i}" for i in range(50)))) == MAX_WORDS


def test_suggestions_share_two_words_and_prefer_more(world, service):
    make(world, "Pressure switch chattering", problem="Toggles around the set point.")
    make(world, "Transmitter value jumps", problem="The pressure value jumps now and then.")

    text = "Our pressure transmitter drifts after warm-up, the value moves by 2 %"
    suggested = titles(selectors.solution_suggestions(world.pe_a, text))

    assert suggested[0] == "Pressure reading drifts after warm-up"
    assert "Transmitter value jumps" in suggested  # shares three words: suggested, but lower
    assert "Pressure switch chattering" not in suggested  # shares one word only
    assert "Secret draft about pressure drift" not in suggested
    assert "Inductive sensor switches without a target" not in suggested
    assert selectors.solution_suggestions(world.pe_a, "") == []


def test_a_short_text_suggests_on_any_word(world, service):
    assert titles(selectors.solution_suggestions(world.pe_a, "siphon")) == [
        "Pressure reading drifts after warm-up"
    ]
    assert set(titles(selectors.solution_suggestions(world.pe_a, "siphon conveyor"))) == {
        "Pressure reading drifts after warm-up",
        "Inductive sensor switches without a target",
    }


def test_suggestions_are_published_even_for_the_channel(world, service):
    assert "Secret draft about pressure drift" not in titles(
        selectors.solution_suggestions(world.admin, "pressure drift")
    )


def test_ranked_pages_cover_every_match_once(world):
    for n in range(23):
        # Ties on purpose: several solutions of the same text rank equally; the id breaks the tie.
        make(world, f"Valve {n % 4} leaks", problem="valve " * (1 + n % 3) + "leaks at the seal")
    ranked = selectors.solution_list(world.pe_a, q="valve leaks")
    seen, cursor, pages = [], None, 0
    while True:
        page = rank_page(ranked, after=cursor, size=5)
        seen += [s.pk for s in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5 and len(seen) == len(set(seen)) == 23
    assert seen == [s.pk for s in ranked]


@pytest.mark.parametrize(
    "cursor", ["garbage", encode_cursor("-updated_at", "2026-01-01", 3), encode_cursor("rank", "high", 3)]
)
def test_a_cursor_of_another_list_is_refused(world, service, cursor):
    with pytest.raises(InvalidCursor):
        rank_page(selectors.solution_list(world.pe_a, q="pressure"), after=cursor)


def test_the_document_is_a_generated_column_with_a_gin_index_on_postgres(world, service, on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector FROM service_solution WHERE id = %s", [service.drift.pk])
        (document,) = cursor.fetchone()
    if not on_postgres:
        assert document is None  # SQLite has no tsvector: the column is NULL and LIKE searches
        return
    assert re.search(r"'drift':[\d,]*\d+A", document) and "'siphon':" in document  # title words weigh A
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'solution_search'")
        assert "USING gin (search_vector)" in cursor.fetchone()[0]
        # With sequential scans off (the table is tiny), the plan must be able to use the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = selectors.solution_list(world.admin, q="pressure drift").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "solution_search" in plan


def test_changing_a_solution_changes_what_finds_it(world, service):
    services.solution_update(solution=service.flicker, actor=world.admin, fields={"tags": "conveyor, hum"})
    assert titles(selectors.solution_list(world.pe_a, q="hum")) == [service.flicker.title]
    services.solution_set_published(solution=service.flicker, actor=world.admin, published=False)
    assert titles(selectors.solution_list(world.pe_a, q="hum")) == []


def test_postgres_ranks_the_newest_matches_only_up_to_the_cap(world, on_postgres, monkeypatch):
    import service.search

    monkeypatch.setattr(service.search, "MAX_RANKED", 3)
    made = [make(world, f"Valve {n} leaks", problem="valve leaks at the seal") for n in range(6)]

    found = {s.pk for s in selectors.solution_list(world.pe_a, q="valve")}

    if on_postgres:
        assert found == {s.pk for s in made[3:]}  # a very common word: the newest matches are ranked
    else:
        assert found == {s.pk for s in made}  # SQLite (embedded sizes) ranks every match
