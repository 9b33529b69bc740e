"""Writes: QR key rotation, articles, SMS identification, deflection visits, QR reports.

Every write validates first, then changes rows inside one ``transaction.atomic()`` that also
records the audit event. Public writes (SMS codes, deflection, reports) have no staff actor.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.crypto import blind_index
from anzu.common.errors import Conflict, DomainError, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import User
from anzu.leasing.models import Customer
from anzu.maintenance import photos as ticket_photos
from anzu.maintenance import services as ticket_services
from anzu.maintenance.knowledge import categories, selectors
from anzu.maintenance.knowledge.builtin import BUILTIN_ARTICLES
from anzu.maintenance.knowledge.choices import DeflectionOutcome, Urgency
from anzu.maintenance.knowledge.models import Article, DeflectionEvent, QrKeyVersion, SmsChallenge
from anzu.notify import services as notify_services
from anzu.portfolio.models import Unit

CODE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
# Rate limits for sending codes: per phone and unit, and per unit (any phone).
SMS_PER_PHONE_UNIT = (3, dt.timedelta(minutes=15))
SMS_PER_UNIT = (10, dt.timedelta(hours=1))
# A verified phone may report for this long before it must be verified again.
IDENTITY_TTL = dt.timedelta(hours=2)
MAX_QR_AGE_DAYS = 3650

# Messages raised here, listed for the translation catalogue.
MESSAGES = [
    gettext_noop("Too many codes for this number; try again in 15 minutes."),
    gettext_noop("Too many codes for this room; try again later."),
    gettext_noop("Enter an 11-digit mobile number."),
    gettext_noop("Enter the 6-digit code."),
    gettext_noop("Request a code first."),
    gettext_noop("Too many wrong codes; request a new code."),
    gettext_noop("The code has expired; request a new code."),
    gettext_noop("Wrong code; check the SMS and try again."),
    gettext_noop("Unknown category."),
    gettext_noop("The article was changed by someone else; reload and try again."),
    gettext_noop("Built-in articles are edited through an override."),
    gettext_noop("Built-in articles cannot be deleted; unpublish an override."),
    gettext_noop("Only built-in articles can be overridden."),
    gettext_noop("The codes were just rotated by someone else; reload."),
]

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"^\d{6}$")


class Throttled(DomainError):
    status = 429

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__("throttled", message, field=field)


# Built-in articles -------------------------------------------------------------------------------


def articles_ensure_builtin() -> int:
    """Insert the built-in articles missing from the database; the number inserted.

    Idempotent and set-based (the data migration does the same on install). Built-in rows
    belong to no organization and carry no audit event.
    """
    existing = set(
        Article.objects.filter(organization__isnull=True).values_list("builtin_key", flat=True)
    )
    missing = [a for a in BUILTIN_ARTICLES if a["key"] not in existing]
    if not missing:
        return 0
    Article.objects.bulk_create(
        [
            Article(
                organization=None,
                builtin_key=a["key"],
                category_code=a["category_code"],
                title=a["title"],
                body=a["body"],
                safety_note=a["safety_note"],
                position=a["position"],
            )
            for a in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


# QR key rotation ---------------------------------------------------------------------------------


def qr_rotate(*, max_age_days: Any = None, by: User) -> QrKeyVersion:
    """Start a new QR key version: every code printed before is refused from now on."""
    access.require(by, "portfolio.write")
    org_id = access.org_id(by)
    age = None
    if max_age_days not in (None, ""):
        age = v.integer(max_age_days, field="max_age_days", minimum=1, maximum=MAX_QR_AGE_DAYS)
    try:
        with transaction.atomic():
            current = (
                QrKeyVersion.objects.select_for_update()
                .filter(organization_id=org_id)
                .order_by("-version")
                .first()
            )
            previous = current.version if current is not None else 1
            row = QrKeyVersion.objects.create(
                organization_id=org_id,
                version=previous + 1,
                max_age_days=age,
                rotated_at=clock.now(),
                rotated_by=by,
            )
            audit.record(
                action="qr_key.rotate",
                obj=row,
                organization=org_id,
                actor=by,
                changes={"version": [previous, row.version], "max_age_days": age},
            )
    except IntegrityError:
        raise Conflict(
            "concurrent_rotation", "The codes were just rotated by someone else; reload."
        ) from None
    return row


# Articles ----------------------------------------------------------------------------------------

ARTICLE_FIELDS = ("category_code", "title", "body", "safety_note", "is_published", "position")


def _boolean(value: Any, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1", "on", "yes", 1):
        return True
    if value in ("false", "0", "off", "no", 0, "", None):
        return False
    raise ValidationFailed("invalid", "Enter yes or no.", field=field)


def _clean_article(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(ARTICLE_FIELDS))
    if unknown:
        raise ValidationFailed("unknown_field", f"Unknown field {unknown[0]}.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for name in ARTICLE_FIELDS:
        if name not in data:
            if partial:
                continue
            if name in ("safety_note", "is_published", "position"):
                continue
        value = data.get(name)
        if name == "category_code":
            code = v.text(value, field=name, max_length=60)
            if not categories.is_known(code):
                raise ValidationFailed("unknown", "Unknown category.", field=name)
            cleaned[name] = code
        elif name == "title":
            cleaned[name] = v.text(value, field=name, max_length=120)
        elif name == "body":
            cleaned[name] = v.text(value, field=name, max_length=10000)
        elif name == "safety_note":
            cleaned[name] = v.text(value, field=name, max_length=2000, required=False)
        elif name == "is_published":
            cleaned[name] = _boolean(value, field=name)
        elif name == "position":
            cleaned[name] = v.integer(value, field=name, minimum=0, maximum=32767)
    return cleaned


def article_create(*, data: Mapping[str, Any], by: User) -> Article:
    """A new article of the caller's organization."""
    access.require(by, "kb.manage")
    org_id = access.org_id(by)
    fields = _clean_article(data, partial=False)
    with transaction.atomic():
        article = Article.objects.create(organization_id=org_id, updated_by=by, **fields)
        audit.record(
            action="kb_article.create",
            obj=article,
            organization=org_id,
            actor=by,
            changes={k: fields[k] for k in fields if k != "body"},
        )
    return article


def article_override(*, builtin: Article, by: User) -> Article:
    """The organization's editable copy of a built-in article (created on first use)."""
    access.require(by, "kb.manage")
    org_id = access.org_id(by)
    if not builtin.is_builtin:
        raise ValidationFailed("not_builtin", "Only built-in articles can be overridden.")
    existing = Article.objects.filter(organization_id=org_id, overrides=builtin).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            article = Article.objects.create(
                organization_id=org_id,
                overrides=builtin,
                category_code=builtin.category_code,
                title=builtin.title,
                body=builtin.body,
                safety_note=builtin.safety_note,
                is_published=builtin.is_published,
                position=builtin.position,
                updated_by=by,
            )
            audit.record(
                action="kb_article.override",
                obj=article,
                organization=org_id,
                actor=by,
                changes={"overrides": builtin.pk},
            )
    except IntegrityError:
        return Article.objects.get(organization_id=org_id, overrides=builtin)
    return article


def article_update(*, article: Article, data: Mapping[str, Any], version: Any, by: User) -> Article:
    """Change an organization's article; ``version`` is the one the editor loaded."""
    access.require(by, "kb.manage")
    org_id = access.org_id(by)
    if article.organization_id != org_id:
        raise ValidationFailed(
            "builtin_readonly", "Built-in articles are edited through an override.", field=None
        )
    expected = v.integer(version, field="version", minimum=1)
    fields = _clean_article(data, partial=True)
    with transaction.atomic():
        updated = Article.objects.filter(pk=article.pk, version=expected).update(
            **fields, version=F("version") + 1, updated_by=by, updated_at=clock.now()
        )
        if not updated:
            raise Conflict(
                "stale_version",
                "The article was changed by someone else; reload and try again.",
                field="version",
            )
        before = {k: getattr(article, k) for k in fields if k != "body"}
        audit.record(
            action="kb_article.update",
            obj=article,
            organization=org_id,
            actor=by,
            changes={
                **{k: [before[k], fields[k]] for k in before if before[k] != fields[k]},
                **(
                    {"body": "changed"}
                    if "body" in fields and fields["body"] != article.body
                    else {}
                ),
                "version": [expected, expected + 1],
            },
        )
    article.refresh_from_db()
    return article


def article_delete(*, article: Article, by: User) -> None:
    """Delete an organization's article (deleting an override brings the built-in back)."""
    access.require(by, "kb.manage")
    org_id = access.org_id(by)
    if article.organization_id != org_id:
        raise ValidationFailed(
            "builtin_readonly", "Built-in articles cannot be deleted; unpublish an override."
        )
    with transaction.atomic():
        audit.record(
            action="kb_article.delete",
            obj=article,
            organization=org_id,
            actor=by,
            changes={"title": article.title, "category_code": article.category_code},
        )
        Article.objects.filter(pk=article.pk).delete()


# SMS identification ------------------------------------------------------------------------------


def normalize_phone(value: Any) -> str:
    phone = v.text(value, field="phone", max_length=20)
    phone = re.sub(r"[\s-]", "", phone)
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _MOBILE.match(phone):
        raise ValidationFailed("invalid", "Enter an 11-digit mobile number.", field="phone")
    return phone


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac("anzu.knowledge.sms-code", f"{salt}:{code}", algorithm="sha256").hexdigest()


def sms_challenge_send(*, unit: Unit, phone: Any, name: Any = "") -> SmsChallenge:
    """Send a 6-digit code to ``phone`` for reporting on ``unit``.

    Refused (429) beyond 3 codes per phone and unit in 15 minutes or 10 per unit in an hour.
    The phone is matched against the unit's tenants by blind index.
    """
    number = normalize_phone(phone)
    who = v.text(name, field="name", max_length=60, required=False)
    index = blind_index(number, purpose="phone")
    now = clock.now()
    limit, window = SMS_PER_PHONE_UNIT
    recent = SmsChallenge.objects.filter(unit=unit, phone_index=index, created_at__gt=now - window)
    if recent.count() >= limit:
        raise Throttled("Too many codes for this number; try again in 15 minutes.", field="phone")
    limit, window = SMS_PER_UNIT
    if SmsChallenge.objects.filter(unit=unit, created_at__gt=now - window).count() >= limit:
        raise Throttled("Too many codes for this room; try again later.", field="phone")
    customer: Customer | None = selectors.tenant_of_unit(unit, phone_index=index)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    with transaction.atomic():
        challenge = SmsChallenge.objects.create(
            organization_id=unit.organization_id,
            unit=unit,
            phone=number,
            phone_index=index,
            name=who,
            customer=customer,
            code_hash=_code_hash(salt, code),
            salt=salt,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        notify_services.outbox_enqueue(
            organization_id=unit.organization_id,
            channel="sms",
            address=number,
            idempotency_key=f"kb-sms-code:{challenge.pk}",
            body=f"【报修验证】验证码 {code}，10分钟内有效。请勿泄露给他人。",
        )
        audit.record(
            action="sms_challenge.send",
            obj=challenge,
            organization=unit.organization_id,
            actor=None,
            changes={"unit": unit.pk, "tenant": customer is not None},
        )
    return challenge


def sms_challenge_verify(*, challenge_id: Any, unit: Unit, code: Any) -> SmsChallenge:
    """Check a code: 5 wrong attempts lock the challenge, 10 minutes expire it."""
    entered = re.sub(r"\s", "", v.text(code, field="code", max_length=12))
    if not _CODE.match(entered):
        raise ValidationFailed("invalid", "Enter the 6-digit code.", field="code")
    failure: ValidationFailed | None = None
    with transaction.atomic():
        challenge = (
            SmsChallenge.objects.select_for_update()
            .filter(pk=challenge_id if str(challenge_id).isdigit() else 0, unit=unit)
            .first()
        )
        if challenge is None:
            raise ValidationFailed("no_code", "Request a code first.", field="code")
        if challenge.verified_at is not None:
            return challenge
        if challenge.attempts >= MAX_ATTEMPTS:
            failure = ValidationFailed(
                "locked", "Too many wrong codes; request a new code.", field="code"
            )
        elif clock.now() > challenge.expires_at:
            failure = ValidationFailed(
                "expired", "The code has expired; request a new code.", field="code"
            )
        elif not constant_time_compare(_code_hash(challenge.salt, entered), challenge.code_hash):
            SmsChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            left = MAX_ATTEMPTS - challenge.attempts - 1
            audit.record(
                action="sms_challenge.fail",
                obj=challenge,
                organization=challenge.organization_id,
                actor=None,
                changes={"attempts": challenge.attempts + 1},
            )
            failure = (
                ValidationFailed(
                    "wrong_code",
                    "Wrong code; check the SMS and try again.",
                    field="code",
                    attempts_left=left,
                )
                if left > 0
                else ValidationFailed(
                    "locked", "Too many wrong codes; request a new code.", field="code"
                )
            )
        else:
            challenge.verified_at = clock.now()
            challenge.save(update_fields=["verified_at"])
            audit.record(
                action="sms_challenge.verify",
                obj=challenge,
                organization=challenge.organization_id,
                actor=None,
                changes={"tenant": challenge.customer_id is not None},
            )
    if failure is not None:
        raise failure
    return challenge


# Deflection --------------------------------------------------------------------------------------


def deflection_show(
    *, unit: Unit, category_code: str, articles: Sequence[Article], session_key: str
) -> DeflectionEvent:
    """Record that ``articles`` were shown; a visit already open in this session is reused."""
    if not categories.is_known(category_code):
        raise ValidationFailed("unknown", "Unknown category.", field="category_code")
    if not articles:
        raise ValidationFailed("no_articles", "No articles to show.", field="category_code")
    key = v.text(session_key, field="session_key", max_length=64)
    ids = [a.pk for a in articles]
    now = clock.now()
    with transaction.atomic():
        event = (
            DeflectionEvent.objects.select_for_update()
            .filter(
                session_key=key,
                unit=unit,
                category_code=category_code,
                outcome=DeflectionOutcome.SHOWN,
                at__gt=now - selectors.ABANDON_AFTER,
            )
            .first()
        )
        if event is not None:
            return event
        event = DeflectionEvent.objects.create(
            organization_id=unit.organization_id,
            unit=unit,
            category_code=category_code,
            article_ids=ids,
            session_key=key,
            at=now,
        )
        audit.record(
            action="deflection.show",
            obj=event,
            organization=unit.organization_id,
            actor=None,
            changes={"category_code": category_code, "article_ids": ids},
        )
    return event


def _open_event(*, event_id: Any, unit: Unit, session_key: str) -> DeflectionEvent | None:
    if event_id is None or not str(event_id).isdigit():
        return None
    return (
        DeflectionEvent.objects.select_for_update()
        .filter(pk=int(event_id), unit=unit, session_key=session_key)
        .first()
    )


def deflection_solve(*, event_id: Any, unit: Unit, session_key: str) -> DeflectionEvent:
    """The visitor says the articles solved it. A visit already escalated stays escalated."""
    with transaction.atomic():
        event = _open_event(event_id=event_id, unit=unit, session_key=session_key)
        if event is None:
            raise ValidationFailed("unknown", "Unknown visit.", field="event")
        if event.outcome != DeflectionOutcome.SHOWN:
            return event
        event.outcome = DeflectionOutcome.SOLVED
        event.outcome_at = clock.now()
        event.save(update_fields=["outcome", "outcome_at"])
        audit.record(
            action="deflection.solve",
            obj=event,
            organization=event.organization_id,
            actor=None,
            changes={"outcome": [DeflectionOutcome.SHOWN, DeflectionOutcome.SOLVED]},
        )
    return event


# Reports -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reporter:
    """Who reports: a tenant of the unit (customer set) or a visitor with name and phone.

    ``user`` is the tenant's portal account when they are logged in (None after an SMS code).
    """

    customer_id: int | None
    name: str
    phone: str
    user: User | None = None


def qr_report_submit(
    *,
    unit: Unit,
    category_code: Any,
    description: Any,
    urgency: Any = Urgency.NORMAL,
    photos: Sequence[Any] = (),
    reporter: Reporter,
    session_key: str = "",
    deflection_event_id: Any = None,
) -> Any:
    """Create the ticket of a QR report and mark the visit escalated; returns the ticket."""
    code = v.text(category_code, field="category_code", max_length=60)
    if not categories.is_known(code):
        raise ValidationFailed("unknown", "Unknown category.", field="category_code")
    text = v.text(description, field="description", max_length=2000)
    level = v.choice(urgency or Urgency.NORMAL, field="urgency", choices=Urgency.choices)
    if reporter.customer_id is None and not reporter.name.strip():
        raise ValidationFailed("required", "This field is required.", field="name")
    ticket_photos.photos_check(list(photos))
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            organization_id=unit.organization_id,
            unit_id=unit.pk,
            category_code=code,
            description=text,
            channel="qr",
            urgency=level,
            reporter_customer_id=reporter.customer_id,
            reporter_name=reporter.name,
            reporter_phone=reporter.phone,
            photos=list(photos) or None,
            by=reporter.user,
        )
        event = _open_event(event_id=deflection_event_id, unit=unit, session_key=session_key)
        if event is not None and event.outcome != DeflectionOutcome.ESCALATED:
            before = event.outcome
            event.outcome = DeflectionOutcome.ESCALATED
            event.outcome_at = clock.now()
            event.ticket_id = ticket.pk
            event.ticket_number = str(getattr(ticket, "number", ""))[:40]
            event.save(update_fields=["outcome", "outcome_at", "ticket_id", "ticket_number"])
            audit.record(
                action="deflection.escalate",
                obj=event,
                organization=unit.organization_id,
                actor=None,
                changes={"outcome": [before, DeflectionOutcome.ESCALATED], "ticket": ticket.pk},
            )
    return ticket
