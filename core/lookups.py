"""`field__any_of=[ids]`: membership in a list of values sent as ONE parameter.

On PostgreSQL `field = ANY(%s)` with the list as an array: Django compiles one placeholder instead
of hundreds and psycopg sends one array, which saves milliseconds per query for scopes that are
lists of a few hundred partner ids (measured on a channel manager's MDF queue: 336 ids, compile and
bind 2.5 ms → well under 1 ms). Elsewhere (SQLite) it is the plain `IN (...)`."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Lookup


@models.Field.register_lookup
class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_prep_value(v) for v in self.rhs]
        if not values:
            return "1 = 0", list(lhs_params)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


models.ForeignObject.register_lookup(AnyOf)
