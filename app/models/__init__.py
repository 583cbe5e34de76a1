"""The tables. Importing this package registers every model on `Base.metadata`."""

from app.models.access_log import AccessLogEntry
from app.models.attachment import Attachment
from app.models.base import Base
from app.models.canned_response import CannedResponse
from app.models.catalogue import Administration, CatalogueChange, Service
from app.models.citizen import VerificationCode
from app.models.integration import (
    ApiKey,
    FaqEntry,
    RequestStats,
    StatsAnswer,
    StatsByAdministration,
    StatsByAdministrationMonth,
    StatsByMonth,
)
from app.models.outbox import OutboxMessage, Webhook
from app.models.request import Message, Request, RequestEvent
from app.models.support import IdempotencyRecord, ThrottleCounter, UsedChallenge
from app.models.user import User

__all__ = [
    "AccessLogEntry",
    "Administration",
    "ApiKey",
    "Attachment",
    "Base",
    "CannedResponse",
    "CatalogueChange",
    "FaqEntry",
    "IdempotencyRecord",
    "Message",
    "OutboxMessage",
    "Request",
    "RequestEvent",
    "RequestStats",
    "Service",
    "StatsAnswer",
    "StatsByAdministration",
    "StatsByAdministrationMonth",
    "StatsByMonth",
    "ThrottleCounter",
    "UsedChallenge",
    "User",
    "VerificationCode",
    "Webhook",
]
