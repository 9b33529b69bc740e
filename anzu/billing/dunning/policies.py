"""Writes of dunning policies: the default version, drafts, publishing.

A published version never changes (its stages are what past transitions were computed with);
an edit starts a new draft. Publishing retires the previous published version in the same
transaction, under a lock on the organization's versions, so there is always at most one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from anzu.billing.dunning.choices import DEFAULT_EXEMPT_TAG, PolicyStatus
from anzu.billing.dunning.models import PolicyVersion
from anzu.billing.dunning.policy import (
    DEFAULT_MESSAGE_TEMPLATES,
    DEFAULT_STAGES,
    Policy,
    clean_exempt_tags,
    clean_stages,
    compile_policy,
)
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import Organization, User
from anzu.notify.choices import Channel
from anzu.notify.models import MessageTemplate
from anzu.notify.templating import placeholders_in

DEFAULT_NAME = "默认催缴策略"


def compiled(version: PolicyVersion) -> Policy:
    return compile_policy(
        version.stages, exempt_tags=version.exempt, catch_up_days=version.catch_up_days
    )


def unsaved_default(organization_id: int) -> PolicyVersion:
    """The default policy as an unsaved version (what a dry run uses before any run)."""
    return PolicyVersion(
        organization_id=organization_id,
        number=1,
        name=DEFAULT_NAME,
        status=PolicyStatus.PUBLISHED,
        stages=clean_stages(DEFAULT_STAGES),
        exempt_tags=[DEFAULT_EXEMPT_TAG],
    )


def message_templates_ensure(organization_id: int) -> int:
    """Create the default policy's message templates that the organization lacks."""
    created = 0
    for code, text in DEFAULT_MESSAGE_TEMPLATES.items():
        for channel in (Channel.SMS, Channel.IN_APP, Channel.WECHAT_TEMPLATE, Channel.EMAIL):
            params: list[list[str]] = []
            provider_template_id = ""
            if channel in (Channel.SMS, Channel.WECHAT_TEMPLATE):
                params = [[n, n] for n in placeholders_in(text["body"], field="body")]
                provider_template_id = f"ANZU_{code.upper()}"
            _, made = MessageTemplate.objects.get_or_create(
                organization_id=organization_id,
                code=code,
                channel=channel,
                language="zh-hans",
                defaults={
                    "subject": text["subject"],
                    "body": text["body"],
                    "provider_template_id": provider_template_id,
                    "provider_params": params,
                },
            )
            created += int(made)
    return created


def policy_published(organization_id: int) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(
        organization_id=organization_id, status=PolicyStatus.PUBLISHED
    ).first()


def policy_ensure_default(organization_id: int) -> PolicyVersion:
    """The published version, creating the default SOP (and its templates) on first use."""
    current = policy_published(organization_id)
    if current is not None:
        return current
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization_id).first()
        current = policy_published(organization_id)
        if current is not None:
            return current
        number = (
            PolicyVersion.objects.filter(organization_id=organization_id).aggregate(
                n=Max("number")
            )["n"]
            or 0
        ) + 1
        version = unsaved_default(organization_id)
        version.number = number
        version.published_at = clock.now()
        version.save()
        message_templates_ensure(organization_id)
        audit.record(
            action="dunning.policy_default",
            obj=version,
            organization=organization_id,
            actor=None,
            changes={"number": number, "stages": [s["code"] for s in version.stages]},
        )
    return version


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    name = v.text(data.get("name") or DEFAULT_NAME, field="name", max_length=100)
    stages = clean_stages(data.get("stages"))
    exempt = clean_exempt_tags(data.get("exempt_tags"))
    catch_up = data.get("catch_up_days", 60)
    if isinstance(catch_up, bool) or not isinstance(catch_up, int) or not 0 <= catch_up <= 365:
        raise ValidationFailed("invalid", "Between 0 and 365 days.", field="catch_up_days")
    notes = v.text(data.get("notes", ""), field="notes", max_length=2000, required=False)
    return {
        "name": name,
        "stages": stages,
        "exempt_tags": exempt,
        "catch_up_days": catch_up,
        "notes": notes,
    }


def policy_draft_create(*, by: User, data: Mapping[str, Any] | None = None) -> PolicyVersion:
    """A new draft: from ``data``, or a copy of the published version (or the default)."""
    access.require(by, "dunning.manage")
    organization_id = access.org_id(by)
    if data is None:
        base = policy_published(organization_id) or unsaved_default(organization_id)
        data = {
            "name": base.name,
            "stages": base.stages,
            "exempt_tags": base.exempt,
            "catch_up_days": base.catch_up_days,
            "notes": base.notes,
        }
    cleaned = _clean(data)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                number = (
                    PolicyVersion.objects.filter(organization_id=organization_id).aggregate(
                        n=Max("number")
                    )["n"]
                    or 0
                ) + 1
                version = PolicyVersion.objects.create(
                    organization_id=organization_id,
                    number=number,
                    status=PolicyStatus.DRAFT,
                    created_by=by,
                    **cleaned,
                )
                audit.record(
                    action="dunning.policy_draft",
                    obj=version,
                    organization=organization_id,
                    actor=by,
                    changes=cleaned,
                )
                return version
        except IntegrityError:
            continue
    raise Conflict("busy", "Another draft was created at the same time; try again.")


def policy_draft_update(
    *, version: PolicyVersion, by: User, data: Mapping[str, Any]
) -> PolicyVersion:
    access.require(by, "dunning.manage")
    cleaned = _clean(data)
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != PolicyStatus.DRAFT:
            raise Conflict(
                "not_draft",
                "Only a draft can be edited; start a new draft from this version.",
                field="status",
            )
        before = {k: getattr(locked, k) for k in cleaned}
        for key, value in cleaned.items():
            setattr(locked, key, value)
        locked.save()
        audit.record(
            action="dunning.policy_update",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={k: [before[k], cleaned[k]] for k in cleaned if before[k] != cleaned[k]},
        )
    return locked


def policy_publish(*, version: PolicyVersion, by: User) -> PolicyVersion:
    """Publish a draft; the previously published version is retired in the same transaction."""
    access.require(by, "dunning.manage")
    with transaction.atomic():
        versions = list(
            PolicyVersion.objects.select_for_update()
            .filter(organization_id=version.organization_id)
            .order_by("id")
        )
        locked = next(x for x in versions if x.pk == version.pk)
        if locked.status != PolicyStatus.DRAFT:
            raise Conflict("not_draft", "Only a draft can be published.", field="status")
        clean_stages(locked.stages)
        retired = [x for x in versions if x.status == PolicyStatus.PUBLISHED]
        for old in retired:
            old.status = PolicyStatus.RETIRED
            old.save(update_fields=["status"])
        locked.status = PolicyStatus.PUBLISHED
        locked.published_by = by
        locked.published_at = clock.now()
        locked.save(update_fields=["status", "published_by", "published_at"])
        message_templates_ensure(locked.organization_id)
        audit.record(
            action="dunning.policy_publish",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"number": locked.number, "retired": [x.number for x in retired]},
        )
    return locked
