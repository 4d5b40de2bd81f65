"""Placeholder: written by a helper."""


def application_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def application_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def application_approve(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def application_reject(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

