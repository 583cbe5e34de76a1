"""Logging: JSON lines, the request id, and no personal data even in a database traceback."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import observability
from app.db import create_engine
from app.logging import (
    JsonFormatter,
    LineWriter,
    StderrHandler,
    access_line,
    redact,
    request_id,
    sole_json_handler,
)


async def test_statement_parameters_never_reach_an_exception_message(database_url, settings):
    engine = create_engine(database_url, settings)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(
                    text("SELECT CAST(:login AS text), 1 / 0"), {"login": "salma@example.ma"}
                )
            await conn.rollback()
            # asyncpg itself quotes a value it cannot convert: the log line blanks it.
            with pytest.raises(DBAPIError) as echoed:
                await conn.execute(
                    text("SELECT CAST(:login AS integer)"), {"login": "salma@example.ma"}
                )
    finally:
        await engine.dispose()
    assert "salma" not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)
    for caught in (failed, echoed):
        record = logging.LogRecord(
            "app.errors", logging.ERROR, __file__, 1, "unexpected error", (),
            (caught.type, caught.value, caught.tb),
        )  # fmt: skip
        assert "salma" not in JsonFormatter().format(record)


def test_a_line_is_one_json_object_with_the_request_id():
    token = request_id.set("req-0001-abcd")
    try:
        record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "GET %s %d",
                                   ("/api/v1/requests/{tracking_number}", 200), None)  # fmt: skip
        record.method, record.route, record.status, record.duration_ms = (
            "GET",
            "/api/v1/requests/{tracking_number}",
            200,
            3.5,
        )
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-0001-abcd"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "app.access"
    assert entry["route"] == entry["message"].split()[1]
    assert entry["status"] == 200
    assert entry["duration_ms"] == 3.5
    assert entry["time"].endswith("+00:00")


def test_a_traceback_stays_on_one_line_and_loses_personal_data():
    try:
        raise ValueError("no contact for fatima@example.ma / +212612345678 / 7XK2-9MPQ-R4T")
    except ValueError:
        record = logging.LogRecord(
            "app.errors", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "Traceback" in entry["exception"]
    for secret in ("fatima@example.ma", "+212612345678", "7XK2-9MPQ-R4T"):
        assert secret not in line


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("sent to a.b+c@exämple.ma", False),
        ("phone +212612345678", False),
        ("phone 06 12 34 56 78", False),
        ("number 7XK2-9MPQ-R4T", False),
        ("number 7xk29mpqr4t", False),
        ("dispatcher pass failed", True),
        ("auto-closed 12 answered requests at 2026-11-29T20:40:24", True),
        ("error 0f3a9c1e2b4d4e5f8a7b6c5d4e3f2a1b", True),
        ("outbox message 1234 (email) failed, attempt 3", True),
    ],
)
def test_redaction_is_the_last_line_of_defence(raw, kept):
    assert (redact(raw) == raw) is kept


@pytest.mark.parametrize("rid", ["req-0001-abcd", None])
@pytest.mark.parametrize(
    ("method", "route", "status", "duration_ms"),
    [
        ("GET", "/api/v1/requests/{tracking_number}", 200, 3.5),
        ("POST", "/api/v1/requests", 201, 1234.0),
        ("OTHER", "unmatched", 404, 0.1),
    ],
)
def test_an_access_line_is_written_as_the_formatter_writes_its_record(
    rid, method, route, status, duration_ms
):
    """`access_line` (the served fast path) and the formatter give the same text."""
    record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "%s %s %d",
                               (method, route, status), None)  # fmt: skip
    record.method, record.route, record.status, record.duration_ms = (
        method,
        route,
        status,
        duration_ms,
    )
    token = request_id.set(rid)
    try:
        expected = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert access_line(method, route, status, duration_ms, rid, record.created) == expected


def test_an_access_line_goes_straight_to_the_handler_only_when_it_is_the_only_one():
    logger = logging.getLogger("test.access.fast")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    ours = StderrHandler()
    logger.addHandler(ours)
    try:
        assert sole_json_handler(logger, logging.INFO) is ours
        # Another handler (a capture, a host's configuration) must see the record itself.
        other = logging.Handler()
        logger.addHandler(other)
        assert sole_json_handler(logger, logging.INFO) is None
        logger.removeHandler(other)
        # A parent's handler sees propagated lines too.
        logger.propagate = True
        logging.getLogger("test.access").addHandler(other)
        assert sole_json_handler(logger, logging.INFO) is None
        logging.getLogger("test.access").removeHandler(other)
        logger.propagate = False
        # Filters and levels are logging's to apply.
        ours.addFilter(logging.Filter("elsewhere"))
        assert sole_json_handler(logger, logging.INFO) is None
        ours.filters.clear()
        logger.setLevel(logging.WARNING)
        assert sole_json_handler(logger, logging.INFO) is None
        logger.setLevel(logging.INFO)
        ours.setFormatter(logging.Formatter())
        assert sole_json_handler(logger, logging.INFO) is None
    finally:
        logger.removeHandler(ours)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_an_access_record_reaches_other_handlers(caplog):
    """Under any configuration but the served one (here pytest's capture), the access line
    is a record like any other, with its fields."""
    with caplog.at_level(logging.INFO, logger="app.access"):
        observability.record("GET", "/api/v1/requests/{tracking_number}", 200, 0.0123)
    (entry,) = [r for r in caplog.records if r.name == "app.access"]
    assert entry.getMessage() == "GET /api/v1/requests/{tracking_number} 200"
    assert (entry.method, entry.route, entry.status, entry.duration_ms) == (  # type: ignore[attr-defined]
        "GET",
        "/api/v1/requests/{tracking_number}",
        200,
        12.3,
    )


class _SlowStream:
    """A stream whose writes wait until `release` is set (a disk or a pipe that stalls)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.text = ""
        self.writers: set[str] = set()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writers.add(threading.current_thread().name)
        self.writes += 1
        assert self.release.wait(10), "the stream was never released"
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_a_served_line_is_written_by_the_writer_thread_and_never_lost(monkeypatch):
    slow = _SlowStream()
    monkeypatch.setattr(sys, "stderr", slow)
    writer = LineWriter(limit=3)
    # The caller only queues: with the stream stalled, the first lines return at once.
    writer.put("one")
    writer.put("two")
    assert slow.text == ""
    # Past the limit, putting waits for room instead of dropping a line.
    late = threading.Thread(target=lambda: [writer.put(f"late {n}") for n in range(10)])
    late.start()
    slow.release.set()
    late.join(10)
    writer.flush()
    assert slow.text.splitlines() == ["one", "two", *(f"late {n}" for n in range(10))]
    assert slow.writers == {"log-writer"}
    writer.close()
    writer.put("after close")  # written directly, not queued to a stopped thread
    assert slow.text.endswith("after close\n")


def test_the_writer_thread_wakes_per_gathering_not_per_line(monkeypatch):
    """A steady stream of lines (a busy server's access lines) is written in a few large
    writes: each wake of the thread is a context switch and a hand-over of the interpreter's
    lock with the event loop."""
    stream = _SlowStream()
    stream.release.set()
    monkeypatch.setattr(sys, "stderr", stream)
    writer = LineWriter(gather=0.05)
    began = time.monotonic()
    for n in range(300):
        writer.put(f"line {n}")
        time.sleep(0.0005)
    writer.flush()
    elapsed = time.monotonic() - began
    assert stream.text.splitlines() == [f"line {n}" for n in range(300)]
    # Woken for every line, the thread wrote about once per line put.
    assert stream.writes <= elapsed / 0.05 + 3
    writer.close()


def test_a_served_process_writes_its_last_lines_before_it_exits():
    """Lines still queued at exit are written by logging's shutdown (the handler's close)."""
    script = (
        "import logging\n"
        "from app.logging import install\n"
        "install(force=True)\n"
        "for n in range(2000):\n"
        "    logging.getLogger('app').info('line %d', n)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    messages = [json.loads(line)["message"] for line in done.stderr.splitlines()]
    assert messages == [f"line {n}" for n in range(2000)]
