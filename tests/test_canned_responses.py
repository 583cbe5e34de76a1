"""Canned responses: managed per administration, used in actions and messages, filled in the
citizen's language, never another administration's."""

from __future__ import annotations

from app.models.enums import Role, State
from tests.factories import (
    act,
    citizen_auth,
    create_request,
    make_staff,
    two_administrations,
)

URL = "/api/v1/backoffice/templates"


def template(code: str = "ask-receipt", **overrides):
    return {
        "code": code,
        "name": {"ar": "طلب الوصل", "fr": "Demande du reçu", "en": "Ask for the receipt"},
        "body": {
            "ar": "السيد(ة) {citizen_name}، المرجو إرفاق الوصل بطلبكم {tracking_number} "
            "قبل {due_date}.",
            "fr": "Bonjour {citizen_name}, joignez le reçu à la demande {tracking_number} "
            "avant le {due_date}.",
            "en": "Dear {citizen_name}, attach the receipt to request {tracking_number} "
            "before {due_date}.",
        },
        **overrides,
    }


async def _setup(session, settings):
    staffed = await two_administrations(session, settings)
    _op, operator = await make_staff(session, settings, Role.operator)
    return (*staffed, operator)


async def message(client, number, headers, **body):  # type: ignore[no-untyped-def]
    """Post a message (its text or a canned response's `template`) on a request."""
    return await client.post(f"/api/v1/requests/{number}/messages", json=body, headers=headers)


async def test_supervisors_manage_their_own_agents_read_national_admins_any(
    client, session, settings
):
    admin, other, agent, supervisor, other_supervisor, national, operator = await _setup(
        session, settings
    )
    created = await client.post(URL, json=template(), headers=supervisor)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["administration"], body["code"]) == (admin.code, "ask-receipt")
    assert body["body"]["fr"].startswith("Bonjour {citizen_name}")
    template_id = body["id"]

    # The same code is another administration's own business; twice in one is refused.
    assert (await client.post(URL, json=template(), headers=other_supervisor)).status_code == 201
    taken = await client.post(URL, json=template(), headers=supervisor)
    assert taken.status_code == 422
    assert taken.json()["errors"][0] == {
        "field": "code",
        "code": "code_taken",
        "message": "This code is already used in the administration.",
    }

    # Agents read and use, never manage; operators and citizens do neither.
    listed = await client.get(URL, headers=agent)
    assert [t["code"] for t in listed.json()["items"]] == ["ask-receipt"]
    assert (await client.post(URL, json=template("x-1"), headers=agent)).status_code == 403
    assert (await client.delete(f"{URL}/{template_id}", headers=agent)).status_code == 403
    assert (await client.get(URL, headers=operator)).status_code == 403
    assert (
        await client.get(URL, params={"administration": other.code}, headers=agent)
    ).status_code == 403

    # Another administration's response does not exist for a supervisor.
    foreign = await client.put(f"{URL}/{template_id}", json=template(), headers=other_supervisor)
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "template_not_found"
    assert (
        await client.delete(f"{URL}/{template_id}", headers=other_supervisor)
    ).status_code == 404

    # National admins name the administration.
    unnamed = await client.post(URL, json=template("late"), headers=national)
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["field"] == "administration"
    added = await client.post(
        URL, json=template("late", administration=admin.code), headers=national
    )
    assert added.status_code == 201
    renamed = template("late-answer")
    renamed["name"]["fr"] = "Réponse tardive"
    replaced = await client.put(f"{URL}/{added.json()['id']}", json=renamed, headers=supervisor)
    assert replaced.status_code == 200
    assert replaced.json()["name"]["fr"] == "Réponse tardive"

    # Keyset pages, by code.
    first = await client.get(
        URL, params={"administration": admin.code, "limit": 1}, headers=national
    )
    assert [t["code"] for t in first.json()["items"]] == ["ask-receipt"]
    second = await client.get(
        URL,
        params={"administration": admin.code, "limit": 1, "cursor": first.json()["next_cursor"]},
        headers=national,
    )
    assert [t["code"] for t in second.json()["items"]] == ["late-answer"]
    assert second.json()["next_cursor"] is None

    assert (await client.delete(f"{URL}/{template_id}", headers=supervisor)).status_code == 204
    remaining = await client.get(URL, headers=supervisor)
    assert [t["code"] for t in remaining.json()["items"]] == ["late-answer"]


async def test_only_known_placeholders_are_accepted(client, session, settings):
    _admin, _other, _agent, supervisor, *_ = await _setup(session, settings)
    for text, name in (
        ("Bonjour {nom}", "nom"),
        ("Bonjour {citizen_name.__class__}", "citizen_name.__class__"),
        ("Le {due_date:%d/%m}", "due_date"),
        ("Bonjour {}", "{}"),
    ):
        body = template()
        body["body"]["fr"] = text
        refused = await client.post(URL, json=body, headers={**supervisor, "Accept-Language": "fr"})
        assert refused.status_code == 422, text
        error = refused.json()["errors"][0]
        assert (error["field"], error["code"]) == ("body.fr", "unknown_placeholder")
        assert name in error["message"]
        assert "{tracking_number}" in error["message"]
    unbalanced = template()
    unbalanced["body"]["en"] = "Dear {citizen_name"
    refused = await client.post(URL, json=unbalanced, headers=supervisor)
    assert refused.json()["errors"][0]["code"] == "invalid_placeholder"
    braces = template("braces")
    braces["body"]["en"] = "Reference {{internal}} for {tracking_number}"
    assert (await client.post(URL, json=braces, headers=supervisor)).status_code == 201


async def test_a_template_fills_an_action_and_a_message_in_the_citizens_language(
    client, session, settings
):
    admin, _other, agent, supervisor, other_supervisor, *_ = await _setup(session, settings)
    await client.post(URL, json=template(), headers=supervisor)
    foreign = template("foreign")
    foreign["body"] = {lang: "Texte d'une autre administration." for lang in ("ar", "fr", "en")}
    await client.post(URL, json=foreign, headers=other_supervisor)

    french = await create_request(
        session, administration=admin, state=State.in_progress, language="fr", full_name="Amina B"
    )
    number, due = french.tracking_number, french.due_at.date().isoformat()
    asked = await act(client, number, "request_info", agent, template="ask-receipt")
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "awaiting_citizen"
    expected = f"Bonjour Amina B, joignez le reçu à la demande {number} avant le {due}."
    citizen = citizen_auth(french, settings)
    messages = (await client.get(f"/api/v1/requests/{number}/messages", headers=citizen)).json()
    assert messages[-1]["body"] == expected
    history = asked.json()["history"]
    assert (history[-1]["note"], history[-1]["data"]["template"]) == (expected, "ask-receipt")

    arabic = await create_request(
        session, administration=admin, state=State.in_progress, language="ar", full_name="سعيد"
    )
    posted = await message(client, arabic.tracking_number, agent, template="ask-receipt")
    assert posted.status_code == 201, posted.text
    assert posted.json()["body"] == (
        f"السيد(ة) سعيد، المرجو إرفاق الوصل بطلبكم {arabic.tracking_number} "
        f"قبل {arabic.due_at.date().isoformat()}."
    )
    note = await act(client, arabic.tracking_number, "note", agent, template="ask-receipt")
    assert note.status_code == 200

    # Another administration's code is unknown here: its text never leaves.
    leaked = await act(client, number, "message", agent, template="foreign")
    assert leaked.status_code == 422
    assert leaked.json()["errors"][0] == {
        "field": "template",
        "code": "unknown_template",
        "message": "The request's administration has no canned response with this code.",
    }
    leaked_message = await message(client, arabic.tracking_number, agent, template="foreign")
    assert leaked_message.status_code == 422
    both = await act(client, number, "message", agent, template="ask-receipt", message="Et ceci")
    assert both.json()["errors"][0]["code"] == "template_or_text"
    neither = await message(client, arabic.tracking_number, agent)
    assert neither.status_code == 422
    assert neither.json()["errors"][0] == {
        "field": "body",
        "code": "required",
        "message": "This field is required.",
    }
    # Citizens write their own words.
    by_citizen = await message(client, number, citizen, template="ask-receipt")
    assert by_citizen.status_code == 403
    # Nothing of the refused attempts reached the conversation.
    after = (await client.get(f"/api/v1/requests/{number}/messages", headers=citizen)).json()
    assert [m["body"] for m in after] == [m["body"] for m in messages]


async def test_a_body_of_the_largest_size_is_kept_and_read_back(client, session, settings):
    # Found by schemathesis: the answer's shape once capped bodies at a label's 2000.
    _admin, _other, _agent, supervisor, *_ = await _setup(session, settings)
    body = template()
    body["body"]["en"] = "0" * 4000
    created = await client.post(URL, json=body, headers=supervisor)
    assert created.status_code == 201, created.text
    replaced = await client.put(f"{URL}/{created.json()['id']}", json=body, headers=supervisor)
    assert replaced.status_code == 200
    assert replaced.json()["body"]["en"] == "0" * 4000
    body["body"]["en"] = "0" * 4001
    too_long = await client.post(URL, json=template("other", body=body["body"]), headers=supervisor)
    assert too_long.json()["errors"][0]["field"] == "body.en"
