"""Placeholder: being written by a helper."""


def lead_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_create(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_import(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_route(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_dispatch(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_lost(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_settings(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError

