"""Webhooks reach only the public internet: checked when registered and at every connection,
connected to the very address checked (DNS rebinding), TLS for the original name, no redirects."""

from __future__ import annotations

import ipaddress
import ssl

import pytest
import trustme
from sqlalchemy import select

from app.models.outbox import OutboxMessage, Webhook
from app.services import clock, netguard
from app.services.dispatcher import drain
from tests.factories import complaint
from tests.servers import HttpReceiver

PUBLIC_V4 = "93.184.216.34"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_receiver(ca: trustme.CA, *names: str) -> HttpReceiver:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return HttpReceiver(tls=context).start()


def strict(settings):
    return settings.model_copy(update={"webhooks_allow_http_loopback": False})


async def register(live, settings, url: str):
    async with live.client_for(settings) as client:
        return await client.post(
            "/api/v1/backoffice/webhooks",
            json={"url": url, "events": ["request.created"]},
            headers=live.supervisor,
        )


class Resolver:
    """A DNS stand-in: answers each name from a script, one answer per lookup, and counts."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[netguard.IPAddress]:
        self.lookups.append(host)
        answer = self.answers[min(len(self.lookups), len(self.answers)) - 1]
        return [ipaddress.ip_address(a) for a in answer]


async def hook_at(live, url: str) -> None:
    """A hook as registered before addresses were checked (or when the name pointed elsewhere)."""
    async with live.sessionmaker() as session:
        session.add(
            Webhook(
                administration_id=live.administration.id,
                url=url,
                secret="s" * 32,
                events=["request.created"],
                active=True,
                created_at=clock.now(),
            )
        )
        await session.commit()


async def hook_messages(live) -> list[OutboxMessage]:
    async with live.sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "webhook")
        )
        return list(rows)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.216.34/hook", "https_required"),
        ("ftp://93.184.216.34/hook", "https_required"),
        ("https://user:pw@93.184.216.34/hook", "url_credentials"),
        ("https://127.0.0.1/hook", "address_not_public"),
        ("https://169.254.169.254/latest/meta-data", "address_not_public"),
        ("https://10.0.0.5/hook", "address_not_public"),
        ("https://172.16.3.4/hook", "address_not_public"),
        ("https://192.168.1.1/hook", "address_not_public"),
        ("https://100.64.0.1/hook", "address_not_public"),
        ("https://0.0.0.0/hook", "address_not_public"),
        ("https://localhost/hook", "address_not_public"),
        ("https://[::1]/hook", "address_not_public"),
        ("https://[::]/hook", "address_not_public"),
        ("https://0x7f000001/hook", "address_not_public"),
        ("https://2130706433/hook", "address_not_public"),
        ("https://127.1/hook", "address_not_public"),
        ("https://0177.0.0.1/hook", "invalid_url"),  # httpx refuses the octal form
        ("https://[::ffff:127.0.0.1]/hook", "address_not_public"),
        ("https://[::ffff:a9fe:a9fe]/hook", "address_not_public"),
        ("https://[fd00::1]/hook", "address_not_public"),
        ("https://[fe80::1]/hook", "address_not_public"),
        ("https://[ff02::1]/hook", "address_not_public"),
        ("https://224.0.0.1/hook", "address_not_public"),
        ("https://240.0.0.1/hook", "address_not_public"),
        ("https://255.255.255.255/hook", "address_not_public"),
        ("https://192.0.2.10/hook", "address_not_public"),
        ("https://[64:ff9b::7f00:1]/hook", "address_not_public"),
        ("https://[2002:7f00:1::1]/hook", "address_not_public"),
        ("https://[2001:db8::1]/hook", "address_not_public"),
        ("https://no-such-host.invalid/hook", "host_unresolvable"),
        ("https://[zz]/hook", "invalid_url"),
    ],
)
async def test_registration_refuses_addresses_off_the_public_internet(live, settings, url, code):
    response = await register(live, strict(settings), url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0] == {
        "field": "url",
        "code": code,
        "message": response.json()["errors"][0]["message"],
    }
    async with live.sessionmaker() as session:
        assert (await session.scalars(select(Webhook))).first() is None


@pytest.mark.parametrize(
    "url", [f"https://{PUBLIC_V4}/hook", "https://[2606:4700:4700::1111]:8443/hook"]
)
async def test_registration_accepts_a_public_address(live, settings, url):
    response = await register(live, strict(settings), url)
    assert response.status_code == 201, response.text


async def test_refusals_are_localized(live, settings):
    async with live.client_for(strict(settings)) as client:
        response = await client.post(
            "/api/v1/backoffice/webhooks",
            json={"url": "https://10.1.2.3/", "events": ["request.created"]},
            headers={**live.supervisor, "Accept-Language": "ar"},
        )
    assert response.status_code == 422
    assert "عمومي" in response.json()["errors"][0]["message"]


async def test_an_address_gone_private_is_refused_at_send_time(live, settings, receiver):
    # Checked when registered, the name now answers a loopback address: nothing connects.
    await hook_at(live, "https://hooks.example.ma/chikaya")
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    dns = Resolver(["127.0.0.1"])
    assert await drain(live.sessionmaker, strict(settings), resolver=dns) == 0
    [message] = await hook_messages(live)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "webhook: address_not_public"
    assert dns.lookups == ["hooks.example.ma"]


async def test_one_private_answer_among_public_ones_is_refused(live, settings):
    await hook_at(live, "https://hooks.example.ma/chikaya")
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    dns = Resolver([PUBLIC_V4, "10.0.0.7"])
    assert await drain(live.sessionmaker, strict(settings), resolver=dns) == 0
    [message] = await hook_messages(live)
    assert message.last_error == "webhook: address_not_public"


async def test_plain_http_stored_earlier_is_refused_at_send_time(live, settings, receiver):
    await hook_at(live, receiver.url + "/hook")
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert await drain(live.sessionmaker, strict(settings)) == 0
    [message] = await hook_messages(live)
    assert message.last_error == "webhook: https_required"
    assert receiver.received == []


async def test_the_connection_goes_to_the_address_checked_without_resolving_again(
    live, settings, receiver
):
    # A rebinding name: loopback (allowed here, the receiver is there) at the first lookup,
    # then a private address. The delivery reaches the first answer — the only lookup — and the
    # name stays the request's Host; the next connection is checked again and refused.
    url = f"http://rebind.example.ma:{receiver.port}/hook"
    await hook_at(live, url)
    dns = Resolver(["127.0.0.1"], ["10.0.0.7"])
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert await drain(live.sessionmaker, settings, resolver=dns) == 1
    assert dns.lookups == ["rebind.example.ma"]
    [hit] = receiver.received
    assert hit.headers["Host"] == f"rebind.example.ma:{receiver.port}"

    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert await drain(live.sessionmaker, settings, resolver=dns) == 0
    assert len(receiver.received) == 1
    assert {m.last_error for m in await hook_messages(live)} == {
        None,
        "webhook: address_not_public",
    }


async def test_tls_names_and_verifies_the_original_host(live, settings, ca, monkeypatch):
    receiver = tls_receiver(ca, "localhost")
    try:
        with ca.cert_pem.tempfile() as ca_file:
            monkeypatch.setenv("SSL_CERT_FILE", ca_file)
            created = await register(live, settings, f"https://localhost:{receiver.port}/hook")
            assert created.status_code == 201, created.text
            await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
            assert await drain(live.sessionmaker, settings) == 1
    finally:
        receiver.stop()
    [hit] = receiver.received
    assert hit.headers["Host"] == f"localhost:{receiver.port}"
    assert receiver.server_names == ["localhost"]


async def test_a_certificate_for_another_name_is_refused(live, settings, ca, monkeypatch):
    receiver = tls_receiver(ca, "other.example.ma")
    try:
        with ca.cert_pem.tempfile() as ca_file:
            monkeypatch.setenv("SSL_CERT_FILE", ca_file)
            await hook_at(live, f"https://localhost:{receiver.port}/hook")
            await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
            assert await drain(live.sessionmaker, settings) == 0
    finally:
        receiver.stop()
    assert receiver.received == []
    [message] = await hook_messages(live)
    assert message.last_error == "webhook: ConnectError"


async def test_redirects_are_not_followed(live, settings, receiver):
    receiver.status = 307
    receiver.location = "http://169.254.169.254/latest/meta-data"
    created = await register(live, settings, receiver.url + "/hook")
    assert created.status_code == 201
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert await drain(live.sessionmaker, settings) == 0
    assert len(receiver.received) == 1
    [message] = await hook_messages(live)
    assert message.last_error == "webhook: receiver answered 307"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("192.0.0.8", False),
        ("198.18.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),
        ("2001::1", False),
        ("64:ff9b::808:808", False),
        ("fc00::1", False),
        ("ff0e::1", False),
    ],
)
def test_the_address_policy(address, public):
    assert netguard.Policy().permits(ipaddress.ip_address(address)) is public


async def test_resolution_reads_numeric_spellings_as_the_address_they_spell():
    for spelling in ("0x7f000001", "2130706433", "127.1", "0177.0.0.1"):
        assert await netguard.resolve(spelling, 443) == [ipaddress.ip_address("127.0.0.1")]


async def test_plain_http_reaches_only_this_machine_even_in_development(live, settings):
    # Development allows http:// to loopback; a stored http:// address that now resolves to a
    # public host is not called in clear text.
    await hook_at(live, "http://hooks.example.ma/chikaya")
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    dns = Resolver([PUBLIC_V4])
    assert await drain(live.sessionmaker, settings, resolver=dns) == 0
    [message] = await hook_messages(live)
    assert message.last_error == "webhook: address_not_public"


def test_production_refuses_loopback_webhooks():
    from pydantic import ValidationError

    from app.config import Environment, Settings

    with pytest.raises(ValidationError, match="WEBHOOKS_ALLOW_HTTP_LOOPBACK"):
        Settings(
            environment=Environment.production,
            secret_key="x" * 40,  # type: ignore[arg-type]
            webhooks_allow_http_loopback=True,
        )
