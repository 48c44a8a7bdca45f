"""The traceability API: HTTP over the registry's SQL mirror and the chain (see api/main.py)."""
