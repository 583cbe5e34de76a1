"""Data access per domain: each module owns the queries of its tables, built once at import."""
