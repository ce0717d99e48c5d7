"""The webhook signature scheme receivers rely on."""

from __future__ import annotations

import hashlib
import hmac

from event_gateway.signing import sign, verify_signature

BODY = b'{"id":"e-1","subject":"arrakis.user.user.created"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"topsecret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("topsecret", "1700000000", BODY) == f"sha256={expected}"
    assert sign(b"topsecret", 1700000000, BODY.decode()) == f"sha256={expected}"


def test_verify_accepts_only_the_exact_signature():
    header = sign("topsecret", "1700000000", BODY)
    assert verify_signature("topsecret", "1700000000", BODY, header)
    assert verify_signature("topsecret", "1700000000", BODY.decode(), header)
    assert not verify_signature("wrong", "1700000000", BODY, header)
    assert not verify_signature("topsecret", "1700000001", BODY, header)
    assert not verify_signature("topsecret", "1700000000", BODY + b"\n", header)
    assert not verify_signature("topsecret", "1700000000", BODY, header.replace("sha256=", "sha1="))
    assert not verify_signature("topsecret", "1700000000", BODY, None)
    assert not verify_signature("topsecret", "1700000000", BODY, "")


def test_verify_with_tolerance_rejects_stale_or_malformed_timestamps():
    header = sign("k", "1700000000", BODY)
    assert verify_signature("k", "1700000000", BODY, header, tolerance_seconds=300, now=1700000100)
    assert not verify_signature("k", "1700000000", BODY, header, tolerance_seconds=300, now=1700000400)
    assert not verify_signature("k", "soon", BODY, sign("k", "soon", BODY), tolerance_seconds=300)
