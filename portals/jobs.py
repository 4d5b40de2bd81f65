"""Placeholder: being written by a helper."""


def job_detail(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def job_progress(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def job_error_report(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

