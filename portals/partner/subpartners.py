"""Placeholder: written by a helper."""


def subpartner_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def subpartner_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

