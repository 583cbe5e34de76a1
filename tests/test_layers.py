"""Services hold logic, repositories hold queries: no module of `app/services` builds SQL
(`select`, `insert`, `update`, `delete` from SQLAlchemy, or `text` SQL) or imports a web
framework (FastAPI, Starlette) — the HTTP part of a service lives in its router."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "app" / "services"

STATEMENTS = frozenset({"select", "insert", "update", "delete", "text"})
FRAMEWORKS = ("fastapi", "starlette")


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def violations(source: str) -> list[str]:
    """What in `source` builds SQL or reaches for a web framework, one line each."""
    found = []
    tree = ast.parse(source)
    sqlalchemy_modules: set[str] = (
        set()
    )  # names bound to a sqlalchemy module (`import sqlalchemy as sa`)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _top(alias.name) in FRAMEWORKS:
                    found.append(f"line {node.lineno}: import {alias.name}")
                if _top(alias.name) == "sqlalchemy":
                    sqlalchemy_modules.add(alias.asname or _top(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _top(node.module) in FRAMEWORKS:
                found.append(f"line {node.lineno}: from {node.module} import ...")
            if _top(node.module) == "sqlalchemy":
                for alias in node.names:
                    if alias.name in STATEMENTS:
                        found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                    elif node.module == "sqlalchemy":
                        # `from sqlalchemy import sql` and the like, then `sql.select(...)`
                        sqlalchemy_modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in STATEMENTS
            and isinstance(node.value, ast.Name)
            and node.value.id in sqlalchemy_modules
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def _modules() -> list[Path]:
    return sorted(SERVICES.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SERVICES).with_suffix("").as_posix().replace("/", ".")


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_services_build_no_sql_and_import_no_web_framework(path):
    assert violations(path.read_text("utf-8")) == []


def test_the_check_reads_every_service():
    """The walk finds the services (a moved folder would make the check pass on nothing)."""
    names = {_name(p) for p in _modules()}
    assert {"catalogue", "lifecycle", "requests", "stats"} <= names, sorted(names)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select\n",
        "from sqlalchemy import func, update as u\n",
        "from sqlalchemy.dialects.postgresql import insert\n",
        "from sqlalchemy.sql.expression import delete\n",
        "from sqlalchemy import text\n",
        "import sqlalchemy as sa\nsa.select(1)\n",
        "import sqlalchemy\nsqlalchemy.text('select 1')\n",
        "from sqlalchemy import sql\nsql.update(None)\n",
        "from starlette.requests import Request\n",
        "import fastapi\n",
        "from fastapi import Request\n",
    ],
)
def test_the_check_catches_sql_and_frameworks(source):
    assert violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.ext.asyncio import AsyncSession\n",
        "from sqlalchemy.exc import IntegrityError\n",
        "from app.repositories import users as repository\n",
        "storage.delete(key)\ndigest.update(b'')\n",
    ],
)
def test_the_check_lets_the_rest_through(source):
    assert violations(source) == []
