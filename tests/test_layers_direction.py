"""Layers point one way: domain below schemas, schemas below services, services below routers.

`app/domain` holds pure helpers (contacts, actors): no database, no web framework, and nothing
above it. Schemas never reach into services or routers. Routers import their models from
`app/schemas`, never define them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel

APP = Path(__file__).resolve().parent.parent / "app"

# Nothing below the services may import them, nor the routers above them.
ABOVE_SCHEMAS = ("app.services", "app.routers", "app.deps", "app.main", "app.repositories")
# The domain stays pure: no database, no web framework, and no app module that brings them
# (the error handlers bring FastAPI, the models SQLAlchemy; only the enums are plain).
ABOVE_DOMAIN = (
    *ABOVE_SCHEMAS,
    "app.schemas",
    "app.errors",
    "app.db",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "asyncpg",
)
DOMAIN_MAY_IMPORT = ("app.models.enums",)


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a source file imports, at any depth (under `TYPE_CHECKING` too)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the file's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            modules.add(base)
            # `from app import services` imports the module `app.services`.
            modules.update(f"{base}.{alias.name}" for alias in node.names)
    return modules


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(layer: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((APP / layer).rglob("*.py")):
        package = ".".join(("app", *path.relative_to(APP).parent.parts))
        for module in sorted(imported_modules(path.read_text(), package)):
            if _within(module, forbidden) and not _within(module, allowed):
                found.append(f"{path.relative_to(APP.parent)} imports {module}")
    return found


def test_the_checker_sees_every_form_of_import():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import sqlalchemy.orm\n"
        "from app import services\n"
        "from ..routers.requests import router\n"
        "if TYPE_CHECKING:\n"
        "    from app.services.lifecycle import Policy\n"
    )
    modules = imported_modules(source, "app.schemas")
    assert "sqlalchemy.orm" in modules
    assert "app.services" in modules
    assert "app.routers.requests" in modules
    assert "app.services.lifecycle" in modules
    assert _within("app.services.lifecycle", ABOVE_SCHEMAS)
    assert not _within("app.servicesque", ABOVE_SCHEMAS)


def test_schemas_never_import_services_or_routers():
    assert violations("schemas", ABOVE_SCHEMAS) == []


def test_the_domain_is_pure():
    assert (APP / "domain" / "contacts.py").exists()
    assert (APP / "domain" / "actors.py").exists()
    assert violations("domain", ABOVE_DOMAIN, DOMAIN_MAY_IMPORT) == []


def _router_modules() -> list[str]:
    return [f"app.routers.{path.stem}" for path in sorted((APP / "routers").glob("*.py"))]


@pytest.mark.parametrize("name", _router_modules())
def test_routers_import_their_models_never_define_them(name):
    module = importlib.import_module(name)
    defined = [
        value.__name__
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        # `Page[Item]` written in a route's signature is a use of a schema, not a definition.
        and value.__pydantic_generic_metadata__["origin"] is None
    ]
    assert defined == [], f"{name} defines {defined}: move them to app/schemas/"
