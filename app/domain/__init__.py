"""Pure domain helpers, below schemas and services: no database, no web framework.

Schemas, services, routers and dependencies import from here; nothing here imports them.
"""
