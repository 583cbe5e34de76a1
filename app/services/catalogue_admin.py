"""The catalogue as data: national admins create and edit administrations and services;
supervisors edit their own administration's services' texts and attributes.

Rules:
* deadlines never exceed the legal maxima: 60 days (decree 2-17-265), 20 for a service that
  takes information requests (law 31-13); only national admins set deadlines, kinds, the
  verified-contact requirement, or archive;
* a service used by requests is archived, never deleted: it leaves the public catalogue and
  refuses new filings (`service_archived`), while the requests already filed keep showing it;
* every change is an ordinary write of `administrations` or `services`, whose statement
  triggers move the catalogue's version in the same transaction (migration 0011): every API
  process sees it within `CATALOGUE_REFRESH_SECONDS` (the public catalogue at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import (
    AdministrationExists,
    AdministrationNotFound,
    FieldError,
    Forbidden,
    NationalAdminOnly,
    OtherAdministration,
    ServiceExists,
    ServiceNotFound,
    ValidationFailed,
)
from app.models.catalogue import Administration, Service
from app.models.enums import Kind, Role
from app.repositories import catalogue as repository
from app.schemas.catalogue import LIST_DATATYPES, AttributeDefinition, Datatype
from app.schemas.catalogue_admin import (
    LEGAL_MAX_ANSWER_DAYS,
    LEGAL_MAX_INFORMATION_DAYS,
    SUPERVISOR_FIELDS,
    AdministrationAdminOut,
    AdministrationCreate,
    AdministrationPatch,
    ServiceAdminOut,
    ServiceCreate,
    ServicePatch,
    ServiceRemoved,
)
from app.schemas.text import shows_something
from app.services.attributes import personal_codes
from app.services.catalogue import policy_for, service_out, summary
from app.services.textnorm import fold

# --- views


def reference(administration: Administration, service: Service) -> str:
    """`ADMIN-code`: how the back office names a service (Open311's `service_code`)."""
    return f"{administration.code}-{service.code}"


def service_admin_out(
    service: Service, administration: Administration, settings: Settings
) -> ServiceAdminOut:
    public = service_out(service, administration, settings)
    return ServiceAdminOut(
        **public.model_dump(),
        administration=administration.code,
        reference=reference(administration, service),
        archived=not service.active,
    )


def administration_admin_out(
    administration: Administration, settings: Settings
) -> AdministrationAdminOut:
    policy = policy_for(administration, None, settings)
    return AdministrationAdminOut(
        **summary(administration).model_dump(),
        answer_days=policy.answer_days,
        reopen_window_days=policy.reopen_window_days,
        services=[service_admin_out(s, administration, settings) for s in administration.services],
    )


# --- checks (pure)


def deadline_errors(
    answer_days: int | None, kinds: Iterable[str], *, field: str = "answer_days"
) -> list[FieldError]:
    """The legal maxima: 60 days, 20 when the service takes information requests (a service's
    own deadline is what law 31-13 requests get; see `policy_for`)."""
    if answer_days is None:
        return []
    maximum = (
        LEGAL_MAX_INFORMATION_DAYS
        if Kind.information_request.value in {str(k) for k in kinds}
        else LEGAL_MAX_ANSWER_DAYS
    )
    if answer_days > maximum:
        return [FieldError(field, "over_legal_maximum", {"max": maximum})]
    return []


def _blank_texts(value: dict[str, str], path: str) -> list[FieldError]:
    return [
        FieldError(f"{path}.{language}", "invisible_text")
        for language, text in value.items()
        if not shows_something(text)
    ]


def attribute_errors(
    definitions: Sequence[AttributeDefinition], *, prefix: str = "attributes"
) -> list[FieldError]:
    """What the definition's own shape cannot say: codes, orders and value keys unique, labels
    that show something, `minimum` ≤ `maximum`. Every error at once."""
    errors: list[FieldError] = []
    codes: set[str] = set()
    orders: set[int] = set()
    for i, definition in enumerate(definitions):
        path = f"{prefix}.{i}"
        if definition.code in codes:
            errors.append(FieldError(f"{path}.code", "duplicate"))
        if definition.order in orders:
            errors.append(FieldError(f"{path}.order", "duplicate"))
        codes.add(definition.code)
        orders.add(definition.order)
        errors += _blank_texts(definition.description.model_dump(), f"{path}.description")
        if (
            definition.datatype is Datatype.number
            and definition.minimum is not None
            and definition.maximum is not None
            and definition.minimum > definition.maximum
        ):
            errors.append(FieldError(f"{path}.minimum", "min_above_max"))
        if definition.datatype in LIST_DATATYPES:
            keys: set[str] = set()
            for j, value in enumerate(definition.values):
                if value.key in keys:
                    errors.append(FieldError(f"{path}.values.{j}.key", "duplicate"))
                keys.add(value.key)
                errors += _blank_texts(value.name.model_dump(), f"{path}.values.{j}.name")
    return errors


def personal_kept_errors(
    stored: Sequence[dict[str, Any]], new: Sequence[AttributeDefinition]
) -> list[FieldError]:
    """On a service requests already use, an attribute whose values are personal data stays
    so: its values in those requests are removed when their retention ends (law 09-08), by
    the definitions then in force. (An attribute dropped altogether is removed as well.)"""
    before = personal_codes([AttributeDefinition.model_validate(d) for d in stored])
    after = personal_codes(new)
    return [
        FieldError(f"attributes.{i}.personal", "personal_kept")
        for i, definition in enumerate(new)
        if definition.code in before and definition.code not in after
    ]


def _stored(definitions: Sequence[AttributeDefinition]) -> list[dict[str, Any]]:
    """As the catalogue keeps them (and the sample loader writes them)."""
    return [d.model_dump(mode="json") for d in definitions]


def _localized(value: BaseModel) -> dict[str, str]:
    return {k: str(v) for k, v in value.model_dump().items()}


def _search_text(name: dict[str, str], code: str) -> str:
    return fold(" ".join([code, name.get("ar", ""), name.get("fr", ""), name.get("en", "")]))


# --- who may


def _national(actor: Actor) -> None:
    if actor.role is Role.national_admin:
        return
    if actor.role is Role.supervisor:
        raise NationalAdminOnly()
    raise Forbidden()


async def _saved(session: AsyncSession, row: Administration | Service, taken: Exception) -> None:
    """Flush `row`; the unique index decides between two writers of the same code."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23505" and "unique" not in str(exc.orig):
            raise
        raise taken from None


# --- administrations


async def _parent(
    session: AsyncSession, code: str | None, child: Administration | None
) -> Administration | None:
    if code is None:
        return None
    parent = await repository.administration_by_code(session, code)
    if parent is None:
        raise ValidationFailed(errors=[FieldError("parent", "unknown_administration")])
    if child is not None and child.id in await repository.parent_chain(session, parent.id):
        raise ValidationFailed(errors=[FieldError("parent", "parent_cycle")])
    return parent


async def _saved_out(
    session: AsyncSession, code: str, settings: Settings
) -> AdministrationAdminOut:
    """An administration just written, read back with its services."""
    found = await repository.administration_with_services(session, code)
    assert found is not None
    return administration_admin_out(found, settings)


async def read_administration(
    session: AsyncSession, actor: Actor, code: str, settings: Settings
) -> AdministrationAdminOut:
    """National admins: any; supervisors: their own (archived services included)."""
    if actor.role not in (Role.national_admin, Role.supervisor):
        raise Forbidden()
    administration = await repository.administration_with_services(session, code)
    if administration is None:
        raise AdministrationNotFound(params={"code": code})
    if actor.role is Role.supervisor and administration.id != actor.administration_id:
        raise OtherAdministration()
    return administration_admin_out(administration, settings)


async def create_administration(
    session: AsyncSession, actor: Actor, body: AdministrationCreate, settings: Settings
) -> AdministrationAdminOut:
    _national(actor)
    errors = deadline_errors(body.answer_days, ())
    if errors:
        raise ValidationFailed(errors=errors)
    if await repository.administration_by_code(session, body.code) is not None:
        raise AdministrationExists(params={"code": body.code})
    parent = await _parent(session, body.parent, None)
    name = _localized(body.name)
    administration = Administration(
        code=body.code,
        name=name,
        sector=body.sector,
        parent_id=parent.id if parent else None,
        answer_days=body.answer_days,
        reopen_window_days=body.reopen_window_days,
        is_sample=False,
        search_text=_search_text(name, body.code),
    )
    await _saved(session, administration, AdministrationExists(params={"code": body.code}))
    return await _saved_out(session, body.code, settings)


async def update_administration(
    session: AsyncSession,
    actor: Actor,
    code: str,
    body: AdministrationPatch,
    settings: Settings,
) -> AdministrationAdminOut:
    _national(actor)
    administration = await repository.administration_with_services(session, code, for_update=True)
    if administration is None:
        raise AdministrationNotFound(params={"code": code})
    sent = body.model_fields_set
    errors = [
        FieldError(f, "required")
        for f in ("name", "sector")
        if f in sent and getattr(body, f) is None
    ]
    errors += deadline_errors(body.answer_days, ())
    if errors:
        raise ValidationFailed(errors=errors)
    if "parent" in sent:
        parent = await _parent(session, body.parent, administration)
        administration.parent_id = parent.id if parent else None
    if body.name is not None:
        administration.name = _localized(body.name)
        administration.search_text = _search_text(administration.name, administration.code)
    if body.sector is not None:
        administration.sector = body.sector
    if "answer_days" in sent:
        administration.answer_days = body.answer_days
    if "reopen_window_days" in sent:
        administration.reopen_window_days = body.reopen_window_days
    await session.flush()
    return await _saved_out(session, administration.code, settings)


# --- services


async def create_service(
    session: AsyncSession,
    actor: Actor,
    code: str,
    body: ServiceCreate,
    settings: Settings,
) -> ServiceAdminOut:
    _national(actor)
    administration = await repository.administration_by_code(session, code)
    if administration is None:
        raise AdministrationNotFound(params={"code": code})
    kinds = [k.value for k in dict.fromkeys(body.kinds)]
    errors = deadline_errors(body.answer_days, kinds) + attribute_errors(body.attributes)
    if errors:
        raise ValidationFailed(errors=errors)
    taken = ServiceExists(params={"code": body.code}, errors=[FieldError("code", "code_taken")])
    if await repository.any_service(session, administration.id, body.code) is not None:
        raise taken
    service = Service(
        administration_id=administration.id,
        code=body.code,
        name=_localized(body.name),
        description=_localized(body.description),
        kinds=kinds,
        answer_days=body.answer_days,
        reopen_window_days=body.reopen_window_days,
        required_documents=[_localized(d) for d in body.required_documents],
        attributes=_stored(body.attributes),
        requires_verified_contact=body.requires_verified_contact,
        active=True,
    )
    await _saved(session, service, taken)
    return service_admin_out(service, administration, settings)


async def _editable(
    session: AsyncSession, actor: Actor, ref: str
) -> tuple[Service, Administration]:
    """The service named by `ref`, locked, if `actor` may edit it at all."""
    if actor.role not in (Role.national_admin, Role.supervisor):
        raise Forbidden()
    found = await repository.service_by_reference(session, ref)
    if found is None:
        raise ServiceNotFound(params={"code": ref})
    service, administration = found
    if actor.role is Role.supervisor and administration.id != actor.administration_id:
        raise OtherAdministration()
    return service, administration


async def update_service(
    session: AsyncSession, actor: Actor, ref: str, body: ServicePatch, settings: Settings
) -> ServiceAdminOut:
    service, administration = await _editable(session, actor, ref)
    sent = body.model_fields_set
    if actor.role is Role.supervisor and sent - SUPERVISOR_FIELDS:
        raise NationalAdminOnly(
            errors=[FieldError(f, "national_admin_only") for f in sorted(sent - SUPERVISOR_FIELDS)]
        )
    nullable = {"answer_days", "reopen_window_days"}
    errors = [
        FieldError(f, "required") for f in sorted(sent - nullable) if getattr(body, f) is None
    ]
    kinds = [k.value for k in dict.fromkeys(body.kinds)] if body.kinds else list(service.kinds)
    answer_days = body.answer_days if "answer_days" in sent else service.answer_days
    if "answer_days" in sent or "kinds" in sent:
        field = "answer_days" if "answer_days" in sent else "kinds"
        errors += deadline_errors(answer_days, kinds, field=field)
    if body.attributes is not None:
        errors += attribute_errors(body.attributes)
        if await repository.service_in_use(session, service.id):
            errors += personal_kept_errors(service.attributes, body.attributes)
    if errors:
        raise ValidationFailed(errors=errors)

    if body.name is not None:
        service.name = _localized(body.name)
    if body.description is not None:
        service.description = _localized(body.description)
    if body.required_documents is not None:
        service.required_documents = [_localized(d) for d in body.required_documents]
    if body.attributes is not None:
        service.attributes = _stored(body.attributes)
    if body.kinds is not None:
        service.kinds = kinds
    if "answer_days" in sent:
        service.answer_days = body.answer_days
    if "reopen_window_days" in sent:
        service.reopen_window_days = body.reopen_window_days
    if body.requires_verified_contact is not None:
        service.requires_verified_contact = body.requires_verified_contact
    if body.archived is not None:
        service.active = not body.archived
    await session.flush()
    return service_admin_out(service, administration, settings)


async def remove_service(session: AsyncSession, actor: Actor, ref: str) -> ServiceRemoved:
    """Deleted when no request names it, else archived. The service's row is locked first: a
    filing that names it (its foreign key takes a share lock on that row) is either committed
    before, and seen here, or waits and then finds it gone or archived."""
    _national(actor)
    service, administration = await _editable(session, actor, ref)
    name = reference(administration, service)
    if await repository.service_in_use(session, service.id):
        service.active = False
        await session.flush()
        return ServiceRemoved(reference=name, outcome="archived")
    await session.delete(service)
    await session.flush()
    return ServiceRemoved(reference=name, outcome="deleted")
