"""Placeholder: being written by a helper."""


def customer_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def customer_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

