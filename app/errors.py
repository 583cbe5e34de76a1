"""One error hierarchy, rendered by one set of handlers as RFC 9457 `application/problem+json`."""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from app.domain.errors import FieldCodeError
from app.i18n import current_language, translate

log = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
# The foreign key from requests to services (see `app.services.catalogue_admin.remove_service`).
SERVICE_FOREIGN_KEY = "fk_requests_service_id_services"


@dataclass(frozen=True)
class FieldError:
    """One offending field: a dotted path, a stable code and its localized message."""

    field: str
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "code": self.code,
            "message": translate(f"field.{self.code}", **self.params),
        }


class DomainError(Exception):
    """A problem the API reports to its client; `code` is stable, title and detail localized."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    # True when the work done before the error must still be committed (failed attempts counted).
    keep_changes: ClassVar[bool] = False

    def __init__(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        errors: Sequence[FieldError] = (),
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(self.code)
        self.params = dict(params or {})
        self.errors = list(errors)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class NotFound(DomainError):
    status, code = 404, "not_found"


class AdministrationNotFound(DomainError):
    status, code = 404, "administration_not_found"


class ServiceNotFound(DomainError):
    status, code = 404, "service_not_found"


class AdministrationExists(DomainError):
    """The catalogue's management: an administration's code is already taken."""

    status, code = 409, "administration_exists"


class ServiceExists(DomainError):
    """The catalogue's management: the administration already has a service with this code."""

    status, code = 409, "service_exists"


class NationalAdminOnly(DomainError):
    """A supervisor asking for what only national admins do (deadlines, kinds, archiving,
    new administrations or services); `errors` names the fields when there are some."""

    status, code = 403, "national_admin_only"


class OtherAdministration(DomainError):
    """A supervisor reaching for another administration's catalogue."""

    status, code = 403, "other_administration"


class RequestNotFound(DomainError):
    status, code = 404, "request_not_found"


class TemplateNotFound(DomainError):
    """A canned response that does not exist, or belongs to another administration."""

    status, code = 404, "template_not_found"


class TrackingFailed(DomainError):
    status, code = 404, "tracking_failed"
    keep_changes = True


class CodeInvalid(DomainError):
    """A one-time code that is wrong, expired or spent (the same answer for each)."""

    status, code = 400, "code_invalid"
    keep_changes = True  # the failed attempt is counted


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class InvalidToken(DomainError):
    status, code = 401, "invalid_token"


class InvalidApiKey(DomainError):
    status, code = 401, "invalid_api_key"


class AmbiguousCredentials(DomainError):
    status, code = 400, "ambiguous_credentials"


class InvalidCredentials(DomainError):
    status, code = 401, "invalid_credentials"
    keep_changes = True


class Forbidden(DomainError):
    status, code = 403, "forbidden"


# What an operation behind a bearer token answers before it runs: no token, a token that is
# not (or no longer) valid, a role that may not (for `error_responses`).
AUTH_ERRORS: tuple[type[DomainError], ...] = (Unauthorized, InvalidToken, Forbidden)


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"


class VerificationFailed(ValidationFailed):
    """A filing refused for its wrong verification code: the same 422 as any invalid field,
    but the failed attempt it counted is kept (`otp.spend_for_filing`)."""

    keep_changes = True


class UnknownAction(DomainError):
    status, code = 404, "unknown_action"


class TransitionNotAllowed(DomainError):
    status, code = 409, "transition_not_allowed"


class ActionNotForRole(TransitionNotAllowed):
    code = "action_not_for_role"


class ReopenWindowExpired(TransitionNotAllowed):
    code = "reopen_window_expired"


class ReopenLimitReached(TransitionNotAllowed):
    code = "reopen_limit_reached"


class AlreadyRated(TransitionNotAllowed):
    code = "already_rated"


class NotAnswered(TransitionNotAllowed):
    code = "not_answered"


class ReopenWindowOpen(TransitionNotAllowed):
    code = "reopen_window_open"


class RetentionRunning(TransitionNotAllowed):
    code = "retention_running"


class DeadlineNotReached(TransitionNotAllowed):
    code = "deadline_not_reached"


class AlreadyAnonymized(TransitionNotAllowed):
    code = "already_anonymized"


class ExtensionAlreadyUsed(TransitionNotAllowed):
    code = "extension_already_used"


class UrgentNotExtensible(TransitionNotAllowed):
    """Law 31-13: an urgent information request (3 days) takes no 20-day extension."""

    code = "urgent_not_extensible"


class NotTransferred(TransitionNotAllowed):
    """Only the administration a request was transferred to may decline it, once."""

    code = "not_transferred"


class AppealNotOpen(TransitionNotAllowed):
    code = "appeal_not_open"


class AppealAlreadyMade(TransitionNotAllowed):
    code = "appeal_already_made"


class ContactNotAllowed(TransitionNotAllowed):
    code = "contact_not_allowed"


class ContactAlreadySet(TransitionNotAllowed):
    code = "contact_already_set"


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"


class IdempotencyKeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"


class IdempotencyInProgress(DomainError):
    status, code = 409, "idempotency_in_progress"


class TooManyAttempts(DomainError):
    status, code = 429, "too_many_attempts"


class TooManySubmissions(DomainError):
    """Anonymous submissions from one client address past the hourly ceiling."""

    status, code = 429, "too_many_submissions"


class ChallengeInvalid(DomainError):
    """An `X-Altcha` proof of work that is malformed, or not a solution of our challenge."""

    status, code = 400, "challenge_invalid"


class ChallengeExpired(DomainError):
    status, code = 400, "challenge_expired"


class ChallengeUsed(DomainError):
    status, code = 409, "challenge_used"


class InvalidCharacters(DomainError):
    status, code = 422, "invalid_characters"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in. An HTTPException, because FastAPI turns any other
    error raised while it reads a body into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit


class RequestTimeout(DomainError):
    """Documents the 408 of `BodyReadTimeout`, as `PayloadTooLarge` documents `BodyTooLarge`."""

    status, code = 408, "request_timeout"


class BodyReadTimeout(StarletteHTTPException):
    """The client stopped sending its body (or went away). An HTTPException for the same
    reason as `BodyTooLarge`; the connection is closed, since the rest of the body may never
    come."""

    def __init__(self) -> None:
        super().__init__(408, headers={"Connection": "close"})


class TooManyUploads(DomainError):
    status, code = 429, "too_many_uploads"


class MalformedMultipart(DomainError):
    status, code = 400, "malformed_multipart"


class ServiceUnavailable(DomainError):
    status, code = 503, "service_unavailable"


# How long a client should wait before trying again when the database cannot be reached.
RETRY_AFTER_SECONDS = 5

# SQLSTATEs that say the server or the connection is gone, not that the statement is wrong:
# class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up), 53300 (too many
# connections).
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")


def _sqlstate(error: BaseException) -> str | None:
    code = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
    return code if isinstance(code, str) else None


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` means "the database cannot be reached right now" (a 503 the client may
    retry), as opposed to a bug (a 500 that must stay visible). Only connection-level causes
    count: a refused or reset socket, a connect or pool timeout, a connection the driver
    invalidated, a server shutting down."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, PoolTimeout):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        state = _sqlstate(error)
        if state is not None and (state.startswith("08") or state in _UNAVAILABLE_STATES):
            return True
        if isinstance(error, ConnectionError | TimeoutError):
            return True  # refused, reset, aborted; a connect timeout (asyncio's is builtin)
        # "Connection was closed in the middle of operation". Not any asyncpg InterfaceError:
        # "another operation is in progress" is a bug of ours and must stay a 500.
        if type(error).__name__ == "ConnectionDoesNotExistError":
            return True
        # Down the chain of causes (`raise ... from`), not of contexts: a bug raised while some
        # connection error was being handled is still a bug.
        orig = getattr(error, "orig", None)
        error = orig if isinstance(orig, BaseException) else error.__cause__
    return False


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_attempts",
}


def problem_type(code: str) -> str:
    """The problem's `type` URI: a page of this API that documents the code."""
    return f"/problems/{code}"


def problem_response(
    status: int,
    code: str,
    *,
    instance: str | None = None,
    params: Mapping[str, Any] | None = None,
    errors: Sequence[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    params = dict(params or {})
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": translate(f"{code}.title", **params),
        "status": status,
        "detail": translate(f"{code}.detail", **params),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [error.render() for error in errors]
    body.update(extra or {})
    response_headers = {"Content-Language": current_language.get(), **(headers or {})}
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=response_headers
    )


def field_error_from_pydantic(error: Mapping[str, Any]) -> FieldError:
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        source, loc = loc[0], loc[1:]
    else:
        source = "body"
    path = ".".join(loc) if loc else source
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return FieldError(path, "required")
    if kind == "extra_forbidden":
        return FieldError(path, "unknown")
    if kind == "string_too_long":
        return FieldError(path, "too_long", {"max": ctx.get("max_length")})
    if kind == "string_too_short":
        return FieldError(path, "too_short", {"min": ctx.get("min_length")})
    if kind == "string_type":
        return FieldError(path, "not_a_string")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return FieldError(path, "not_an_integer")
    if kind in ("float_parsing", "float_type", "decimal_parsing", "finite_number"):
        return FieldError(path, "not_a_number")
    if kind in ("bool_parsing", "bool_type"):
        return FieldError(path, "not_a_boolean")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return FieldError(path, "not_a_date")
    if kind in (
        "datetime_parsing",
        "datetime_type",
        "timezone_aware",
        "datetime_from_date_parsing",
    ):
        return FieldError(path, "not_a_datetime")
    # pydantic names only the bound that was passed.
    if kind in ("greater_than_equal", "greater_than"):
        return FieldError(path, "too_small", {"min": ctx.get("ge", ctx.get("gt", ""))})
    if kind in ("less_than_equal", "less_than"):
        return FieldError(path, "too_large", {"max": ctx.get("le", ctx.get("lt", ""))})
    if kind in ("enum", "literal_error"):
        # pydantic words the choices in English ("'a', 'b' or 'c'"): keep only the values.
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return FieldError(path, "not_in_choices", {"choices": ", ".join(choices)})
    if kind == "json_invalid":
        return FieldError("body", "invalid_json")
    if kind in ("list_type", "set_type"):
        return FieldError(path, "not_a_list")
    if kind == "value_error" and isinstance(ctx.get("error"), FieldCodeError):
        field_error: FieldCodeError = ctx["error"]
        return FieldError(path, field_error.code, field_error.params)
    return FieldError(path, "invalid")


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as problem+json."""

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(
            exc.status,
            exc.code,
            instance=request.url.path,
            params=exc.params,
            errors=exc.errors,
            extra=exc.extra,
            headers=exc.headers,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [field_error_from_pydantic(error) for error in exc.errors()]
        return problem_response(422, "validation_failed", instance=request.url.path, errors=errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "bad_request")
        headers = dict(exc.headers or {})
        allowed = getattr(request.app.state, "allowed_methods", None)
        if exc.status_code == 405 and allowed is not None:
            # The router names only the methods of the first route whose path matched; the
            # resource supports those of every route on that path (GET and POST, say).
            headers["Allow"] = ", ".join(sorted(allowed(request.scope)))
        return problem_response(
            exc.status_code,
            code,
            instance=request.url.path,
            params={"limit": exc.limit} if isinstance(exc, BodyTooLarge) else None,
            headers=headers,
        )

    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex
        # The log carries the id and the traceback; the client only the id. Not the path: it
        # may hold a tracking number (the request id ties this line to its access line, which
        # names the route template).
        log.exception("unexpected error %s", error_id)
        return problem_response(
            500,
            "internal_error",
            instance=request.url.path,
            params={"error_id": error_id},
            extra={"error_id": error_id},
        )

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        # An outage, not a bug: no traceback, one line, and a hint for when to come back.
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem_response(
            503,
            ServiceUnavailable.code,
            instance=request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    async def connection_error(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            return await unavailable(request, exc)
        return await unexpected_error(request, exc)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if database_unavailable(exc):
            return await unavailable(request, exc)
        # PostgreSQL text cannot hold NUL (22021) nor, in its encoding, some sequences (22P05):
        # the client's input, not our fault, whichever field or parameter carried it.
        code = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
        # JSON text with a lone UTF-16 surrogate ("\ud83d") is refused as 22P02 by jsonb;
        # the JSON we write is otherwise always valid.
        unicode_json = code == "22P02" and "json" in str(exc.orig).lower()
        if code in ("22021", "22P05") or unicode_json:
            return problem_response(422, InvalidCharacters.code, instance=request.url.path)
        if code == "23503" and SERVICE_FOREIGN_KEY in str(exc.orig):
            # A service deleted (never used) while this process still had it in its catalogue
            # cache, or by a removal that committed while this filing waited on its row.
            return problem_response(
                422,
                ValidationFailed.code,
                instance=request.url.path,
                errors=[FieldError("service", "unknown_service")],
            )
        return await unexpected_error(request, exc)

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(DBAPIError, database_error)
    # Registered by class so that they are answered here, not by the last-resort handler.
    app.add_exception_handler(PoolTimeout, connection_error)
    app.add_exception_handler(OSError, connection_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


# What the documentation's examples fill the messages' placeholders with (a reader sees a
# plausible problem, not `{action}`); the values are illustrations, not the API's limits.
EXAMPLE_PARAMS: dict[str, object] = {
    "action": "reopen",
    "allowed": "close, rate",
    "code": "insurance",
    "count": 2,
    "current": '"7"',
    "days": 30,
    "error_id": "5f0c2a7e9b3d4e1f",
    "expected": "application/json",
    "found": "application/x-msdownload",
    "kind": "complaint",
    "limit": 3,
    "name": "invoice.pdf",
    "per_request": 20,
    "per_upload": 5,
    "retry_after": 30,
    "role": "citizen",
    "state": "closed",
}


def error_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation: one problem+json entry per status, listing the codes."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error.code)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, codes in sorted(by_status.items()):
        responses[status] = {
            "description": "Problem: " + ", ".join(f"`{code}`" for code in codes),
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                        "type": problem_type(codes[0]),
                        "title": translate(f"{codes[0]}.title", "en", **EXAMPLE_PARAMS),
                        "status": status,
                        "detail": translate(f"{codes[0]}.detail", "en", **EXAMPLE_PARAMS),
                        "code": codes[0],
                    },
                }
            },
        }
    return responses


class TooManyAttachments(DomainError):
    status, code = 413, "too_many_attachments"


class FileTooLarge(DomainError):
    status, code = 413, "file_too_large"


class FileTypeNotAllowed(DomainError):
    status, code = 415, "file_type_not_allowed"


class ReceiptNotFound(DomainError):
    status, code = 404, "receipt_not_found"
    keep_changes = True  # failed look-ups are counted


class OtpRequired(DomainError):
    """The account has a second factor and no code was sent (`otp` or `client_secret`)."""

    status, code = 401, "otp_required"


class OtpInvalid(DomainError):
    """A wrong, expired or already used one-time code; counted against the account."""

    status, code = 401, "otp_invalid"
    keep_changes = True


class OtpNotEnrolled(DomainError):
    """The role requires a second factor that the account has not enrolled yet."""

    status, code = 401, "otp_not_enrolled"


class InvalidResetToken(DomainError):
    status, code = 400, "invalid_reset_token"


class UserNotFound(DomainError):
    status, code = 404, "user_not_found"


class OwnAccount(DomainError):
    status, code = 409, "own_account"


class AccountInactive(DomainError):
    status, code = 409, "account_inactive"


class WrongCurrentPassword(DomainError):
    """Changing one's password: the current one is wrong (counted, like a failed login)."""

    status, code = 422, "wrong_current_password"
    keep_changes = True
