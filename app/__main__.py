"""Command line of the package: `python -m app <command>` (see `--help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from app.config import Environment, Settings, get_settings
from app.db import async_url, create_engine, create_sessionmaker, resolve_database_url
from app.i18n import Language, translate
from app.models.enums import STAFF_ROLES, Role

ROOT = Path(__file__).resolve().parent.parent


def migrate(url: str) -> None:
    """Apply every alembic migration (`alembic upgrade head`) to the database at `url`."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    command.upgrade(config, "head")


async def _load_sample(url: str) -> tuple[int, int, int]:
    """The sample catalogue (loaded or refreshed) and the sample FAQ (when the FAQ is empty)."""
    from app.services import clock, faq
    from app.services.catalogue import load_sample

    engine = create_engine(url, get_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            administrations, services = await load_sample(session)
            questions = await faq.load_sample(session, clock.now())
            await session.commit()
            return administrations, services, questions
    finally:
        await engine.dispose()


async def _users(url: str, args: argparse.Namespace) -> str:
    """`users create|deactivate|reactivate|reset-password|enroll-totp`; an `otpauth://` URI,
    when there is one, alone on the last line."""
    from app.services import clock, password_resets, totp
    from app.services.users import (
        UserError,
        create_user,
        deactivate,
        enroll_totp,
        find_by_email,
        reactivate,
        set_password,
    )

    settings = get_settings()
    engine = create_engine(url, settings)
    try:
        async with create_sessionmaker(engine)() as session:
            now = clock.now()
            if args.user_command == "create":
                try:
                    user = await create_user(
                        session,
                        email=args.email,
                        password=args.password,
                        role=Role(args.role),
                        administration_code=args.administration,
                        full_name=args.full_name or "",
                        settings=settings,
                    )
                except UserError as exc:
                    raise SystemExit(f"error: {exc}") from None
                output = f"created {user.role} {user.email} (id {user.id})"
                secret = user.totp_secret
            else:
                found = await find_by_email(session, args.email, lock=True)
                if found is None:
                    raise SystemExit(f"error: no staff account has the email {args.email}")
                user, secret = found, None
                if args.user_command == "deactivate":
                    await deactivate(session, user, now)
                    output = f"deactivated {user.email}; its tokens are revoked"
                elif args.user_command == "reactivate":
                    await reactivate(session, user)
                    output = f"reactivated {user.email}"
                elif args.user_command == "enroll-totp":
                    secret = await enroll_totp(session, user)
                    output = (
                        f"enrolled a new second factor for {user.email}; its tokens are revoked"
                    )
                elif args.password is not None:  # reset-password --password
                    problems = await set_password(session, user, args.password, settings, now)
                    if problems:
                        message = translate(f"field.{problems[0].code}", "en", **problems[0].params)
                        raise SystemExit(f"error: password: {message}")
                    output = f"changed the password of {user.email}; its tokens are revoked"
                else:
                    if not user.active:
                        raise SystemExit(f"error: {user.email} is deactivated: reactivate it first")
                    language = cast(Language, settings.default_language)
                    expires = await password_resets.issue(session, user, settings, now, language)
                    output = (
                        f"queued a one-time password-reset link to {user.email}, "
                        f"valid until {expires.isoformat(timespec='minutes')}"
                    )
            await session.commit()
            if secret:
                uri = totp.provisioning_uri(secret, user.email, settings.totp_issuer)
                # The secret is shown once: scanned now, it is never printed again.
                output += "\nscan this in an authenticator app (shown once):\n" + uri
            return output
    finally:
        await engine.dispose()


async def _api_keys(url: str, args: argparse.Namespace) -> str:
    from app.services import api_keys, clock

    engine = create_engine(url, get_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            try:
                if args.key_command == "create":
                    key, record = await api_keys.create(
                        session,
                        administration_code=args.administration,
                        name=args.name,
                        now=clock.now(),
                    )
                    code = args.administration.upper()
                    note = f"created key {record.id} for {code}; copy it now, it is not stored"
                    output = f"{note}:\n{key}"
                elif args.key_command == "revoke":
                    await api_keys.revoke(session, args.id, clock.now())
                    output = f"revoked key {args.id}"
                else:
                    rows = await api_keys.listing(session, args.administration)
                    output = (
                        "\n".join(
                            f"{k.id}\t{code}\t{k.name}\t{'revoked' if k.revoked_at else 'active'}"
                            for k, code in rows
                        )
                        or "no keys"
                    )
            except api_keys.ApiKeyError as exc:
                raise SystemExit(f"error: {exc}") from None
            await session.commit()
            return output
    finally:
        await engine.dispose()


async def _reindex(url: str) -> int:
    """Every request's search text again, a batch per transaction."""
    from app.services.search import reindex_batch

    engine = create_engine(url, get_settings())
    done, last = 0, 0
    try:
        while True:
            async with create_sessionmaker(engine)() as session:
                ids = await reindex_batch(session, last)
                await session.commit()
            if not ids:
                return done
            done, last = done + len(ids), ids[-1]
    finally:
        await engine.dispose()


async def _run_due(url: str, at: str | None) -> str:
    """All the clock's work (`app.services.clockwork`) as of `--at` (drills, tests) or now."""
    from app.services import clockwork

    settings = get_settings()
    moment = _instant(at, settings)
    engine = create_engine(url, settings)
    try:
        return str(await clockwork.run_due(create_sessionmaker(engine), settings, moment))
    finally:
        await engine.dispose()


def _instant(text: str | None, settings: Settings) -> datetime:
    """`--at`: an ISO-8601 instant (UTC when it names no offset), or now. Production refuses
    one in the future: purging ahead of time would erase data still within its retention, and
    escalating or closing ahead of time would blame administrations for deadlines not missed."""
    from app.services import clock

    now = clock.now()
    if text is None:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"error: --at: not an ISO-8601 instant: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if settings.environment is Environment.production and moment > now:
        raise SystemExit("error: --at: an instant in the future is refused in production")
    return moment


async def _purge(url: str, at: str | None) -> int:
    from app.services import privacy

    settings = get_settings()
    moment = _instant(at, settings)
    engine = create_engine(url, settings)
    try:
        return await privacy.purge(create_sessionmaker(engine), settings, moment)
    finally:
        await engine.dispose()


async def _worker(url: str) -> None:
    """The dispatcher and the periodic work, without the HTTP API (scale them separately)."""
    from app.services.dispatcher import run_forever
    from app.tasks import periodic

    settings = get_settings()
    engine = create_engine(url, settings)
    sessionmaker = create_sessionmaker(engine)
    try:
        await asyncio.gather(run_forever(sessionmaker, settings), periodic(sessionmaker, settings))
    finally:
        await engine.dispose()


def _database_url() -> str:
    url = resolve_database_url(get_settings())
    # Children (uvicorn workers, alembic) reuse the same server rather than starting another.
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    return url


def uvicorn_options() -> dict[str, Any]:
    """How `serve` runs uvicorn. Proxy headers are the app's business (`FORWARDED_ALLOW_IPS`,
    trusted nobody by default): uvicorn's own handling would trust 127.0.0.1 whatever is set.
    Logs are JSON lines, and uvicorn's access log (raw paths, with tracking numbers) is off: the
    app writes its own, with route templates."""
    from app.logging import LOG_CONFIG

    return {
        "proxy_headers": False,
        "server_header": False,
        "log_config": LOG_CONFIG,
        "access_log": False,
    }


def serve() -> None:
    import tempfile

    import uvicorn

    from app import logging as app_logging

    app_logging.install(force=True)
    settings = get_settings()
    url = _database_url()
    migrate(url)
    administrations, services, questions = asyncio.run(_load_sample(url))
    logging.getLogger("app").info(
        "sample catalogue: %d administrations, %d services; %d new FAQ entries",
        administrations,
        services,
        questions,
    )
    logging.getLogger("app").info("Chikaya API on http://%s:%d/docs", settings.host, settings.port)
    # Uvicorn re-raises SIGTERM after its graceful shutdown; the default action would kill the
    # process before `atexit` runs, leaving the embedded PostgreSQL behind. Exit normally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="chikaya-metrics-") as metrics_dir:
        if settings.web_concurrency > 1:
            # Workers are new processes: prometheus-client's multiprocess mode, set before they
            # import it, sums their counters in whichever worker answers /metrics.
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
        uvicorn.run(
            "app.asgi:app",
            host=settings.host,
            port=settings.port,
            workers=settings.web_concurrency,
            **uvicorn_options(),
        )


def _group(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, dest: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command with subcommands of its own (`dest` names the one chosen)."""
    return commands.add_parser(name, help=help).add_subparsers(dest=dest, required=True)


def _as_of_command(
    group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, verb: str
) -> None:
    """A command that runs as of an instant: its `--at` option (`_instant` reads it)."""
    group.add_parser(name, help=help).add_argument(
        "--at",
        help=f"the instant to {verb} as of (ISO-8601, UTC unless an offset is given); default: "
        "now; refused in the future with ENVIRONMENT=production",
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("pgserver", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m app", description="Chikaya API")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate, load the sample catalogue and serve the API")
    commands.add_parser("openapi", help="print the OpenAPI document")
    commands.add_parser("worker", help="send the outbox's messages (and run periodic work)")
    db = _group(commands, "db", "database", "db_command")
    db.add_parser("upgrade", help="apply the migrations")
    cat = _group(commands, "catalogue", "catalogue", "cat_command")
    cat.add_parser("load-sample", help="load the sample catalogue (idempotent)")
    life = _group(commands, "lifecycle", "lifecycle", "life_command")
    _as_of_command(
        life,
        "run-due",
        "run all the clock's work once: due-soon alerts, escalations, auto-close, reopen "
        "reminders, the retention purge and housekeeping",
        "run",
    )
    privacy_cmd = _group(commands, "privacy", "personal data (law 09-08)", "privacy_command")
    _as_of_command(
        privacy_cmd,
        "purge",
        "anonymize requests closed or rejected more than RETENTION_DAYS_AFTER_CLOSE days ago "
        "(idempotent)",
        "purge",
    )
    requests_cmd = _group(commands, "requests", "requests", "requests_command")
    requests_cmd.add_parser(
        "reindex", help="recompute every request's search text (after an upgrade that asks it)"
    )
    keys = _group(commands, "api-keys", "integration API keys", "key_command")
    key_create = keys.add_parser("create", help="create a key; prints it alone on the last line")
    key_create.add_argument("--administration", required=True)
    key_create.add_argument("--name", required=True)
    key_revoke = keys.add_parser("revoke", help="revoke a key")
    key_revoke.add_argument("--id", type=int, required=True)
    key_list = keys.add_parser("list", help="list keys (never the keys themselves)")
    key_list.add_argument("--administration")
    user_cmd = _group(commands, "users", "staff accounts", "user_command")
    create = user_cmd.add_parser(
        "create",
        help="create a staff account (supervisors and national admins: prints the otpauth:// "
        "URI of their second factor alone on the last line)",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in STAFF_ROLES],
    )
    create.add_argument("--administration", help="administration code (agents and supervisors)")
    create.add_argument("--full-name", dest="full_name")
    for name, text in (
        ("deactivate", "deactivate an account and revoke its tokens"),
        ("reactivate", "let a deactivated account log in again"),
        (
            "reset-password",
            "email a one-time reset link (or, with --password, set the password); "
            "revokes the account's tokens when the password changes",
        ),
        (
            "enroll-totp",
            "a new TOTP second factor; prints the otpauth:// URI alone on the last line",
        ),
    ):
        command = user_cmd.add_parser(name, help=text)
        command.add_argument("--email", required=True)
        if name == "reset-password":
            command.add_argument("--password", help="the new password, set at once")
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve()
    elif args.command == "worker":
        from app import logging as app_logging

        app_logging.install(force=True)  # a service: JSON lines, like `serve`
        asyncio.run(_worker(_database_url()))
    elif args.command == "openapi":
        from app.main import create_app

        print(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False))
    elif args.command == "db":
        migrate(_database_url())
    elif args.command == "catalogue":
        administrations, services, questions = asyncio.run(_load_sample(_database_url()))
        print(
            f"sample catalogue loaded: {administrations} administrations, {services} services; "
            f"{questions} new FAQ entries"
        )
    elif args.command == "lifecycle":
        print(asyncio.run(_run_due(_database_url(), args.at)))
    elif args.command == "privacy":
        print(f"anonymized {asyncio.run(_purge(_database_url(), args.at))} requests")
    elif args.command == "requests":
        print(f"reindexed {asyncio.run(_reindex(_database_url()))} requests")
    elif args.command == "api-keys":
        print(asyncio.run(_api_keys(_database_url(), args)))
    elif args.command == "users":
        print(asyncio.run(_users(_database_url(), args)))


if __name__ == "__main__":
    main()
