"""showroom: see DESIGN.md (Architecture). Models arrive with the issue that needs them."""
