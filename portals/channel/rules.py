"""Placeholder: being written by a helper."""


def rule_list(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def rule_create(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def rule_edit(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def rule_delete(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

