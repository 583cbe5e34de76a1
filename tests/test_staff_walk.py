"""Issue 10 walked as its clients use it: the 3737 call centre, an administration's agents and
supervisors, the national desk, an administration's own system and the citizens — through the
HTTP API only (and `python -m app lifecycle run-due --at`, as an operator of the service runs
it), one day chained where a real day chains: a web filing, a caller helped by an operator, a
deadline missed, the escalation in the national queue and the access log, an interim reply
from a canned response, a rating with the survey, an appeal sent back; a duplicate; a service
created through the API and used at once, answered by the administration's integration key.

Every call goes through a `Walker`, which checks as it goes that each operation called is in
the OpenAPI document with a summary, a description and its problems, that every problem met is
one the operation documents (`code` under its status), and that every problem and field error
met speaks ar, fr and en."""

from __future__ import annotations

import csv
import io
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.i18n import LANGUAGES, MESSAGES
from app.main import create_app
from app.models import Administration, OutboxMessage
from app.models.enums import Role
from app.services import api_keys, clock
from app.services.templates import render
from tests.factories import complaint, make_administration, make_staff

ROOT = Path(__file__).resolve().parent.parent
FR = {"Accept-Language": "fr"}

# Issue 10's operations, as a client finds them in the document.
OPERATIONS = [
    ("POST", "/api/v1/tracking"),
    ("POST", "/api/v1/requests/{tracking_number}/appeal"),
    ("PUT", "/api/v1/requests/{tracking_number}/rating"),
    ("POST", "/api/v1/backoffice/requests/{tracking_number}/actions/{action}"),
    ("GET", "/api/v1/backoffice/requests"),
    ("GET", "/api/v1/backoffice/requests/{tracking_number}/access-log"),
    ("GET", "/api/v1/requests/{tracking_number}/access-log"),
    ("GET", "/api/v1/backoffice/templates"),
    ("POST", "/api/v1/backoffice/templates"),
    ("PUT", "/api/v1/backoffice/templates/{template_id}"),
    ("DELETE", "/api/v1/backoffice/templates/{template_id}"),
    ("POST", "/api/v1/backoffice/administrations"),
    ("GET", "/api/v1/backoffice/administrations/{code}"),
    ("PATCH", "/api/v1/backoffice/administrations/{code}"),
    ("POST", "/api/v1/backoffice/administrations/{code}/services"),
    ("PATCH", "/api/v1/backoffice/services/{service}"),
    ("DELETE", "/api/v1/backoffice/services/{service}"),
    ("GET", "/api/v1/statistics"),
    ("GET", "/api/v1/backoffice/statistics"),
]
NEW_ACTIONS = [
    "interim_reply",
    "mark_duplicate",
    "decide_appeal",
    "decline_transfer",
    "appeal",
    "escalate",
    "alert_due_soon",
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


@dataclass
class Walker:
    """The API as a client calls it, operation by operation (method and path template), with
    every operation and every problem met checked against the document and the catalogue of
    words."""

    client: httpx.AsyncClient
    document: dict[str, Any]
    met: list[tuple[str, str, int, dict[str, Any]]] = field(default_factory=list)

    async def call(
        self,
        method: str,
        template: str,
        headers: dict[str, str] | None = None,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        **path: str | int,
    ) -> httpx.Response:
        operation = self.document["paths"].get(template, {}).get(method.lower())
        assert operation, f"{method} {template} is not in the OpenAPI document"
        assert operation.get("summary"), template
        assert operation.get("description"), template
        response = await self.client.request(
            method, template.format(**path), params=params, json=json, headers=headers
        )
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            self.met.append((method, template, response.status_code, response.json()))
        return response

    def check(self) -> None:
        """Each problem met: documented under its status by the operation, titled and
        detailed in every language, each of its field errors worded in every language."""
        for method, template, status, problem in self.met:
            operation = self.document["paths"][template][method.lower()]
            documented = operation["responses"].get(str(status))
            assert documented, (method, template, status, "status not documented")
            assert "application/problem+json" in documented["content"]
            code = problem["code"]
            assert f"`{code}`" in documented["description"], (
                method,
                template,
                status,
                code,
                documented["description"],
            )
            for key in (f"{code}.title", f"{code}.detail"):
                assert set(MESSAGES.get(key, {})) == set(LANGUAGES), key
            for error in problem.get("errors") or []:
                key = f"field.{error['code']}"
                assert set(MESSAGES.get(key, {})) == set(LANGUAGES), key
                assert error["message"] != key


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def history(detail: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [e for e in detail["history"] if e["action"] == action]


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def field_codes(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json().get("errors") or []]


def run_due(database_url: str, at: datetime) -> str:
    """`python -m app lifecycle run-due --at ISO-8601`, as an operator of the service runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "app", "lifecycle", "run-due", "--at", at.isoformat()],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


TEMPLATE = {
    "code": "late-answer",
    "name": {"ar": "جواب مؤقت", "fr": "Réponse d'attente", "en": "Holding reply"},
    "body": {
        "ar": "السيد(ة) {citizen_name}، طلبكم {tracking_number} قيد الدراسة.",
        "fr": "Madame, Monsieur {citizen_name}, votre demande {tracking_number} est à l'étude.",
        "en": "Dear {citizen_name}, your request {tracking_number} is being studied.",
    },
}


# --- one day, committed: the call centre, the clock, the national desk, the appeal


async def test_a_web_request_helped_by_the_call_centre_missed_escalated_and_appealed(
    live, database_url, settings, document
):
    walk = Walker(live.client, document)
    admin = live.administration
    agent, supervisor, national = live.staff, live.supervisor, live.national
    async with live.sessionmaker() as session:
        operator_user, operator = await make_staff(session, settings, Role.operator)
        await session.commit()

    # A citizen files on the web site.
    filed = await walk.call(
        "POST",
        "/api/v1/requests",
        FR,
        json=complaint(
            admin.code,
            complainant={
                "full_name": "Hind Tazi",
                "email": "hind.tazi@example.ma",
                "phone": "0612345678",
            },
            language="fr",
        ),
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["tracking_number"]
    citizen = bearer(filed.json()["access_token"])
    due = datetime.fromisoformat(filed.json()["due_at"])
    request_path = "/api/v1/requests/{tracking_number}"

    # She calls 3737. The operator cannot open a web request on their own...
    alone = await walk.call("GET", request_path, operator, tracking_number=number)
    problem(alone, 404, "request_not_found")
    # ...nor with a wrong proof; with the phone she gives (national form), they can.
    wrong = await walk.call(
        "POST",
        "/api/v1/tracking",
        operator,
        json={"tracking_number": number, "phone": "0699999999"},
    )
    problem(wrong, 404, "tracking_failed")
    tracked = await walk.call(
        "POST",
        "/api/v1/tracking",
        operator,
        json={"tracking_number": number, "phone": "06 12 34 56 78"},
    )
    assert tracked.status_code == 200, tracked.text
    helped = bearer(tracked.json()["access_token"])
    seen = await walk.call("GET", request_path, helped, tracking_number=number)
    assert seen.status_code == 200, seen.text
    assert seen.json()["tracking_number"] == number
    said = await walk.call(
        "POST",
        "/api/v1/requests/{tracking_number}/messages",
        helped,
        json={"body": "La citoyenne précise que le sinistre date du 3 mars."},
        tracking_number=number,
    )
    assert said.status_code == 201, said.text
    # The assisted token carries no staff power.
    queue = await walk.call("GET", "/api/v1/backoffice/requests", helped)
    problem(queue, 403, "forbidden")

    # The administration takes it up.
    started = await walk.call(
        "POST",
        "/api/v1/backoffice/requests/{tracking_number}/actions/{action}",
        agent,
        json={},
        tracking_number=number,
        action="start",
    )
    assert started.status_code == 200, started.text
    assert started.json()["escalation_level"] == 0
    [message_event] = history(started.json(), "message")
    assert message_event["actor"] == "citizen"
    assert message_event["actor_name"] == operator_user.full_name
    assert message_event["data"]["channel"] == "call_center"

    # A supervisor keeps a canned holding reply.
    created = await walk.call("POST", "/api/v1/backoffice/templates", supervisor, json=TEMPLATE)
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    try:
        # The clock, as of five days before the due date: the assignee and supervisors warned.
        run_due(database_url, due - timedelta(days=3))
        detail = (await walk.call("GET", request_path, agent, tracking_number=number)).json()
        assert len(history(detail, "alert_due_soon")) == 1
        assert detail["escalation_level"] == 0
        # A day past the due date: level 1, the supervisors' escalated queue.
        run_due(database_url, due + timedelta(days=1))
        escalated = await walk.call(
            "GET", "/api/v1/backoffice/requests", supervisor, params={"escalated": "true"}
        )
        assert escalated.status_code == 200, escalated.text
        assert [
            (i["tracking_number"], i["escalation_level"]) for i in escalated.json()["items"]
        ] == [(number, 1)]
        scoped = await walk.call("GET", "/api/v1/backoffice/statistics", supervisor)
        assert scoped.status_code == 200, scoped.text
        assert scoped.json()["escalated_open"] == {admin.code: 1}

        # The agent tells the citizen when to expect the answer, with the canned reply.
        expected_at = clock.now() + timedelta(days=7)
        action_path = "/api/v1/backoffice/requests/{tracking_number}/actions/{action}"
        no_date = await walk.call(
            "POST",
            action_path,
            agent,
            json={"template": "late-answer"},
            tracking_number=number,
            action="interim_reply",
        )
        assert no_date.status_code == 422
        assert field_codes(no_date) == [("expected_at", "required")]
        interim = await walk.call(
            "POST",
            action_path,
            agent,
            json={"template": "late-answer", "expected_at": expected_at.isoformat()},
            tracking_number=number,
            action="interim_reply",
        )
        assert interim.status_code == 200, interim.text
        assert interim.json()["escalation_level"] == 1
        assert datetime.fromisoformat(interim.json()["due_at"]) == due
        words = f"Madame, Monsieur Hind Tazi, votre demande {number} est à l'étude."
        conversation = await walk.call(
            "GET", "/api/v1/requests/{tracking_number}/messages", citizen, tracking_number=number
        )
        assert conversation.json()[-1]["body"] == words
        mine = (await walk.call("GET", request_path, citizen, tracking_number=number)).json()
        [told] = history(mine, "interim_reply")
        assert datetime.fromisoformat(told["data"]["expected_at"]) == expected_at
        assert mine["escalation_level"] is None  # the administration's business
        assert not history(mine, "escalate")
        assert not history(mine, "alert_due_soon")

        # Still unanswered ESCALATION_DAYS later: level 2, the national desk's own queue.
        run_due(database_url, due + timedelta(days=settings.escalation_days + 1))
        national_queue = await walk.call(
            "GET",
            "/api/v1/backoffice/requests",
            national,
            params={"escalation_level": 2, "administration": admin.code},
        )
        assert national_queue.status_code == 200, national_queue.text
        assert number in [i["tracking_number"] for i in national_queue.json()["items"]]
        everywhere = await walk.call(
            "GET", "/api/v1/backoffice/requests", national, params={"escalated": "true"}
        )
        assert number in [i["tracking_number"] for i in everywhere.json()["items"]]
        export = await walk.call(
            "GET",
            "/api/v1/backoffice/requests.csv",
            national,
            params={"administration": admin.code},
        )
        assert export.status_code == 200, export.text
        [row] = [
            r for r in csv.DictReader(io.StringIO(export.text)) if r["tracking_number"] == number
        ]
        assert row["escalation_level"] == "2"
        read = await walk.call("GET", request_path, national, tracking_number=number)
        assert read.status_code == 200
        assert read.json()["escalation_level"] == 2
        assert [e["data"]["escalation_level"] for e in history(read.json(), "escalate")] == [1, 2]
        assert read.json()["allowed_actions"] == ["transfer"]  # reading is not acting

        # Who read her file: the operator (on her behalf) and the national admin, by name.
        log = await walk.call(
            "GET",
            "/api/v1/backoffice/requests/{tracking_number}/access-log",
            national,
            tracking_number=number,
        )
        assert log.status_code == 200, log.text
        readers = {(i["role"], (i["reader"] or {}).get("id")) for i in log.json()["items"]}
        national_ids = {i for r, i in readers if r == "national_admin"}
        assert ("operator", operator_user.id) in readers
        assert len(national_ids) == 1
        assert operator_user.full_name in log.text
        by_agent = await walk.call(
            "GET",
            "/api/v1/backoffice/requests/{tracking_number}/access-log",
            agent,
            tracking_number=number,
        )
        problem(by_agent, 403, "forbidden")
        hers = await walk.call(
            "GET", "/api/v1/requests/{tracking_number}/access-log", citizen, tracking_number=number
        )
        assert hers.status_code == 200, hers.text
        assert {"operator", "national_admin"} <= {i["role"] for i in hers.json()["items"]}
        assert operator_user.full_name not in hers.text

        # Answered at last; she rates it poorly with the survey, through the call centre.
        answered = await walk.call(
            "POST",
            action_path,
            agent,
            json={"message": "Votre indemnisation est validée."},
            tracking_number=number,
            action="answer",
        )
        assert answered.status_code == 200, answered.text
        rating = {"score": 2, "dimensions": {"speed": 1, "clarity": 3, "courtesy": 4}}
        rated = await walk.call(
            "PUT",
            "/api/v1/requests/{tracking_number}/rating",
            helped,
            json=rating,
            tracking_number=number,
        )
        assert rated.status_code == 200, rated.text
        assert rated.json()["rating"]["dimensions"] == {**rating["dimensions"], "outcome": None}

        # She appeals, through the operator; the national desk sends it back with instructions.
        appealed = await walk.call(
            "POST",
            "/api/v1/requests/{tracking_number}/appeal",
            helped,
            json={"reason": "Le montant ne couvre pas les réparations."},
            tracking_number=number,
        )
        assert appealed.status_code == 200, appealed.text
        assert appealed.json()["state"] == "appealed"
        [appeal_event] = history(
            (await walk.call("GET", request_path, agent, tracking_number=number)).json(), "appeal"
        )
        assert appeal_event["data"]["channel"] == "call_center"
        appeals = await walk.call(
            "GET", "/api/v1/backoffice/requests", national, params={"state": "appealed"}
        )
        assert number in [i["tracking_number"] for i in appeals.json()["items"]]
        view = (await walk.call("GET", request_path, national, tracking_number=number)).json()
        assert view["allowed_actions"] == ["decide_appeal"]
        incomplete = await walk.call(
            "POST",
            action_path,
            national,
            json={"decision": "sent_back"},
            tracking_number=number,
            action="decide_appeal",
        )
        assert incomplete.status_code == 422
        assert {f for f, _ in field_codes(incomplete)} == {"days", "message"}
        sent_back = await walk.call(
            "POST",
            action_path,
            national,
            json={"decision": "sent_back", "days": 10, "message": "Revoyez le montant."},
            tracking_number=number,
            action="decide_appeal",
        )
        assert sent_back.status_code == 200, sent_back.text
        body = sent_back.json()
        assert body["state"] == "in_progress"
        assert body["escalation_level"] == 0  # a new deadline: the escalation starts over
        new_due = datetime.fromisoformat(body["due_at"]) - clock.now()
        assert timedelta(days=9) < new_due <= timedelta(days=10)
        again = await walk.call(
            "POST",
            action_path,
            agent,
            json={"message": "Le montant est revu à la hausse."},
            tracking_number=number,
            action="answer",
        )
        assert again.status_code == 200, again.text

        # The public statistics count the missed deadline and the survey's answers.
        stats = await walk.call("GET", "/api/v1/statistics", params={"administration": admin.code})
        indicators = stats.json()["indicators"]
        assert indicators["escalated"] == 1
        assert indicators["dimensions"] == {
            "speed": 1.0,
            "clarity": 3.0,
            "courtesy": 4.0,
            "outcome": None,
        }
        # Staff were told of the deadline by email at each step, the citizen never; and
        # nothing the walk sent out is an untranslated key.
        async with live.sessionmaker() as session:
            outbox = (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.request_id.is_not(None))
                )
            ).all()
        for event in ("due_soon", "escalated", "escalated_national"):
            recipients = {m.recipient for m in outbox if m.event == event}
            assert recipients, event
            assert "hind.tazi@example.ma" not in recipients
        sent = " ".join(str(render(m.channel, m.payload)) for m in outbox)
        for prefix in ("email.", "sms.", "field.", "action.", "state."):
            assert f"'{prefix}" not in sent, prefix
            assert f" {prefix}" not in sent, prefix
    finally:
        removed = await walk.call(
            "DELETE",
            "/api/v1/backoffice/templates/{template_id}",
            supervisor,
            template_id=template_id,
        )
        assert removed.status_code == 204
    walk.check()


# --- a duplicate: a caller reports what a web filing already says


async def test_a_phoned_in_duplicate_is_linked_and_its_caller_told_without_the_original(
    client, session, settings, document
):
    walk = Walker(client, document)
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _op, operator = await make_staff(session, settings, Role.operator)
    original = await walk.call(
        "POST",
        "/api/v1/requests",
        json=complaint(
            admin.code,
            subject="Route coupée à Tiznit",
            complainant={"full_name": "Karim Bennani", "email": "karim.bennani@example.ma"},
        ),
    )
    assert original.status_code == 201, original.text
    first = original.json()["tracking_number"]
    # A caller reports the same road to 3737: the operator files it for them, by phone.
    phoned = await walk.call(
        "POST",
        "/api/v1/requests",
        operator,
        json=complaint(
            admin.code,
            channel="call_center",
            language="ar",
            complainant={"full_name": "سلمى العلوي", "phone": "0661234567"},
        ),
    )
    assert phoned.status_code == 201, phoned.text
    second = phoned.json()["tracking_number"]

    action_path = "/api/v1/backoffice/requests/{tracking_number}/actions/{action}"
    itself = await walk.call(
        "POST",
        action_path,
        agent,
        json={"duplicate_of": second},
        tracking_number=second,
        action="mark_duplicate",
    )
    assert field_codes(itself) == [("duplicate_of", "same_request")]
    marked = await walk.call(
        "POST",
        action_path,
        agent,
        json={"duplicate_of": first},
        tracking_number=second,
        action="mark_duplicate",
    )
    assert marked.status_code == 200, marked.text
    assert (marked.json()["state"], marked.json()["duplicate_of"]) == ("rejected", first)
    request_path = "/api/v1/requests/{tracking_number}"
    original_view = (await walk.call("GET", request_path, agent, tracking_number=first)).json()
    assert original_view["duplicates"] == [second]

    answer = "La route sera rouverte lundi, Monsieur Bennani."
    for action, body in (("start", {}), ("answer", {"message": answer})):
        done = await walk.call(
            "POST", action_path, agent, json=body, tracking_number=first, action=action
        )
        assert done.status_code == 200, done.text
    told = (
        await session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "duplicate_answered")
        )
    ).all()
    assert [m.recipient for m in told] == ["+212661234567"]
    for secret in (first, answer, "Bennani", "Tiznit", "duplicate_answered."):
        assert secret not in str(render("sms", told[0].payload)), secret

    # The caller rings back: the operator opens their request, never the original.
    tracked = await walk.call(
        "POST",
        "/api/v1/tracking",
        operator,
        json={"tracking_number": second, "phone": "+212661234567"},
    )
    assert tracked.status_code == 200, tracked.text
    seen = await walk.call(
        "GET", request_path, bearer(tracked.json()["access_token"]), tracking_number=second
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["state"] == "rejected"
    assert seen.json()["duplicate_of"] is None
    assert first not in seen.text
    walk.check()


# --- the catalogue as data, and the administration's own system answering


async def test_a_new_service_is_used_at_once_and_answered_by_the_administrations_system(
    client, client_at, session, settings, document
):
    walk = Walker(client, document)
    _n, national = await make_staff(session, settings, Role.national_admin)
    # Another API process, with the default refresh, has filed already: its cache is warm.
    other_process = client_at(
        "127.0.0.2", settings.model_copy(update={"catalogue_refresh_seconds": 2})
    )
    warm = await make_administration(session)
    assert (
        await other_process.post("/api/v1/requests", json=complaint(warm.code))
    ).status_code == 201

    code = f"WALK{secrets.token_hex(2).upper()}"
    created = await walk.call(
        "POST",
        "/api/v1/backoffice/administrations",
        national,
        json={
            "code": code,
            "name": {"ar": "وكالة الماء", "fr": "Agence de l'eau", "en": "Water agency"},
            "sector": "public_service",
        },
    )
    assert created.status_code == 201, created.text
    too_long = await walk.call(
        "POST",
        "/api/v1/backoffice/administrations/{code}/services",
        national,
        json={**_service(), "answer_days": 61},
        code=code,
    )
    assert field_codes(too_long) == [("answer_days", "over_legal_maximum")]
    service = await walk.call(
        "POST",
        "/api/v1/backoffice/administrations/{code}/services",
        national,
        json=_service(),
        code=code,
    )
    assert service.status_code == 201, service.text
    reference = service.json()["reference"]

    # A citizen files to it at once, through the other process; its attributes are enforced.
    body = complaint(code, service="meters", attributes={"meter": "CPT-0042"})
    incomplete = await other_process.post("/api/v1/requests", json={**body, "attributes": {}})
    assert ("attributes.meter", "required") in field_codes(incomplete), incomplete.text
    filed = await other_process.post("/api/v1/requests", json=body)
    assert filed.status_code == 201, filed.text
    number = filed.json()["tracking_number"]
    citizen = bearer(filed.json()["access_token"])

    # Its supervisor edits the texts, never the deadline.
    administration = await session.scalar(select(Administration).where(Administration.code == code))
    _s, supervisor = await make_staff(session, settings, Role.supervisor, administration)
    deadline = await walk.call(
        "PATCH",
        "/api/v1/backoffice/services/{service}",
        supervisor,
        json={"answer_days": 30},
        service=reference,
    )
    problem(deadline, 403, "national_admin_only")
    renamed = await walk.call(
        "PATCH",
        "/api/v1/backoffice/services/{service}",
        supervisor,
        json={"name": {"ar": "العدادات", "fr": "Compteurs d'eau", "en": "Water meters"}},
        service=reference,
    )
    assert renamed.status_code == 200, renamed.text
    public = (await client.get(f"/api/v1/administrations/{code}")).json()
    assert [s["name"]["fr"] for s in public["services"]] == ["Compteurs d'eau"]

    # The agency's own system (its key, `python -m app api-keys create`) finds and answers it.
    key, _record = await api_keys.create(
        session, administration_code=code, name="GED Agence", now=clock.now()
    )
    listed = await client.get(
        "/open311/v2/requests.json", params={"api_key": key, "service_code": reference}
    )
    assert listed.status_code == 200, listed.text
    [mine] = [r for r in listed.json() if r.get("tracking_number") == number]
    public_id = mine["service_request_id"]
    system = {"X-API-Key": key}
    action_path = "/api/v1/backoffice/requests/{tracking_number}/actions/{action}"
    wrong_key = await walk.call(
        "POST",
        action_path,
        {"X-API-Key": "ck_not-a-key"},
        json={},
        tracking_number=number,
        action="start",
    )
    problem(wrong_key, 401, "invalid_api_key")
    not_its_own = await walk.call(
        "POST",
        action_path,
        system,
        json={"administration": warm.code, "reason": "Pas chez nous."},
        tracking_number=number,
        action="transfer",
    )
    problem(not_its_own, 409, "action_not_for_role")
    # The national desk gives the new agency a canned reply; its system writes with it.
    canned = await walk.call(
        "POST",
        "/api/v1/backoffice/templates",
        national,
        json={**TEMPLATE, "administration": code},
    )
    assert canned.status_code == 201, canned.text
    holding = await walk.call(
        "POST",
        action_path,
        system,
        json={"template": "late-answer"},
        tracking_number=number,
        action="message",
    )
    assert holding.status_code == 200, holding.text
    assert history(holding.json(), "message")[-1]["note"] == (
        f"Dear Fatima Zahra El Idrissi, your request {number} is being studied."
    )
    words = "Le compteur CPT-0042 a été remplacé le 4 mars."
    for action, payload in (("start", {}), ("answer", {"message": words})):
        done = await walk.call(
            "POST", action_path, system, json=payload, tracking_number=number, action=action
        )
        assert done.status_code == 200, done.text
    [answered] = history(done.json(), "answer")
    assert answered["actor"] == "integration"
    assert answered["data"]["api_key"] == "GED Agence"

    # Open311 shows the result: a label to anyone, the agency's words to its own key.
    url = f"/open311/v2/requests/{public_id}.json"
    [anyone] = (await client.get(url, headers=FR)).json()
    assert (anyone["status"], anyone["status_notes"]) == ("closed", "L'administration a répondu.")
    [own] = (await client.get(url, params={"api_key": key})).json()
    assert (own["status"], own["status_notes"]) == ("closed", words)

    # The citizen reads the answer and fills in the whole survey; the statistics show it.
    conversation = await walk.call(
        "GET", "/api/v1/requests/{tracking_number}/messages", citizen, tracking_number=number
    )
    assert conversation.json()[-1]["body"] == words
    survey = {"speed": 5, "clarity": 4, "courtesy": 5, "outcome": 3}
    out_of_range = await walk.call(
        "PUT",
        "/api/v1/requests/{tracking_number}/rating",
        citizen,
        json={"score": 4, "dimensions": {**survey, "speed": 6}},
        tracking_number=number,
    )
    assert field_codes(out_of_range)[0][0] == "dimensions.speed"
    rated = await walk.call(
        "PUT",
        "/api/v1/requests/{tracking_number}/rating",
        citizen,
        json={"score": 4, "dimensions": survey},
        tracking_number=number,
    )
    assert rated.status_code == 200, rated.text
    stats = await walk.call("GET", "/api/v1/statistics", params={"administration": code})
    assert stats.json()["indicators"]["dimensions"] == {k: float(v) for k, v in survey.items()}

    # The national desk sees the key's reads in the access log.
    log = await walk.call(
        "GET",
        "/api/v1/backoffice/requests/{tracking_number}/access-log",
        national,
        tracking_number=number,
    )
    assert log.status_code == 200, log.text
    assert "GED Agence" in {i["api_key"] for i in log.json()["items"]}

    # A used service is archived, never deleted: filings refused, the request keeps it.
    archived = await walk.call(
        "DELETE", "/api/v1/backoffice/services/{service}", national, service=reference
    )
    assert archived.json() == {"reference": reference, "outcome": "archived"}
    refused = await walk.call("POST", "/api/v1/requests", json=body)
    assert field_codes(refused) == [("service", "service_archived")]
    kept = await walk.call(
        "GET", "/api/v1/requests/{tracking_number}", citizen, tracking_number=number
    )
    assert kept.json()["service"]["code"] == "meters"
    walk.check()


def _service() -> dict[str, Any]:
    return {
        "code": "meters",
        "name": {"ar": "عدادات", "fr": "Compteurs", "en": "Meters"},
        "description": {"ar": "وصف", "fr": "Relevés et pannes", "en": "Readings and faults"},
        "kinds": ["complaint"],
        "answer_days": 30,
        "attributes": [
            {
                "code": "meter",
                "datatype": "string",
                "required": True,
                "order": 1,
                "description": {"ar": "رقم العداد", "fr": "N° de compteur", "en": "Meter number"},
                "max_length": 20,
                "values": [],
            }
        ],
    }


# --- the document and the words


def test_every_issue_10_operation_is_documented_with_its_problems(document):
    for method, template in OPERATIONS:
        operation = document["paths"].get(template, {}).get(method.lower())
        assert operation, f"{method} {template}"
        assert operation["summary"], template
        assert operation["description"], template
        problems = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert problems, template
        for status, response in problems.items():
            assert "application/problem+json" in response["content"], (template, status)
            assert response["description"].startswith("Problem: `"), (template, status)
    actions = document["paths"]["/api/v1/backoffice/requests/{tracking_number}/actions/{action}"]
    described = actions["post"]["description"]
    for action in ("interim_reply", "mark_duplicate", "decide_appeal", "decline_transfer"):
        assert f"`{action}`" in described, action
    fields = document["components"]["schemas"]["ActionIn"]["properties"]
    for name, action in (
        ("expected_at", "interim_reply"),
        ("duplicate_of", "mark_duplicate"),
        ("decision", "decide_appeal"),
        ("days", "decide_appeal"),
        ("message", "interim_reply"),
        ("reason", "decline_transfer"),
        ("template", "message"),
    ):
        assert f"`{action}`" in fields[name].get("description", ""), name


async def test_every_new_action_has_its_words_in_three_languages(client):
    served = (await client.get("/api/v1/lifecycle")).json()
    labels: dict[str, dict[str, str]] = {}
    for table in served.values():
        labels.update(table["action_labels"])
    for action in NEW_ACTIONS:
        assert set(labels.get(action, {})) >= set(LANGUAGES), action
        assert len({labels[action][language] for language in LANGUAGES}) == 3, action
        assert all(not text.startswith("action.") for text in labels[action].values())


async def test_an_interim_reply_without_a_time_zone_is_a_field_error(
    client, session, settings, document
):
    # Found by the walk: `expected_at` without an offset (or a bare date) was a 500.
    walk = Walker(client, document)
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    filed = await walk.call("POST", "/api/v1/requests", json=complaint(admin.code))
    number = filed.json()["tracking_number"]
    for moment in ("2030-01-01T10:00:00", "2030-01-01"):
        refused = await walk.call(
            "POST",
            "/api/v1/backoffice/requests/{tracking_number}/actions/{action}",
            agent,
            json={"message": "Réponse sous peu.", "expected_at": moment},
            tracking_number=number,
            action="interim_reply",
        )
        assert refused.status_code == 422, refused.text
        assert field_codes(refused) == [("expected_at", "not_a_datetime")]
    walk.check()


ACTION = "/api/v1/backoffice/requests/{tracking_number}/actions/{action}"
APPEAL = "/api/v1/requests/{tracking_number}/appeal"
APPEAL_BODY = {"reason": "La réponse ne règle rien."}


async def _appealed(walk, session, settings):
    """A web complaint answered, rated 1 and appealed: (number, citizen, agent, national)."""
    admin = await make_administration(session)
    _n, national = await make_staff(session, settings, Role.national_admin)
    filed = await walk.call("POST", "/api/v1/requests", json=complaint(admin.code))
    number, citizen = filed.json()["tracking_number"], bearer(filed.json()["access_token"])
    _a, agent = await make_staff(session, settings, Role.agent, admin)
    for action, body in (("start", {}), ("answer", {"message": "Rien à faire."})):
        done = await walk.call(
            "POST", ACTION, agent, json=body, tracking_number=number, action=action
        )
        assert done.status_code == 200, done.text
    rated = await walk.call(
        "PUT",
        "/api/v1/requests/{tracking_number}/rating",
        citizen,
        json={"score": 1},
        tracking_number=number,
    )
    assert rated.status_code == 200, rated.text
    first = await walk.call("POST", APPEAL, citizen, json=APPEAL_BODY, tracking_number=number)
    assert first.status_code == 200, first.text
    return number, citizen, agent, national


async def test_a_dismissed_appeal_is_final(client, session, settings, document):
    walk = Walker(client, document)
    number, citizen, _agent, national = await _appealed(walk, session, settings)
    dismissed = await walk.call(
        "POST",
        ACTION,
        national,
        json={"decision": "dismissed"},
        tracking_number=number,
        action="decide_appeal",
    )
    assert dismissed.json()["state"] == "closed"
    # The detail view offers what the action would take: not a second appeal.
    detail = await walk.call(
        "GET", "/api/v1/requests/{tracking_number}", citizen, tracking_number=number
    )
    assert detail.status_code == 200, detail.text
    assert "appeal" not in detail.json()["allowed_actions"]
    again = await walk.call("POST", APPEAL, citizen, json=APPEAL_BODY, tracking_number=number)
    problem(again, 409, "appeal_already_made")


async def test_an_answer_given_after_an_appeal_sent_back_may_be_appealed(
    client, session, settings, document
):
    walk = Walker(client, document)
    number, citizen, agent, national = await _appealed(walk, session, settings)
    sent_back = await walk.call(
        "POST",
        ACTION,
        national,
        json={"decision": "sent_back", "days": 10, "message": "Revoir le dossier."},
        tracking_number=number,
        action="decide_appeal",
    )
    assert sent_back.json()["state"] == "in_progress", sent_back.text
    # Still the same, unanswered, request: no second appeal before a new answer.
    early = await walk.call("POST", APPEAL, citizen, json=APPEAL_BODY, tracking_number=number)
    assert early.status_code == 409, early.text
    answered = await walk.call(
        "POST",
        ACTION,
        agent,
        json={"message": "Toujours rien à faire."},
        tracking_number=number,
        action="answer",
    )
    assert answered.status_code == 200, answered.text
    # The rating of 1 stands (an answer is rated once); the new answer opens a new appeal.
    second = await walk.call("POST", APPEAL, citizen, json=APPEAL_BODY, tracking_number=number)
    assert second.status_code == 200, second.text
    assert second.json()["state"] == "appealed"
    walk.check()
