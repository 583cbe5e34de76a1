"""The FAQ: public, localized, managed by national admins only."""

from __future__ import annotations

from app.models.enums import Role
from app.schemas.faq import FaqIn
from tests.factories import make_administration, make_staff

# The example the API documents is a valid entry.
ENTRY = FaqIn.model_config["json_schema_extra"]["example"]  # type: ignore[index]


async def test_national_admins_manage_and_everyone_reads(client, session, settings):
    _admin, national = await make_staff(session, settings, Role.national_admin)
    created = await client.post("/api/v1/backoffice/faq", json=ENTRY, headers=national)
    assert created.status_code == 201
    entry_id = created.json()["id"]
    listed = await client.get("/api/v1/faq", params={"topic": "tracking"})
    assert [e["question"]["ar"] for e in listed.json()] == ["كيف أتتبع شكايتي؟"]
    found = await client.get("/api/v1/faq", params={"q": "reclamation"})  # accent ignored
    assert [e["id"] for e in found.json()] == [entry_id]
    changed = {**ENTRY, "position": 2}
    replaced = await client.put(
        f"/api/v1/backoffice/faq/{entry_id}", json=changed, headers=national
    )
    assert replaced.json()["position"] == 2
    deleted = await client.delete(f"/api/v1/backoffice/faq/{entry_id}", headers=national)
    assert deleted.status_code == 204
    assert (await client.get("/api/v1/faq")).json() == []
    missing = await client.delete(f"/api/v1/backoffice/faq/{entry_id}", headers=national)
    assert missing.status_code == 404


async def test_only_national_admins_write(client, session, settings):
    admin = await make_administration(session)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    refused = await client.post("/api/v1/backoffice/faq", json=ENTRY, headers=supervisor)
    assert refused.status_code == 403
    anonymous = await client.post("/api/v1/backoffice/faq", json=ENTRY)
    assert anonymous.status_code == 401


async def test_every_language_is_required(client, session, settings):
    _admin, national = await make_staff(session, settings, Role.national_admin)
    partial = {**ENTRY, "answer": {"fr": "Réponse"}}
    response = await client.post("/api/v1/backoffice/faq", json=partial, headers=national)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"answer.ar", "answer.en"}


async def test_the_sample_faq_fills_an_empty_faq_only(client, session, settings):
    from app.services import clock, faq

    assert await faq.load_sample(session, clock.now()) == 6
    listed = (await client.get("/api/v1/faq", headers={"Accept-Language": "ar"})).json()
    assert [(e["topic"], e["position"]) for e in listed] == [
        ("deadlines", 1),
        ("privacy", 1),
        ("reopen", 1),
        ("submission", 1),
        ("submission", 2),
        ("tracking", 1),
    ]
    assert all(e["question"]["ar"] and e["answer"]["fr"] and e["answer"]["en"] for e in listed)
    _admin, national = await make_staff(session, settings, Role.national_admin)
    edited = {**ENTRY, "topic": "tracking", "position": 1}
    tracking_id = next(e["id"] for e in listed if e["topic"] == "tracking")
    await client.put(f"/api/v1/backoffice/faq/{tracking_id}", json=edited, headers=national)
    privacy_id = next(e["id"] for e in listed if e["topic"] == "privacy")
    await client.delete(f"/api/v1/backoffice/faq/{privacy_id}", headers=national)
    assert await faq.load_sample(session, clock.now()) == 0
    again = (await client.get("/api/v1/faq", params={"topic": "tracking"})).json()
    assert again[0]["answer"]["fr"] == ENTRY["answer"]["fr"]  # the edit stays
    assert (await client.get("/api/v1/faq", params={"topic": "privacy"})).json() == []
