"""End customers (accounts and contacts) that a partner and the brand owner look after together.

Filled by the leads issue; the app exists so that the layering of DESIGN.md is in place."""
