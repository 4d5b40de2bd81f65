"""Demo-data seeders registered by the apps (a registry, so that `seed_demo` in the partners app can
run the seeders of apps above it without importing them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Seeder = Callable[..., int]
_SEEDERS: list[tuple[int, str, Seeder]] = []


def register_seeder(name: str, seeder: Seeder, *, order: int = 100) -> None:
    """Register `seeder(stdout=..., **options) -> records created`, run after the partners' data."""
    if all(existing != name for _, existing, _ in _SEEDERS):
        _SEEDERS.append((order, name, seeder))


def run_seeders(**options: Any) -> int:
    created = 0
    for _, _, seeder in sorted(_SEEDERS, key=lambda item: (item[0], item[1])):
        created += seeder(**options)
    return created
