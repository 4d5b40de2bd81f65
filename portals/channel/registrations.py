"""Placeholder: being written by a helper."""


def registration_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def registration_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def registration_approve(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def registration_reject(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

