"""Logging as one JSON object per line, with the request id, and without personal data (law 09-08).

Access lines are written by `app.observability` with the route *template*
(`/api/v1/requests/{number}`), never the path, so no tracking number reaches a log. As a second
line of defence every line passes through `redact`, which blanks anything shaped like an email
address, a phone number or a tracking number, in messages and tracebacks alike.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import re
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The id of the HTTP request being served, set by `app.middleware.EdgeMiddleware`.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Fields that access lines carry as `extra=`; copied into the JSON object when present.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")

_SYMBOL = "[0-9A-Za-z]"
TRACKING_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z]){_SYMBOL}{{4}}-?{_SYMBOL}{{4}}-?{_SYMBOL}{{3}}(?![0-9A-Za-z])"
)
EMAIL = re.compile(r"[^\s@\"'<>(),;:]+@[^\s@\"'<>(),;:]+\.[^\s@\"'<>(),;:]+")
# E.164 (how the app stores phones) or the Moroccan national form, with the usual separators.
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)\d{8,15}|0[5-7](?:[ .\-]?\d{2}){4})(?!\w)")

REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Blank what looks like personal data or a tracking number. Deliberately broad: a log line
    losing a harmless number is cheaper than one keeping a citizen's phone."""
    text = EMAIL.sub(REDACTED, text)
    text = PHONE.sub(REDACTED, text)
    # Tracking numbers must hold a digit and a letter, so words like "dispatcher" survive.
    return TRACKING_NUMBER.sub(
        lambda m: (
            REDACTED
            if any(c.isdigit() for c in m.group()) and any(c.isalpha() for c in m.group())
            else m.group()
        ),
        text,
    )


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id (+ method, route, status, duration_ms on access
    lines, + exception with its traceback), one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        current = getattr(record, "request_id", None) or request_id.get()
        if current:
            entry["request_id"] = current
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


# The parts of an access line that only depend on (method, route template, status), already
# JSON: a bounded set (templates, never paths), so each is formatted and redacted once.
_ACCESS_PARTS: dict[tuple[str, str, int], tuple[str, str]] = {}


def access_line(
    method: str, route: str, status: int, duration_ms: float, rid: str | None, created: float
) -> str:
    """The line `JsonFormatter` writes for the access record of `app.observability.record`
    (same keys, same order, same text), built without a `LogRecord`: the access line is
    written once per HTTP request."""
    parts = _ACCESS_PARTS.get((method, route, status))
    if parts is None:
        message = redact(f"{method} {route} {status}")
        head = json.dumps(
            {"level": "INFO", "logger": "app.access", "message": message}, ensure_ascii=False
        )[1:-1]
        tail = json.dumps({"method": method, "route": route, "status": status})[1:-1]
        parts = _ACCESS_PARTS[(method, route, status)] = (head, tail)
    head, tail = parts
    time = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    # The request id is a plain token (`observability.valid_request_id`) or a UUID's hex.
    rid_field = f', "request_id": {json.dumps(rid)}' if rid else ""
    return f'{{"time": "{time}", {head}{rid_field}, {tail}, "duration_ms": {duration_ms!r}}}'


class LineWriter:
    """Writes lines to whatever `sys.stderr` is now from a thread of its own, so that a slow
    stream (a file on a disk PostgreSQL is checkpointing to, a pipe a log collector reads late)
    never stalls the event loop: the caller only appends the line to a queue.

    The thread wakes when lines wait, lets more gather for `gather` seconds, and writes them
    all in one `write` and one flush. Woken for every line instead, it made two or three
    context switches per request, each a hand-over of the interpreter's lock with the event
    loop (22,000 a second under 860 submissions a second, 4% of the process's CPU in the
    thread alone); now it wakes at most 1/`gather` times a second, however busy the process.

    Nothing is dropped: at `limit` waiting lines `put` waits for room, as a direct write
    would. The thread starts with the first line (and again in a forked child); `flush`
    returns once every line put before it is written, and `close` writes what is left before
    returning (logging's shutdown, at exit or when logging is configured again). A line put
    after `close` is written at once.
    """

    def __init__(self, limit: int = 10_000, gather: float = 0.05) -> None:
        self._limit = limit
        self._gather = gather
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        # Lines, and in their order the marks of `flush` (an event set once the lines before
        # it are written) and of `close` (None).
        self._lines: collections.deque[str | threading.Event | None] = collections.deque()
        self._waiting = threading.Event()  # something was put since the thread last looked
        self._hurry = threading.Event()  # a flush or close waits: no gathering
        self._room = threading.Condition()  # the thread took lines away

    def put(self, line: str) -> None:
        if self._closed:
            _write(sys.stderr, [line])
            return
        if self._pid != os.getpid():
            self._start()
        if len(self._lines) >= self._limit:
            self._wait_for_room()
        self._lines.append(line)
        if not self._waiting.is_set():
            self._waiting.set()

    def _wait_for_room(self) -> None:
        thread = self._thread
        with self._room:
            while len(self._lines) >= self._limit and thread is not None and thread.is_alive():
                self._room.wait(0.1)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            if self._pid:  # a forked child: the parent's thread and queued lines are not ours
                self._reset()
            self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        waiting, lines = self._waiting, self._lines
        while True:
            waiting.wait()
            self._hurry.wait(self._gather)
            self._hurry.clear()
            waiting.clear()  # before taking the lines: one put after this wakes us again
            batch: list[str] = []
            while lines:
                item = lines.popleft()
                if isinstance(item, str):
                    batch.append(item)
                    continue
                _write_quietly(batch)
                batch = []
                if item is None:
                    return
                item.set()
            _write_quietly(batch)
            with self._room:
                self._room.notify_all()

    def _mark(self, mark: threading.Event | None) -> threading.Thread | None:
        """Queues a flush's or close's mark, if this process's thread runs; the thread."""
        thread = self._thread
        if thread is None or self._pid != os.getpid() or not thread.is_alive():
            return None
        self._lines.append(mark)
        self._hurry.set()
        self._waiting.set()
        return thread

    def flush(self) -> None:
        """Returns once every line put so far is written."""
        written = threading.Event()
        thread = self._mark(written)
        while thread is not None and not written.wait(0.1) and thread.is_alive():
            pass

    def close(self) -> None:
        """Writes what waits, stops the thread; later lines are written directly."""
        self._closed = True
        thread = self._mark(None)
        if thread is not None:
            thread.join()
        self._thread = None


def _write_quietly(lines: list[str]) -> None:
    # A broken stream: nothing better to do from the writer's thread.
    with contextlib.suppress(Exception):
        _write(sys.stderr, lines)


def _write(stream: Any, lines: list[str]) -> None:
    if lines:
        stream.write("".join(line + "\n" for line in lines))
        stream.flush()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is now (test runners swap it). With `background`
    (served processes: `LOG_CONFIG`, `install(force=True)`), lines are formatted by the caller
    (the request id is the caller's context) and written by a `LineWriter`."""

    def __init__(self, background: bool = False) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self._writer = LineWriter() if background else None

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        if self._writer is None:
            super().emit(record)
            return
        try:
            self._writer.put(self.format(record))
        except Exception:
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """What `emit` does with a formatted line."""
        if self._writer is not None:
            self._writer.put(line)
            return
        self.acquire()
        try:
            stream = self.stream
            stream.write(line + self.terminator)
            self.flush()
        finally:
            self.release()

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()
        super().flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        super().close()


def sole_json_handler(logger: logging.Logger, level: int) -> StderrHandler | None:
    """The handler a line of `logger` at `level` reaches, when that is exactly one of ours
    (`StderrHandler`, `JsonFormatter`, no filter) and nothing else sees the line: neither a
    filter nor another handler (a test runner's capture, a host's own configuration), so that
    writing the formatted line there is what logging would do. Otherwise None."""
    if logger.disabled or logger.filters or not logger.isEnabledFor(level):
        return None
    found: StderrHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if level < handler.level:
                continue
            if (
                found is not None
                or type(handler) is not StderrHandler
                or type(handler.formatter) is not JsonFormatter
                or handler.filters
            ):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found


class DropQueryStrings(logging.Filter):
    """Uvicorn's access line carries the full path and query (search terms, names); it is off
    (see `install`), and should someone switch it back on, at least the query goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], path, *args[3:])
        return True


def install(*, force: bool = False) -> None:
    """JSON lines on stderr for the app's and uvicorn's loggers.

    Without `force`, a root logger that already has handlers (a test runner's, a host's own
    configuration) is left alone; `python -m app serve` forces it. Uvicorn's access log is
    switched off: it would carry raw paths, and ours carries route templates instead.
    """
    root = logging.getLogger()
    if force:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        logging.captureWarnings(True)  # warnings become JSON lines too
    if not root.handlers:
        root.addHandler(StderrHandler(background=force))
        root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error"):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(JsonFormatter())
    access = logging.getLogger("uvicorn.access")
    access.disabled = True
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
    # Request lines of the app's own HTTP client name gateway and webhook URLs, which may
    # carry credentials in their query; failures are logged by the dispatcher itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)


# `uvicorn.run(log_config=...)`: uvicorn configures logging in each worker process with this.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.logging.JsonFormatter"}},
    "handlers": {
        # Resolves `sys.stderr` when it writes, not when logging is configured: a stream
        # captured then (a test runner's) may be closed by the time atexit handlers log.
        # Written from a thread of its own: a slow stream never stalls the event loop.
        "default": {"()": "app.logging.StderrHandler", "background": True}
    },
    "root": {"handlers": ["default"], "level": "INFO"},
    "loggers": {
        "uvicorn": {"level": "INFO"},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"level": "WARNING", "propagate": False, "handlers": []},
    },
}
