"""Placeholder: written by a helper."""


def dashboard(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError

