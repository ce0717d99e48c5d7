"""Webhooks reach public addresses only: IP literals and localhost are refused when a subscription is written, and
every address a host resolves to is checked again when a delivery is sent, which then goes to the checked address."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from arrakis_common.testing import wait_until
from event_gateway.egress import BlockedDestination, check_literal, pin, refusal

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address"), ("10.1.2.3", "a private address"), ("192.168.0.9", "a private address"),
    ("169.254.169.254", "a link-local address"), ("0.0.0.0", "an unspecified address"), ("::1", "a loopback address"),
    ("::ffff:10.0.0.1", "a private address"), ("fd00::1", "a private address"), ("100.64.0.1", "a non-public address"),
    ("93.184.216.34", None), ("2606:2800:220:1:248:1893:25c8:1946", None),
])
def test_only_public_addresses_pass(address: str, kind: str | None) -> None:
    assert refusal(ipaddress.ip_address(address), []) == kind


@pytest.mark.parametrize(("address", "kind"), [
    ("64:ff9b::a00:1", "a NAT64 form of 10.0.0.1, a private address"),
    ("64:ff9b::7f00:1", "a NAT64 form of 127.0.0.1, a loopback address"),
    ("64:ff9b:1::a9fe:a9fe", "a local-use NAT64 address"), ("64:ff9b:1:808:8:800::", "a local-use NAT64 address"),
    ("2002:a00:1::", "a 6to4 form of 10.0.0.1, a private address"),
    ("2002:7f00:1::1", "a 6to4 form of 127.0.0.1, a loopback address"),
    ("::a00:1", "an IPv4-compatible form of 10.0.0.1, a private address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a Teredo form of 10.0.0.1, a private address"),
    ("64:ff9b::808:808", None), ("2002:808:808::1", None), ("::ffff:8.8.8.8", None),
])
def test_ipv6_forms_of_an_ipv4_address_are_judged_by_that_address(address: str, kind: str | None) -> None:
    assert refusal(ipaddress.ip_address(address), []) == kind


def test_an_embedded_address_in_an_allowed_network_passes() -> None:
    assert refusal(ipaddress.ip_address("64:ff9b::7f00:1"), LOOPBACK) is None
    with pytest.raises(BlockedDestination, match=r"2002:a00:1:: is a 6to4 form of 10\.0\.0\.1, a private address"):
        check_literal("http://[2002:a00:1::]/hook", LOOPBACK)


def test_an_allowed_network_opens_its_addresses_only() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), LOOPBACK) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), LOOPBACK) == "a private address"


def test_literals_and_localhost_are_refused_at_once() -> None:
    with pytest.raises(BlockedDestination, match=r"169\.254\.169\.254 is a link-local address; webhooks go to public"):
        check_literal("http://169.254.169.254/latest/meta-data/", [])
    with pytest.raises(BlockedDestination, match="localhost is this machine"):
        check_literal("http://LOCALHOST:8080/x", [])
    with pytest.raises(BlockedDestination, match=r"::1 is a loopback address"):
        check_literal("http://[::1]:8080/x", [])
    check_literal("https://hooks.example.com/in", [])  # a name waits for delivery time
    check_literal("http://localhost:8080/x", LOOPBACK)


def test_pin_checks_what_the_name_resolves_to_and_aims_at_it() -> None:
    with pytest.raises(BlockedDestination, match=r"localhost resolves to (127\.0\.0\.1|::1), a loopback address"):
        asyncio.run(pin("http://localhost:8080/x", []))
    targets = asyncio.run(pin("https://user:pw@localhost:8443/in?x=1", [*LOOPBACK, ipaddress.ip_network("::1/128")]))
    assert {t.url for t in targets} <= {"https://user:pw@127.0.0.1:8443/in?x=1", "https://user:pw@[::1]:8443/in?x=1"}
    assert {(t.host_header, t.extensions["sni_hostname"]) for t in targets} == {("localhost:8443", "localhost")}
    [plain] = asyncio.run(pin("http://127.0.0.1/in", LOOPBACK))
    assert (plain.url, plain.host_header, plain.extensions) == ("http://127.0.0.1/in", "127.0.0.1", {})
    with pytest.raises(BlockedDestination, match="cannot resolve no-such-host.invalid"):
        asyncio.run(pin("http://no-such-host.invalid/x", []))


def test_api_refuses_a_blocked_url_with_a_clear_message(gateway, database_url, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, events_enabled=False, webhook_allowed_networks=[]) as client:
        refused = client.post("/subscriptions", headers=editor,
                              json={"url": "http://169.254.169.254/latest/meta-data/", "subject_filter": ">"})
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("url: 169.254.169.254 is a link-local address; webhooks go to")
        created = client.post("/subscriptions", headers=editor,
                              json={"url": "https://hooks.example.com/in", "subject_filter": ">"})
        assert created.status_code == 201, created.text
        patched = client.patch(f"/subscriptions/{created.json()['id']}", headers=editor,
                               json={"url": "http://10.0.0.5/in"})
        assert patched.status_code == 422 and "10.0.0.5 is a private address" in patched.json()["detail"]


def test_delivery_to_a_network_no_longer_allowed_is_not_sent(gateway, database_url, nats_server, receiver,
                                                            subject_root, publish_envelope, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    # Written while loopback was allowed (the fixture's default), delivered after the operator took that back.
    with gateway(database_url, events_enabled=False) as client:
        created = client.post("/subscriptions", headers=editor, json={
            "url": receiver.url, "subject_filter": f"{subject_root}.>", "max_attempts": 1})
        assert created.status_code == 201, created.text
    with gateway(database_url, nats_server.url, webhook_allowed_networks=[]) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        sent = publish_envelope(f"{subject_root}.thing.happened")
        [dead] = wait_until(lambda: client.get("/dead-letters", headers=editor).json()["items"])
        assert dead["event_id"] == sent.id and dead["last_status_code"] is None
        assert dead["last_error"].startswith("not sent: 127.0.0.1 resolves to 127.0.0.1, a loopback address")
    assert receiver.requests == []


def test_delivery_goes_to_the_checked_address_under_the_url_host(gateway, database_url, nats_server, receiver,
                                                                subject_root, publish_envelope, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    port = receiver.url.split(":")[2].split("/")[0]
    allowed = ["127.0.0.0/8", "::1/128"]
    with gateway(database_url, nats_server.url, webhook_allowed_networks=allowed) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        created = client.post("/subscriptions", headers=editor, json={
            "url": f"http://localhost:{port}/hooks/arrakis", "subject_filter": f"{subject_root}.>"})
        assert created.status_code == 201, created.text
        sent = publish_envelope(f"{subject_root}.thing.happened")
        [arrived] = wait_until(lambda: receiver.for_subject(sent.subject))
    assert arrived.headers["host"] == f"localhost:{port}" and arrived.envelope["id"] == sent.id
