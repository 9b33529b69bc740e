"""Writes of the notify app: enqueue, retry, templates, inbox.

:func:`outbox_enqueue` is how every other app sends a message. It runs inside the caller's
transaction, so the message exists exactly when the change that caused it is committed; delivery
starts after the commit (``transaction.on_commit``) and, failing that, from the sweeper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import User
from anzu.leasing.models import Customer
from anzu.notify import templating
from anzu.notify.choices import TEMPLATE_LANGUAGES, Channel, MessageStatus
from anzu.notify.models import InboxMessage, MessageTemplate, OutboxMessage

DEFAULT_LANGUAGE = "zh-hans"


class NotInTransaction(RuntimeError):
    """outbox_enqueue was called outside a transaction: the message could outlive a rollback."""


# Enqueue ----------------------------------------------------------------------------------------


def _schedule_delivery(message_id: int) -> None:
    from anzu.notify import tasks

    transaction.on_commit(lambda: tasks.deliver_message(message_id))


def _address_for(
    *, channel: str, address: str, customer: Customer | None, user: User | None
) -> str:
    if address:
        return address
    if channel == Channel.SMS and customer is not None and customer.phone:
        return customer.phone
    if channel == Channel.EMAIL:
        if customer is not None and customer.email:
            return customer.email
        if user is not None and user.email:
            return user.email
    if channel == Channel.WECHAT_TEMPLATE and customer is not None and customer.wechat_openid:
        return customer.wechat_openid
    if channel == Channel.IN_APP:
        return ""
    raise ValidationFailed(
        "no_address",
        {
            Channel.SMS.value: "No phone number to send the SMS to.",
            Channel.EMAIL.value: "No e-mail address to send to.",
            Channel.WECHAT_TEMPLATE.value: "No WeChat openid to send to.",
        }.get(channel, "No address to send to."),
        field="address",
    )


def _template_for(
    *, organization_id: int, code: str, channel: str, language: str
) -> MessageTemplate:
    candidates = MessageTemplate.objects.filter(
        organization_id=organization_id, code=code, channel=channel, is_active=True
    )
    for lang in (language, DEFAULT_LANGUAGE):
        template = candidates.filter(language=lang).first()
        if template is not None:
            return template
    raise ValidationFailed(
        "unknown_template",
        f"No active template {code!r} for channel {channel}.",
        field="template_code",
    )


def outbox_enqueue(
    *,
    organization_id: int,
    channel: str,
    idempotency_key: str,
    customer_id: int | None = None,
    user_id: int | None = None,
    address: str = "",
    template_code: str = "",
    language: str = DEFAULT_LANGUAGE,
    subject: str = "",
    body: str = "",
    payload: Mapping[str, Any] | None = None,
) -> OutboxMessage:
    """Write one message into the outbox, inside the caller's transaction.

    Enqueueing an ``idempotency_key`` already used in the organization returns the stored row
    and writes nothing. Give either ``template_code`` (looked up for the channel and language,
    falling back to Chinese) or ``body`` (and ``subject``) with ``{placeholders}``.
    """
    if not connection.in_atomic_block:
        raise NotInTransaction(
            "outbox_enqueue must run inside the caller's transaction (transaction.atomic)"
        )
    key = v.text(idempotency_key, field="idempotency_key", max_length=200)
    existing = OutboxMessage.objects.filter(
        organization_id=organization_id, idempotency_key=key
    ).first()
    if existing is not None:
        return existing
    channel = v.choice(channel, field="channel", choices=Channel.choices)
    data = templating.jsonable_payload(payload)
    customer = user = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id, organization_id=organization_id).first()
        if customer is None:
            raise ValidationFailed("unknown", "Unknown customer.", field="customer_id")
    if user_id is not None:
        user = User.objects.filter(pk=user_id, organization_id=organization_id).first()
        if user is None:
            raise ValidationFailed("unknown", "Unknown user.", field="user_id")
    if channel == Channel.IN_APP and customer is None and user is None:
        raise ValidationFailed(
            "no_recipient", "An in-app message needs a customer or a user.", field="customer_id"
        )
    address = _address_for(
        channel=channel,
        address=v.text(address, field="address", max_length=200, required=False),
        customer=customer,
        user=user,
    )
    template = None
    params: list[list[str]] = []
    provider_template_id = ""
    if template_code:
        template = _template_for(
            organization_id=organization_id,
            code=template_code,
            channel=channel,
            language=language,
        )
        subject, body = template.subject, template.body
        params = template.provider_params
        provider_template_id = template.provider_template_id
    elif not (body or "").strip():
        raise ValidationFailed(
            "required", "Give a template code or a message body.", field="template_code"
        )
    else:
        subject = v.text(subject, field="subject", max_length=200, required=False)
        body = v.text(body, field="body", max_length=5000)
    rendered_subject = templating.render(subject, data, field="subject")
    rendered_body = templating.render(body, data, field="body")
    provider_params = templating.provider_values(params, body, data)
    now = clock.now()
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                organization_id=organization_id,
                channel=channel,
                customer=customer,
                user=user,
                address=address,
                template=template,
                template_code=template_code,
                payload=data,
                subject=rendered_subject[:200],
                body=rendered_body,
                provider_template_id=provider_template_id,
                provider_params=provider_params,
                idempotency_key=key,
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # A concurrent enqueue with the same key committed first.
        return OutboxMessage.objects.get(organization_id=organization_id, idempotency_key=key)
    _schedule_delivery(message.pk)
    return message


# Retry ------------------------------------------------------------------------------------------


def outbox_retry(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """Give a dead message a fresh round of attempts (audited)."""
    access.require(by, "notify.manage")
    with transaction.atomic():
        now = clock.now()
        updated = OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.DEAD).update(
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            claimed_until=None,
            claim_token="",
            updated_at=now,
        )
        if not updated:
            message.refresh_from_db(fields=["status"])
            raise Conflict(
                "not_dead",
                f"Only dead messages can be retried; this one is {message.status}.",
                field="status",
            )
        audit.record(
            action="notify.outbox.retry",
            obj=message,
            organization=message.organization_id,
            actor=by,
            changes={"status": [MessageStatus.DEAD.value, MessageStatus.PENDING.value]},
        )
        _schedule_delivery(message.pk)
    message.refresh_from_db()
    return message


# Templates --------------------------------------------------------------------------------------

_TEMPLATE_FIELDS = (
    "code",
    "channel",
    "language",
    "subject",
    "body",
    "provider_template_id",
    "provider_params",
    "is_active",
)


def _clean_template(data: Mapping[str, Any], *, current: MessageTemplate | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(_TEMPLATE_FIELDS))
    if unknown:
        raise ValidationFailed("unknown_field", f"Unknown field {unknown[0]!r}.", field=unknown[0])

    def pick(name: str, default: Any) -> Any:
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else default

    code = v.text(pick("code", ""), field="code", max_length=64)
    if not all(ch.isalnum() or ch in "_-." for ch in code):
        raise ValidationFailed(
            "invalid", "Use letters, digits, '_', '-' or '.' in the code.", field="code"
        )
    cleaned: dict[str, Any] = {
        "code": code,
        "channel": v.choice(pick("channel", ""), field="channel", choices=Channel.choices),
        "language": v.choice(
            pick("language", DEFAULT_LANGUAGE), field="language", choices=TEMPLATE_LANGUAGES
        ),
        "subject": v.text(pick("subject", ""), field="subject", max_length=200, required=False),
        "body": v.text(pick("body", ""), field="body", max_length=5000),
        "provider_template_id": v.text(
            pick("provider_template_id", ""),
            field="provider_template_id",
            max_length=100,
            required=False,
        ),
        "provider_params": templating.parse_provider_params(pick("provider_params", [])),
        "is_active": bool(pick("is_active", True)),
    }
    templating.placeholders_in(cleaned["subject"], field="subject")
    templating.placeholders_in(cleaned["body"], field="body")
    if (
        cleaned["channel"] in (Channel.SMS, Channel.WECHAT_TEMPLATE)
        and not cleaned["provider_template_id"]
    ):
        raise ValidationFailed(
            "required",
            "SMS and WeChat messages need the template ID approved at the provider.",
            field="provider_template_id",
        )
    return cleaned


def _save_template(
    template: MessageTemplate, cleaned: dict[str, Any], *, by: User, action: str
) -> MessageTemplate:
    before = audit.snapshot(template, _TEMPLATE_FIELDS) if template.pk else {}
    for name, value in cleaned.items():
        setattr(template, name, value)
    try:
        with transaction.atomic():
            template.save()
            audit.record(
                action=action,
                obj=template,
                organization=template.organization_id,
                actor=by,
                changes=audit.diff(before, audit.snapshot(template, _TEMPLATE_FIELDS)),
            )
    except IntegrityError:
        raise Conflict(
            "duplicate",
            "A template with this code, channel and language already exists.",
            field="code",
        ) from None
    return template


def template_create(*, by: User, data: Mapping[str, Any]) -> MessageTemplate:
    access.require(by, "notify.manage")
    cleaned = _clean_template(data, current=None)
    template = MessageTemplate(organization_id=access.org_id(by))
    return _save_template(template, cleaned, by=by, action="notify.template.create")


def template_update(
    *, template: MessageTemplate, by: User, data: Mapping[str, Any]
) -> MessageTemplate:
    access.require(by, "notify.manage")
    cleaned = _clean_template(data, current=template)
    return _save_template(template, cleaned, by=by, action="notify.template.update")


# Inbox ------------------------------------------------------------------------------------------


def inbox_mark_read(*, message: InboxMessage, at: dt.datetime | None = None) -> InboxMessage:
    """Mark an in-app message read (idempotent: the first reading time is kept)."""
    now = at or clock.now()
    InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
    message.refresh_from_db(fields=["read_at"])
    return message
