"""Open311 GeoReport v2 at /open311/v2: answers checked field by field, in JSON and in XML."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from app.models.enums import Role
from app.models.request import Request
from app.services import api_keys, clock
from app.services.open311 import w3c
from tests.factories import act, attribute, choice, complaint, file, make_administration, make_staff

BASE = "/open311/v2"
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
# The request object of the specification, every field, in its order.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "tracking_number",  # our addition: the owning key's only (null for anyone else)
]
W3C = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def xml(response):
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def fields(element):
    return [child.tag for child in element]


async def _key(session, administration):
    key, _record = await api_keys.create(
        session, administration_code=administration.code, name="system", now=clock.now()
    )
    return key


def _assert_refused(response, status: int, words: str) -> None:
    """A GeoReport error list answered with `status`, its first error naming `words`."""
    assert response.status_code == status, response.text
    assert words in response.json()[0]["description"]


async def _keyed_form(session, administration, key_of=None):
    """`_form` with a key of `key_of` (by default of the administration filed with)."""
    return _form(administration, api_key=await _key(session, key_of or administration))


def _form(administration, **extra):
    form = {
        "service_code": f"{administration.code}-svc",
        "description": "Le remboursement de mon sinistre automobile n'est jamais arrivé.",
        "first_name": "Khadija",
        "last_name": "Alaoui",
        "email": "khadija@example.ma",
        "attribute[policy_number]": "POL-42",
        "attribute[branch]": "auto",
    }
    form.update(extra)
    return form


class TestServices:
    async def test_the_list_in_json_names_every_field_of_the_specification(self, client, session):
        admin = await make_administration(session)
        response = await client.get(f"{BASE}/services.json", headers={"Accept-Language": "fr"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        services = response.json()
        assert isinstance(services, list)
        assert len(services) > 30  # the sample catalogue is there too
        ours = {s["service_code"]: s for s in services if s["group"] == admin.name["fr"]}
        assert list(ours) == [f"{admin.code}-general", f"{admin.code}-svc"]
        svc = ours[f"{admin.code}-svc"]
        assert list(svc) == SERVICE_FIELDS
        assert svc["service_name"] == "Service"
        assert svc["metadata"] is True
        assert svc["type"] == "realtime"
        assert svc["keywords"] == "complaint,observation,suggestion"
        assert ours[f"{admin.code}-general"]["metadata"] is False
        assert all(isinstance(s["service_code"], str) for s in services)

    async def test_the_list_in_xml_repeats_service_elements(self, client, session):
        admin = await make_administration(session)
        root = xml(await client.get(f"{BASE}/services.xml", headers={"Accept-Language": "ar"}))
        assert root.tag == "services"
        assert {child.tag for child in root} == {"service"}
        ours = [s for s in root if s.findtext("service_code") == f"{admin.code}-svc"]
        assert len(ours) == 1
        assert fields(ours[0]) == SERVICE_FIELDS
        assert ours[0].findtext("metadata") == "true"
        assert ours[0].findtext("group") == admin.name["ar"]
        assert ours[0].findtext("service_name") == "خدمة"

    async def test_a_definition_lists_attributes_in_open311_datatypes(self, client, session):
        admin = await make_administration(session)
        response = await client.get(
            f"{BASE}/services/{admin.code}-svc.json", headers={"Accept-Language": "en"}
        )
        assert response.status_code == 200
        definition = response.json()
        assert list(definition) == ["service_code", "attributes"]
        assert definition["service_code"] == f"{admin.code}-svc"
        attributes = definition["attributes"]
        assert [a["code"] for a in attributes] == [
            "policy_number",
            "branch",
            "incident_date",
            "amount",
            "accused_id",
        ]
        assert all(list(a) == ATTRIBUTE_FIELDS for a in attributes)
        assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5]
        branch = attributes[1]
        assert branch["datatype"] == "singlevaluelist"
        assert branch["required"] is True
        assert branch["variable"] is True
        assert branch["values"] == [
            {"key": "auto", "name": "Motor"},
            {"key": "health", "name": "Health"},
        ]
        # Our richer types travel as strings, explained.
        assert attributes[2]["datatype"] == "string"
        assert "YYYY-MM-DD" in attributes[2]["datatype_description"]
        assert attributes[3]["datatype"] == "number"
        assert attributes[3]["datatype_description"] is None
        assert attributes[4]["datatype"] == "string"

    async def test_a_definition_in_xml_nests_attributes_and_values(self, client, session):
        admin = await make_administration(session)
        root = xml(
            await client.get(
                f"{BASE}/services/{admin.code}-svc.xml", headers={"Accept-Language": "fr"}
            )
        )
        assert root.tag == "service_definition"
        assert fields(root) == ["service_code", "attributes"]
        attributes = root.find("attributes")
        assert {child.tag for child in attributes} == {"attribute"}
        branch = attributes.findall("attribute")[1]
        assert fields(branch) == ATTRIBUTE_FIELDS
        assert branch.findtext("required") == "true"
        values = branch.find("values").findall("value")
        assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
            ("auto", "Automobile"),
            ("health", "Santé"),
        ]

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    async def test_an_unknown_service_is_a_404_error_list(self, client, fmt):
        response = await client.get(f"{BASE}/services/NOPE-nothing.{fmt}")
        assert response.status_code == 404
        if fmt == "json":
            assert response.json() == [
                {"code": 404, "description": "Unknown service_code NOPE-nothing."}
            ]
        else:
            root = xml(response)
            assert root.tag == "errors"
            assert [fields(e) for e in root] == [["code", "description"]]
            assert root.findtext("error/code") == "404"

    async def test_the_jurisdiction_is_optional_but_must_be_ours(self, client):
        assert (await client.get(f"{BASE}/services.json?jurisdiction_id=")).status_code == 200
        good = await client.get(f"{BASE}/services.json?jurisdiction_id=chikaya.ma")
        assert good.status_code == 200
        bad = await client.get(f"{BASE}/services.json?jurisdiction_id=sfgov.org")
        assert bad.status_code == 404
        assert "chikaya.ma" in bad.json()[0]["description"]

    async def test_an_unknown_format_is_a_404(self, client):
        response = await client.get(f"{BASE}/services.csv")
        assert response.status_code == 404
        assert response.json()[0]["code"] == 404

    async def test_every_other_error_here_is_a_georeport_list_too(self, client):
        unknown = await client.get(f"{BASE}/nothing.xml")
        assert unknown.status_code == 404
        assert xml(unknown).findtext("error/code") == "404"
        wrong_method = await client.delete(f"{BASE}/requests.json")
        assert wrong_method.status_code == 405
        assert wrong_method.json()[0]["code"] == 405
        assert "GET" in wrong_method.headers["allow"]
        nul = await client.get(f"{BASE}/services/AC%00.json")
        assert nul.status_code == 400
        assert list(nul.json()[0]) == ["code", "description"]

    async def test_datatype_descriptions_speak_the_callers_language(self, client, session):
        admin = await make_administration(session)
        definition = (
            await client.get(
                f"{BASE}/services/{admin.code}-svc.json", headers={"Accept-Language": "fr"}
            )
        ).json()
        incident_date = definition["attributes"][2]
        assert incident_date["datatype_description"] == "une date, AAAA-MM-JJ"


class TestPost:
    async def test_a_form_post_with_a_key_files_a_trackable_request(self, client, session):
        admin = await make_administration(session)
        key = await _key(session, admin)
        form = _form(
            admin,
            api_key=key,
            phone="0612345678",
            address_string="Avenue Hassan II, Casablanca",
            lat="33.5731",
            long="-7.5898",
        )
        form["attribute[amount]"] = "1500.50"
        response = await client.post(
            f"{BASE}/requests.json", data=form, headers={"Accept-Language": "fr"}
        )
        assert response.status_code == 201, response.text
        [posted] = response.json()
        assert list(posted) == [
            "service_request_id",
            "service_notice",
            "account_id",
            "tracking_number",
        ]
        assert posted["account_id"] is None
        assert "doit répondre" in posted["service_notice"]
        request = await session.scalar(
            select(Request).where(Request.tracking_number == posted["tracking_number"])
        )
        assert request.public_id == posted["service_request_id"]
        assert request.public_id != request.tracking_number
        assert request.channel == "integration"
        assert request.full_name == "Khadija Alaoui"
        assert request.phone == "+212612345678"
        assert request.attributes == {"policy_number": "POL-42", "branch": "auto", "amount": 1500.5}
        assert (request.address, request.latitude, request.longitude) == (
            "Avenue Hassan II, Casablanca",
            33.5731,
            -7.5898,
        )
        # The person tracks it like any other request, with the number and their email.
        tracked = await client.post(
            "/api/v1/tracking",
            json={"tracking_number": posted["tracking_number"], "email": "khadija@example.ma"},
        )
        assert tracked.status_code == 200
        detail = await client.get(
            f"/api/v1/requests/{posted['tracking_number']}",
            headers={"Authorization": f"Bearer {tracked.json()['access_token']}"},
        )
        assert detail.json()["location"] == {
            "address": "Avenue Hassan II, Casablanca",
            "lat": 33.5731,
            "long": -7.5898,
        }
        assert detail.json()["history"][0]["actor"] == "integration"

    async def test_a_post_in_xml_answers_service_requests(self, client, session):
        admin = await make_administration(session)
        key = await _key(session, admin)
        response = await client.post(f"{BASE}/requests.xml", data=_form(admin, api_key=key))
        assert response.status_code == 201
        root = xml(response)
        assert root.tag == "service_requests"
        [item] = root.findall("request")
        assert fields(item) == [
            "service_request_id",
            "service_notice",
            "account_id",
            "tracking_number",
        ]
        assert item.findtext("service_request_id").startswith("R")

    async def test_multi_valued_attributes_use_repeated_brackets(self, client, session):
        attributes = [
            attribute(
                "topics",
                "multivaluelist",
                1,
                {"ar": "مواضيع", "fr": "Sujets", "en": "Topics"},
                required=True,
                values=[
                    choice("delay", "تأخر", "Retard", "Delay"),
                    choice("refusal", "رفض", "Refus", "Refusal"),
                ],
            ),
            attribute(
                "urgent_case", "boolean", 2, {"ar": "مستعجل", "fr": "Urgent", "en": "Urgent"}
            ),
        ]
        admin = await make_administration(session, attributes=attributes)
        key = await _key(session, admin)
        form = [
            ("api_key", key),
            ("service_code", f"{admin.code}-svc"),
            ("description", "Deux problèmes avec le même dossier depuis des mois."),
            ("email", "omar@example.ma"),
            ("attribute[topics][]", "delay"),
            ("attribute[topics][]", "refusal"),
            ("attribute[urgent_case]", "true"),
        ]
        response = await client.post(
            f"{BASE}/requests.json",
            content="&".join(f"{k}={v}" for k, v in form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 201, response.text
        number = response.json()[0]["tracking_number"]
        request = await session.scalar(select(Request).where(Request.tracking_number == number))
        assert request.attributes == {"topics": ["delay", "refusal"], "urgent_case": True}

    @pytest.mark.parametrize(
        ("change", "status", "expected"),
        [
            ({"api_key": None}, 403, "api_key"),
            ({"api_key": "ck_not-a-key"}, 403, "api_key"),
            ({"service_code": None}, 400, "service_code"),
            ({"service_code": "NOPE-svc"}, 404, "NOPE-svc"),
            ({"attribute[policy_number]": None}, 400, "attribute[policy_number]: "),
            ({"attribute[branch]": "boat"}, 400, "attribute[branch]: "),
            ({"attribute[bogus]": "x"}, 400, "attribute[bogus]: "),
            ({"email": None}, 400, "complainant: "),
            ({"email": "not-an-email"}, 400, "email: "),
            ({"lat": "33.5"}, 400, "Give an address, or both lat and long."),
            ({"lat": "95", "long": "0"}, 400, "lat: "),
            ({"description": "x" * 4001}, 400, "description: "),
            ({"jurisdiction_id": "nyc.gov"}, 404, "chikaya.ma"),
        ],
    )
    async def test_bad_posts_answer_the_specification_error_list(
        self, client, session, change, status, expected
    ):
        admin = await make_administration(session)
        form = await _keyed_form(session, admin)
        for name, value in change.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = value
        response = await client.post(
            f"{BASE}/requests.json", data=form, headers={"Accept-Language": "en"}
        )
        assert response.status_code == status, response.text
        errors = response.json()
        assert all(list(e) == ["code", "description"] for e in errors)
        assert all(e["code"] == status for e in errors)
        assert any(expected in e["description"] for e in errors), errors
        filed = select(Request.id).where(Request.administration_id == admin.id)
        assert await session.scalar(filed) is None

    async def test_a_key_of_another_administration_cannot_file_there(self, client, session):
        admin = await make_administration(session)
        other = await make_administration(session)
        response = await client.post(
            f"{BASE}/requests.json", data=await _keyed_form(session, admin, key_of=other)
        )
        _assert_refused(response, 403, "another administration")

    async def test_a_revoked_key_is_refused(self, client, session):
        admin = await make_administration(session)
        key, record = await api_keys.create(
            session, administration_code=admin.code, name="old", now=clock.now()
        )
        await api_keys.revoke(session, record.id, clock.now())
        response = await client.post(f"{BASE}/requests.json", data=_form(admin, api_key=key))
        assert response.status_code == 403

    async def test_a_json_body_is_refused_with_a_clear_error(self, client, session):
        admin = await make_administration(session)
        response = await client.post(
            f"{BASE}/requests.json", json=await _keyed_form(session, admin)
        )
        _assert_refused(response, 400, "form-encoded")

    async def test_a_retry_with_the_same_idempotency_key_files_once(self, client, session):
        admin = await make_administration(session)
        form = await _keyed_form(session, admin)
        headers = {"Idempotency-Key": "open311-retry-1"}
        first = await client.post(f"{BASE}/requests.json", data=form, headers=headers)
        second = await client.post(f"{BASE}/requests.json", data=form, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        count = await session.scalar(
            select(func.count()).select_from(Request).where(Request.administration_id == admin.id)
        )
        assert count == 1
        changed = await client.post(
            f"{BASE}/requests.json",
            data={**form, "description": "Autre texte, autre demande."},
            headers=headers,
        )
        assert changed.status_code == 400  # the specification's "any other failure"
        assert changed.json()[0]["code"] == 400

    async def test_a_nameless_report_is_filed_with_a_placeholder_name(self, client, session):
        admin = await make_administration(session)
        form = await _keyed_form(session, admin)
        del form["first_name"], form["last_name"]
        response = await client.post(
            f"{BASE}/requests.json", data=form, headers={"Accept-Language": "fr"}
        )
        assert response.status_code == 201, response.text
        number = response.json()[0]["tracking_number"]
        request = await session.scalar(select(Request).where(Request.tracking_number == number))
        assert request.full_name == "Nom non communiqué"

    async def test_control_characters_never_break_the_xml(self, client, session):
        admin = await make_administration(session)
        key = await _key(session, admin)
        form = _form(admin, api_key=key, description="Pension\x0bnon versée\x01 depuis mars 2026.")
        assert (await client.post(f"{BASE}/requests.json", data=form)).status_code == 201
        root = xml(await client.get(f"{BASE}/requests.xml", params={"api_key": key}))
        [mine] = [r for r in root if r.findtext("service_code") == f"{admin.code}-svc"]
        assert mine.findtext("description") == "Pensionnon versée depuis mars 2026."


class TestRequests:
    async def _filed(self, client, session, settings):
        admin = await make_administration(session)
        _agent, staff = await make_staff(session, settings, Role.agent, admin)
        created = await file(
            client,
            complaint(
                admin.code,
                description="Confidentiel : mon voisin Rachid Tazi a falsifié mon contrat.",
                complainant={
                    "full_name": "Nadia Berrada",
                    "email": "nadia.berrada@example.ma",
                    "phone": "0661234567",
                    "national_id": "BE998877",
                },
                location={"address": "12 rue des Orangers, Fès"},
            ),
        )
        number = created["tracking_number"]
        public_id = await session.scalar(
            select(Request.public_id).where(Request.tracking_number == number)
        )
        return admin, staff, number, public_id

    async def _in_progress(self, client, session, settings, note):
        """`_filed`, started by the agent, with an internal `note` in its conversation."""
        admin, staff, number, public_id = await self._filed(client, session, settings)
        await act(client, number, "start", staff)
        await client.post(
            f"/api/v1/requests/{number}/messages",
            json={"body": note, "internal": True},
            headers=staff,
        )
        return admin, staff, number, public_id

    async def test_anonymous_callers_see_nothing_that_identifies_anyone(
        self, client, session, settings
    ):
        filed = await self._in_progress(client, session, settings, "Note interne sur Nadia")
        admin, _staff, number, public_id = filed
        secrets = [
            number,
            number.replace("-", ""),
            "Nadia",
            "Berrada",
            "nadia.berrada",
            "661234567",
            "BE998877",
            "Rachid",
            "falsifié",
            "Orangers",
            "interne",
        ]
        for url in (
            f"{BASE}/requests.json",
            f"{BASE}/requests.xml",
            f"{BASE}/requests/{public_id}.json",
            f"{BASE}/requests/{public_id}.xml",
            f"{BASE}/requests.json?service_request_id={public_id}",
        ):
            response = await client.get(url)
            assert response.status_code == 200, url
            assert public_id in response.text
            text = response.text
            for secret in secrets:
                assert secret not in text, (url, secret)

        [item] = (await client.get(f"{BASE}/requests/{public_id}.json")).json()
        assert list(item) == REQUEST_FIELDS
        assert item["status"] == "open"
        assert item["service_code"] == f"{admin.code}-svc"
        assert item["description"] is None
        # A fixed label of the state, in the caller's language (English by default here).
        assert item["status_notes"] == "Being handled by the administration."
        assert item["address"] is None
        assert item["tracking_number"] is None
        assert item["agency_responsible"] == admin.name["en"]  # the default language
        [arabic] = (
            await client.get(f"{BASE}/requests/{public_id}.json", headers={"Accept-Language": "ar"})
        ).json()
        assert arabic["agency_responsible"] == admin.name["ar"]
        assert arabic["service_name"] == "خدمة"  # the service's Arabic name
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert re.match(W3C, item[name]), item[name]

        # Another administration's key sees no more than anyone.
        other = await make_administration(session)
        foreign = await client.get(
            f"{BASE}/requests/{public_id}.json", params={"api_key": await _key(session, other)}
        )
        assert foreign.json()[0]["description"] is None

    async def test_the_owning_administration_key_sees_its_requests_in_full(
        self, client, session, settings
    ):
        filed = await self._in_progress(client, session, settings, "Note interne")
        admin, staff, number, public_id = filed
        await act(client, number, "answer", staff, message="Votre contrat a été rétabli.")
        key = await _key(session, admin)
        [item] = (
            await client.get(
                f"{BASE}/requests/{public_id}.json",
                params={"api_key": key},
                headers={"Accept-Language": "fr"},
            )
        ).json()
        assert item["status"] == "closed"  # answered: the administration has done its part
        assert item["description"].startswith("Confidentiel")
        assert item["status_notes"] == "Votre contrat a été rétabli."
        assert item["address"] == "12 rue des Orangers, Fès"
        assert item["tracking_number"] == number  # what its actions name
        assert "doit répondre" in item["service_notice"]
        root = xml(await client.get(f"{BASE}/requests.xml", params={"api_key": key}))
        mine = [r for r in root.findall("request") if r.findtext("service_request_id") == public_id]
        assert fields(mine[0]) == REQUEST_FIELDS
        assert mine[0].findtext("status_notes") == "Votre contrat a été rétabli."
        assert mine[0].find("lat").text is None

    async def test_filters_by_status_service_and_ids(self, client, session, settings):
        admin, staff, _number, public_id = await self._filed(client, session, settings)
        second = await file(client, complaint(admin.code, service="general", attributes={}))
        await act(
            client,
            second["tracking_number"],
            "reject",
            staff,
            reason_code="duplicate",
            message="Déjà traitée sous un autre numéro.",
        )
        second_id = await session.scalar(
            select(Request.public_id).where(Request.tracking_number == second["tracking_number"])
        )

        async def ids(**params):
            response = await client.get(f"{BASE}/requests.json", params=params)
            assert response.status_code == 200, response.text
            return [r["service_request_id"] for r in response.json()]

        assert await ids(service_code=f"{admin.code}-svc") == [public_id]
        assert await ids(service_code=f"{admin.code}-svc,{admin.code}-general") == [
            second_id,
            public_id,
        ]
        both = f"{admin.code}-svc,{admin.code}-general"
        assert await ids(service_code=both, status="open") == [public_id]
        assert await ids(service_code=both, status="closed") == [second_id]
        assert await ids(service_code=both, status="open,closed") == [second_id, public_id]
        # a status without services (a page shape of its own)
        closed, open_ = await ids(status="closed"), await ids(status="open")
        assert second_id in closed
        assert public_id not in closed
        assert public_id in open_
        assert second_id not in open_
        # ids override every other filter, even a status that excludes them
        assert await ids(service_request_id=f"{public_id},{second_id}", status="closed") == [
            second_id,
            public_id,
        ]
        assert await ids(service_code=both, page_size="1") == [second_id]
        assert await ids(service_code=both, page_size="1", page="2") == [public_id]
        assert await ids(service_code=both, end_date="2020-01-31T00:00:00Z") == []
        assert (
            await ids(
                service_code=both,
                start_date="2020-01-01T00:00:00+01:00",
                end_date="2020-03-01T00:00:00Z",
            )
            == []
        )

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
            ({"start_date": "yesterday"}, "start_date"),
            ({"end_date": "2026-01-01T00:00:00"}, "end_date"),
            ({"status": "pending"}, "status"),
            ({"page_size": "5000"}, "page_size"),
            ({"page": "0"}, "page"),
            ({"page": "11", "page_size": "1000"}, "10000"),
            ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "after"),
        ],
    )
    async def test_bad_filters_are_400_errors(self, client, params, expected):
        response = await client.get(f"{BASE}/requests.json", params=params)
        _assert_refused(response, 400, expected)

    async def test_an_unknown_service_code_in_the_filter_is_a_404(self, client, session):
        admin = await make_administration(session)
        response = await client.get(
            f"{BASE}/requests.json", params={"service_code": f"{admin.code}-svc,NOPE-x"}
        )
        _assert_refused(response, 404, "NOPE-x")

    async def test_staff_internal_work_does_not_show_in_updated_datetime(
        self, client, session, settings, frozen_clock
    ):
        _admin, staff, number, public_id = await self._filed(client, session, settings)
        filed = w3c(frozen_clock.moment)
        frozen_clock.advance(hours=3)
        await client.post(
            f"/api/v1/requests/{number}/messages",
            json={"body": "À vérifier demain", "internal": True},
            headers=staff,
        )
        [item] = (await client.get(f"{BASE}/requests/{public_id}.json")).json()
        assert item["updated_datetime"] == filed
        frozen_clock.advance(hours=1)
        await act(client, number, "start", staff)
        [item] = (await client.get(f"{BASE}/requests/{public_id}.json")).json()
        assert item["updated_datetime"] == w3c(frozen_clock.moment)

    async def test_an_unknown_request_and_a_bad_key_are_errors(self, client, session, settings):
        _admin, _staff, _number, public_id = await self._filed(client, session, settings)
        two = await client.get(f"{BASE}/requests/{public_id},{public_id}.json")
        assert two.status_code == 404  # one id, one request
        missing = await client.get(f"{BASE}/requests/RNOPE.xml")
        assert missing.status_code == 404
        assert xml(missing).findtext("error/code") == "404"
        bad_key = await client.get(f"{BASE}/requests.json", params={"api_key": "ck_wrong"})
        assert bad_key.status_code == 403

    async def test_a_letter_is_dated_when_it_was_received(self, client, session, settings):
        admin = await make_administration(session)
        _operator, operator = await make_staff(session, settings, Role.operator)
        received = (clock.now() - timedelta(days=10)).replace(microsecond=0)
        body = complaint(
            admin.code,
            channel="mail",
            received_at=received.isoformat(),
            complainant={"full_name": "Lettre de Meknès"},
        )
        response = await client.post("/api/v1/requests", json=body, headers=operator)
        assert response.status_code == 201, response.text
        public_id = await session.scalar(
            select(Request.public_id).where(
                Request.tracking_number == response.json()["tracking_number"]
            )
        )
        [item] = (await client.get(f"{BASE}/requests/{public_id}.json")).json()
        assert item["requested_datetime"] == w3c(received)

    async def test_a_token_resolves_to_its_request_id(self, client, session, settings):
        _admin, _staff, _number, public_id = await self._filed(client, session, settings)
        response = await client.get(f"{BASE}/tokens/{public_id}.json")
        assert response.json() == [{"service_request_id": public_id, "token": public_id}]
        root = xml(await client.get(f"{BASE}/tokens/{public_id}.xml"))
        assert root.tag == "service_requests"
        assert fields(root.find("request")) == ["service_request_id", "token"]
        assert (await client.get(f"{BASE}/tokens/unknown.json")).status_code == 404


class TestDiscovery:
    async def test_discovery_names_the_specification_and_formats(self, client):
        document = (await client.get(f"{BASE}/discovery.json")).json()
        assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
        [endpoint] = document["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        root = xml(await client.get(f"{BASE}/discovery.xml"))
        assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
            "text/xml",
            "application/json",
        ]


def test_w3c_datetimes_are_utc_to_the_second():
    moment = datetime(2026, 3, 1, 12, 30, 15, 999_999, tzinfo=timezone(timedelta(hours=1)))
    assert w3c(moment) == "2026-03-01T11:30:15Z"
    assert w3c(moment.astimezone(UTC).replace(microsecond=0)) == "2026-03-01T11:30:15Z"
