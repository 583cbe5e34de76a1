"""The public catalogue and the sample data it ships with."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models.catalogue import Administration, Service
from app.services.catalogue import load_sample, read_sample
from tests.factories import make_administration

NAME = {
    "ar": "الصُّنْدُوق الوطني للضمان الاجتماعي التجريبي",
    "fr": "Caisse Nationale de Sécurité Sociale d'Essai",
    "en": "Trial National Social Security Fund",
}


@pytest.mark.parametrize(
    "query",
    [
        "sécurité",
        "SECURITE",
        "securite sociale",
        "الضمان",
        "الصندوق",  # typed without the diacritics of the stored name
        "الإجتماعي",  # hamza form the stored name does not use
        "social security",
        "tst-search",
    ],
)
async def test_search_ignores_case_accents_diacritics_and_hamza(client, session, query):
    await make_administration(session, code="TST-SEARCH", name=NAME)
    response = await client.get("/api/v1/administrations", params={"q": query})
    assert response.status_code == 200
    assert "TST-SEARCH" in [a["code"] for a in response.json()]


async def test_search_with_like_wildcards_finds_nothing_unexpected(client, session):
    await make_administration(session, code="TST-WILD", name=NAME)
    response = await client.get("/api/v1/administrations", params={"q": "%_%"})
    assert response.status_code == 200
    assert "TST-WILD" not in [a["code"] for a in response.json()]


async def test_filter_by_sector(client, session):
    await make_administration(session, code="TST-SECTOR")
    codes = [
        a["code"]
        for a in (
            await client.get("/api/v1/administrations", params={"sector": "public_service"})
        ).json()
    ]
    assert "TST-SECTOR" in codes
    finance = (await client.get("/api/v1/administrations", params={"sector": "finance"})).json()
    assert "TST-SECTOR" not in [a["code"] for a in finance]
    assert all(a["sector"] == "finance" for a in finance)


async def test_one_administration_with_its_services_and_attributes(client, session):
    await make_administration(session, code="TST-ONE", answer_days=45)
    response = await client.get("/api/v1/administrations/tst-one")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "TST-ONE"
    assert body["answer_days"] == 45
    services = {s["code"]: s for s in body["services"]}
    assert set(services) == {"general", "svc"}
    attributes = services["svc"]["attributes"]
    assert [a["order"] for a in attributes] == sorted(a["order"] for a in attributes)
    branch = next(a for a in attributes if a["code"] == "branch")
    assert branch["datatype"] == "singlevaluelist"
    assert branch["values"][0] == {
        "key": "auto",
        "name": {"ar": "السيارات", "fr": "Automobile", "en": "Motor"},
    }
    listed = await client.get("/api/v1/administrations/TST-ONE/services")
    assert listed.json() == body["services"]


async def test_unknown_administration_is_a_localized_404(client):
    response = await client.get("/api/v1/administrations/NOPE", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "administration_not_found"
    assert response.json()["title"] == "Administration introuvable"


def test_sample_holds_the_bodies_the_portal_is_known_for():
    sample = read_sample()
    assert sample.sample is True
    codes = {a.code for a in sample.administrations}
    assert len(codes) >= 15
    assert {"ACAPS", "PMP", "CNOPS", "CNSS", "DGI", "ADII", "ANCFCC"} <= codes
    prosecutor = next(a for a in sample.administrations if a.code == "PMP")
    attribute_codes = {attr.code for s in prosecutor.services for attr in s.attributes}
    assert any("accused" in code for code in attribute_codes)
    acaps = next(a for a in sample.administrations if a.code == "ACAPS")
    assert len(acaps.services) >= 2


async def test_loading_the_sample_twice_changes_nothing(session):
    # The test database already holds the sample: loading again must not duplicate anything.
    count_admins = select(func.count()).select_from(Administration)
    count_services = select(func.count()).select_from(Service)
    before = (await session.scalar(count_admins), await session.scalar(count_services))
    await load_sample(session)
    after = (await session.scalar(count_admins), await session.scalar(count_services))
    assert before == after
    sample = read_sample()
    assert before[0] >= len(sample.administrations)


async def test_sample_administrations_are_marked_as_sample(client):
    listed = (await client.get("/api/v1/administrations", params={"q": "ACAPS"})).json()
    acaps = next(a for a in listed if a["code"] == "ACAPS")
    assert acaps["is_sample"] is True
