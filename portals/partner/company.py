"""Placeholder: written by a helper."""


def company(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def company_edit(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError

