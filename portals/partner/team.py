"""Placeholder: written by a helper."""


def team(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def team_invite(request):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def member_role(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def member_deactivate(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def member_reactivate(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError


def member_resend(request, pk):  # type: ignore[no-untyped-def]
    raise NotImplementedError

