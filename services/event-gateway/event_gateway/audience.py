"""Who may hear what: the event domains a subscription delivers, and the personal fields left out of its deliveries.

Hearing a domain's events (``arrakis.<domain>.>``) needs role ``events-<domain>``; admins hear every domain. A
subscription keeps the domains its creator could hear when it was created or last changed by them, and receives
events of those domains only: a filter naming another domain is refused (403), a filter with a wildcard domain
(``arrakis.>``) delivers just the granted ones. Payload fields an event's schema marks personal
(``Field(json_schema_extra={"personal": True})``, e.g. an e-mail address) are removed from deliveries unless the
subscription asked for them (``include_personal``), which needs role ``personal-data`` (or admin). When
user-service announces that an account's roles changed, its subscriptions lose what it may no longer hear.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.auth import Principal
from arrakis_common.events import Envelope
from arrakis_common.ownership import ADMIN_ROLE

from .models import WebhookSubscription

log = logging.getLogger(__name__)

DOMAIN_ROLE_PREFIX = "events-"
PERSONAL_ROLE = "personal-data"
EVERY_DOMAIN = "*"
FieldPath = tuple[str, ...]


def domain_of(subject: str) -> str | None:
    """The domain token of a subject or filter (``arrakis.user.user.created`` -> ``user``); None for a wildcard."""
    tokens = subject.split(".")
    if len(tokens) < 2 or tokens[0] != "arrakis" or tokens[1] in ("*", ">"):
        return None
    return tokens[1]


def granted_domains(principal: Principal) -> list[str]:
    """The domains ``principal`` may hear, sorted; ``["*"]`` for an admin."""
    if ADMIN_ROLE in principal.roles:
        return [EVERY_DOMAIN]
    return sorted(role[len(DOMAIN_ROLE_PREFIX):] for role in principal.roles
                  if role.startswith(DOMAIN_ROLE_PREFIX) and len(role) > len(DOMAIN_ROLE_PREFIX))


def hears(domains: list[str] | None, subject: str) -> bool:
    """Whether a subscription holding ``domains`` receives an event on ``subject``."""
    allowed = domains or []
    return EVERY_DOMAIN in allowed or domain_of(subject) in allowed


def check_audience(principal: Principal, subject_filter: str, include_personal: bool) -> list[str]:
    """The domains ``principal`` may hear, or 403 when the filter names a domain they may not hear or they ask for
    personal fields without the role."""
    domains = granted_domains(principal)
    domain = domain_of(subject_filter)
    if domain is not None and not hears(domains, f"arrakis.{domain}"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"hearing arrakis.{domain}.> events needs role "
                                                       f"{DOMAIN_ROLE_PREFIX}{domain}")
    if include_personal and not principal.has_any((PERSONAL_ROLE,)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"include_personal needs role {PERSONAL_ROLE}")
    return domains


def personal_paths(schema: dict[str, Any]) -> list[FieldPath]:
    """Where ``schema`` (a JSON Schema of an event payload) marks fields personal, as key paths; ``*`` stands for
    every item of an array. Follows local ``$ref``s into ``$defs`` and ``anyOf``/``oneOf``/``allOf`` branches."""
    defs = schema.get("$defs") or {}
    found: set[FieldPath] = set()

    def walk(node: Any, path: FieldPath, seen: frozenset[str]) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
            walk(defs.get(ref[len("#/$defs/"):]), path, seen | {ref})
        if node.get("personal") is True and path:
            found.add(path)
            return
        for name, child in (node.get("properties") or {}).items():
            walk(child, (*path, name), seen)
        walk(node.get("items"), (*path, "*"), seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key) or []:
                walk(branch, path, seen)

    walk(schema, (), frozenset())
    return sorted(found)


def without_personal(payload: Any, paths: list[FieldPath]) -> Any:
    """A copy of ``payload`` without the fields at ``paths``."""

    def strip(node: Any, path: FieldPath) -> Any:
        if not path:
            return node
        head, rest = path[0], path[1:]
        if head == "*" and isinstance(node, list):
            return [strip(item, rest) for item in node]
        if not isinstance(node, dict) or head not in node:
            return node
        if not rest:
            return {k: v for k, v in node.items() if k != head}
        return {**node, head: strip(node[head], rest)}

    for path in paths:
        payload = strip(payload, path)
    return payload


# user-service announces every change of an account's roles on this subject (payload: user_id, roles).
ROLES_CHANGED = "arrakis.user.user.updated"
ROLES_OWNER = "user-service"


def narrow(kept: list[str] | None, granted: list[str]) -> list[str]:
    """The domains a subscription keeps when its creator's grants become ``granted``: never more than before."""
    before = kept or []
    if EVERY_DOMAIN in before:
        return granted
    if EVERY_DOMAIN in granted:
        return sorted(before)
    return sorted(set(before) & set(granted))


def follow_role_change(session: Session, envelope: Envelope) -> int:
    """When user-service says an account's roles changed, its subscriptions lose what the account may no longer
    hear (domains, personal fields); a grant is never widened here, only by the creator saving it again. Acts only on
    an event whose provenance the consumer verified. Returns how many subscriptions changed."""
    if envelope.subject != ROLES_CHANGED or envelope.verified_publisher != ROLES_OWNER:
        return 0
    user_id, roles = envelope.payload.get("user_id"), envelope.payload.get("roles")
    if not isinstance(user_id, str) or not isinstance(roles, list):
        return 0
    account = Principal(subject=user_id, roles=frozenset(str(role) for role in roles))
    granted = granted_domains(account)
    changed = 0
    for row in session.scalars(select(WebhookSubscription).where(WebhookSubscription.created_by == user_id)):
        domains = narrow(row.domains, granted)
        personal = row.include_personal and account.has_any((PERSONAL_ROLE,))
        if domains != (row.domains or []) or personal != row.include_personal:
            row.domains, row.include_personal = domains, personal
            changed += 1
    if changed:
        log.info("roles of %s changed: %d of their subscriptions now hear less", user_id, changed)
    return changed
