"""Full-text search of the knowledge base.

On PostgreSQL each solution carries its weighted document in a stored generated column
(`Solution.search_vector`: title weight A, problem B, solution text and tags C, English stemming),
served by a GIN index (migration 0002), matched with `websearch_to_tsquery` and ordered by
`ts_rank`. On SQLite (the embedded default) the column is NULL and the search falls back to
`LIKE` on the same fields, ranked by where the words were found (title 3, problem 2, the rest 1).

A ranked list pages by keyset on (rank, id): `rank_page`. Nothing here imports the models, so that
`service.models` can use `SolutionDocument` for its generated column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Func
from django.db.models.functions import Cast

from core.paging import InvalidCursor, decode_cursor, encode_cursor

SEARCH_CONFIG = "english"
RANK_ORDER = "rank"
# A query is cut to this many words: enough for a problem description, bounded for the planner.
MAX_WORDS = 12
MAX_QUERY_LENGTH = 200
# The most matches a search ranks (see ranked_search).
MAX_RANKED = 2_000
WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*", re.UNICODE)

M = TypeVar("M", bound=models.Model)
# Words the LIKE fallback leaves out (PostgreSQL's English configuration drops its own stop words):
# they occur in nearly every text and would make every solution a match.
STOP_WORDS = frozenset((
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be", "because",
    "been", "before", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has",
    "have", "he", "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "my",
    "no", "not", "of", "on", "one", "or", "our", "out", "she", "so", "some", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "to", "too", "up", "us", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "you",
    "your",
))  # fmt: skip


class SolutionDocument(Func):
    """The weighted document of a solution: `setweight(to_tsvector('english', title), 'A') ||
    … problem 'B' || … solution and tags 'C'`. Immutable, so PostgreSQL stores it as a generated
    column. Other databases get NULL (they search with LIKE)."""

    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("title"), F("problem"), F("solution"), F("tags"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        return "NULL", []

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        columns: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(expression_params)
        title, problem, solution, tags = columns
        config = f"'{SEARCH_CONFIG}'::regconfig"
        sql = (
            f"setweight(to_tsvector({config}, coalesce({title}, '')), 'A') || "
            f"setweight(to_tsvector({config}, coalesce({problem}, '')), 'B') || "
            f"setweight(to_tsvector({config}, coalesce({solution}, '') || ' ' || coalesce({tags}, '')), 'C')"
        )
        return sql, params


def query_words(text: str) -> list[str]:
    """The words of a search, lower-cased, each once, in order; at most MAX_WORDS. Punctuation and
    operators are dropped, so that any text is a valid query."""
    words: list[str] = []
    for match in WORD.finditer((text or "")[: MAX_QUERY_LENGTH * 10].lower()):
        word = match.group(0)
        if word not in words:
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    return words


def uses_full_text(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


class _AmongIds(Func):
    """`id = ANY(ARRAY(<subquery of ids>))`: the subquery runs once (an InitPlan, stopping at its
    LIMIT) and the rows are fetched by primary key. `id IN (<subquery>)` would be planned as a
    semi-join that scans the whole table."""

    arg_joiner = " = ANY(ARRAY("
    template = "(%(expressions)s)))"
    output_field = BooleanField()

    def __init__(self, ids: Subquery) -> None:
        super().__init__(F("pk"), ids)


def _tsquery(words: list[str], *, match_all: bool) -> SearchQuery:
    """The tsquery of the words: all of them (a search), or, for suggestions, any two of them (any
    one when there are fewer than three): a solution sharing a single common word with a typed
    problem ("sensor") is no suggestion, and asking for pairs keeps the candidates few. Words are
    quoted for to_tsquery, which stems them and drops stop words; the word pattern admits no quotes."""
    if match_all:
        return SearchQuery(" ".join(words), search_type="websearch", config=SEARCH_CONFIG)
    words = [w for w in words if w not in STOP_WORDS] or words
    if len(words) < 3:
        return SearchQuery(" or ".join(words), search_type="websearch", config=SEARCH_CONFIG)
    pairs = " | ".join(f"('{a}' & '{b}')" for i, a in enumerate(words) for b in words[i + 1 :])
    return SearchQuery(pairs, search_type="raw", config=SEARCH_CONFIG)


def ranked_search(queryset: QuerySet[M], text: str, *, match_all: bool = True) -> QuerySet[M]:
    """`queryset` narrowed to the rows that match `text`, annotated with `rank` and ordered by it
    (best first, then newest id). `match_all`: every word must occur (a search); else any two of
    them may (suggestions while a problem is typed: the more words a solution shares, the higher it
    ranks). No words: nothing matches.

    On PostgreSQL the ranking reads each match's document, so it is bounded: the newest MAX_RANKED
    matches are ranked (all of them for any but the most common words). Measured at 100,000
    solutions, a word in 22 % of them: 48 ms ranking every match, 11 ms ranking 2,000."""
    words = query_words(text)
    if not words:
        return queryset.none()
    if uses_full_text(queryset):
        query = _tsquery(words, match_all=match_all)
        candidates = queryset.filter(search_vector=query).order_by("-pk").values("pk")[:MAX_RANKED]
        ranked = (
            queryset.filter(_AmongIds(Subquery(candidates)))
            # As double precision: ts_rank's real would come back rounded to its shortest text, and
            # a cursor made from that would not compare equal to the row it came from.
            .annotate(rank=Cast(SearchRank(F("search_vector"), query), FloatField()))
            .order_by("-rank", "-id")
        )
        return cast(QuerySet[M], ranked)
    return _like_search(queryset, words, match_all=match_all)


def _like_search(queryset: QuerySet[M], words: list[str], *, match_all: bool) -> QuerySet[M]:
    """The SQLite fallback: every word (or, for suggestions, any two; any one of fewer than three) in
    title, problem, solution text or tags; the rank adds 3 per word in the title, 2 in the problem, 1
    elsewhere. Stop words and one- or two-letter words (but not numbers) are left out."""
    words = [w for w in words if w not in STOP_WORDS and (len(w) > 2 or any(c.isdigit() for c in w))]
    if not words:
        return queryset.none()
    matches = []
    score: Any = Value(0.0)
    shared: Any = Value(0)
    for word in words:
        in_title, in_problem = Q(title__icontains=word), Q(problem__icontains=word)
        elsewhere = Q(solution__icontains=word) | Q(tags__icontains=word)
        matches.append(in_title | in_problem | elsewhere)
        score = score + Case(
            When(in_title, then=Value(3.0)),
            When(in_problem, then=Value(2.0)),
            When(elsewhere, then=Value(1.0)),
            default=Value(0.0),
            output_field=FloatField(),
        )
        shared = shared + Case(
            When(matches[-1], then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    condition = matches[0]
    for match in matches[1:]:
        condition = (condition & match) if match_all else (condition | match)
    found: Any = queryset.filter(condition)
    if not match_all and len(words) >= 3:
        found = found.alias(shared=shared).filter(shared__gte=2)
    return cast(QuerySet[M], found.annotate(rank=score).order_by("-rank", "-id"))


@dataclass
class RankPage:
    """One page of a ranked search; `next_cursor` continues after its last row."""

    items: list[Any]
    next_cursor: str | None


def rank_page(ranked: QuerySet[Any], *, after: str | None = None, size: int = 20) -> RankPage:
    """A keyset page of a queryset made by `ranked_search`: (rank, id) below the cursor's. Raises
    InvalidCursor for a cursor this function did not make."""
    qs = ranked
    if after:
        value, pk = decode_cursor(after, RANK_ORDER)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= pk <= 2**63 - 1:
            raise InvalidCursor("cursor is not a rank")
        qs = qs.filter(Q(rank__lt=value) | Q(rank=value, pk__lt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    cursor = encode_cursor(RANK_ORDER, float(rows[-1].rank), rows[-1].pk) if more and rows else None
    return RankPage(items=rows, next_cursor=cursor)
