"""Placeholder: written by a helper."""


def home(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError

