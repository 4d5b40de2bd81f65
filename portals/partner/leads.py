"""Placeholder: being written by a helper."""


def lead_inbox(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_accept(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_decline(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_assign(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_qualify(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_won(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def lead_lost(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

