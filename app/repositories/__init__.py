"""Data access: one module per domain (same file names as `app/services`), each owning the
statements of its tables, built once at import."""
