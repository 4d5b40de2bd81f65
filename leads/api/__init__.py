"""The leads API (see docs/api.md): /leads (capture, list, the lead's workflow, CSV import),
/dispatch-rules and /deal-registrations, one router each.

Reads go through leads.selectors (scoped by partners.access), changes through leads.services. The order
of checks keeps existence private: a record is first fetched through the caller's scope (outside it:
404), then the action rule is checked (a wrong role: 403), then the workflow (a move it does not allow:
409). Bad input is a 422 with field errors and changes nothing."""

from leads.api.leads import router
from leads.api.registrations import registrations_router
from leads.api.rules import rules_router

__all__ = ["registrations_router", "router", "rules_router"]
