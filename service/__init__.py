"""service: knowledge-base solutions and service requests (see DESIGN.md, Architecture)."""
