"""Placeholder: written by a helper."""


def partner_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_create(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_edit(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_status(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_tier(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_managers(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def partner_team(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

