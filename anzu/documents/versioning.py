"""Versioned templates: one draft per scope is edited; publishing retires the version before.

Used by the notice templates (``documents``) and the lease contract templates
(``agreements``). A model using it has ``organization``, ``version``, ``status`` (``draft``,
``published``, ``retired``), ``created_by``, ``published_at``, ``retired_at`` and ``updated_at``.
A published version is never changed; what was issued keeps the version it was issued with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from anzu.common import clock
from anzu.common.errors import Conflict, IllegalTransition
from anzu.core import audit

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"

M = TypeVar("M", bound=models.Model)


def draft_save(
    model: type[M],
    *,
    scope: Mapping[str, Any],
    cleaned: Mapping[str, Any],
    fields: Iterable[str],
    by: Any,
    action: str,
    conflict_field: str,
) -> M:
    """Write ``cleaned`` into the scope's draft (a new version when there is none); audited as
    ``<action>.create`` or ``<action>.update``. Two editors at once: the second gets 409."""
    fields = tuple(fields)
    try:
        with transaction.atomic():
            rows: list[Any] = list(
                model._default_manager.select_for_update().filter(**scope).order_by("version")
            )
            draft = next((t for t in rows if t.status == DRAFT), None)
            if draft is None:
                draft = model(
                    **scope,
                    version=max((t.version for t in rows), default=0) + 1,
                    status=DRAFT,
                    created_by=by,
                )
                before: dict[str, Any] = {}
                verb = "create"
            else:
                before = audit.snapshot(draft, fields)
                verb = "update"
            for name, value in cleaned.items():
                setattr(draft, name, value)
            with transaction.atomic():
                draft.save()
            audit.record(
                action=f"{action}.{verb}",
                obj=draft,
                organization=scope["organization_id"],
                actor=by,
                changes=audit.diff(before, audit.snapshot(draft, fields)),
            )
    except IntegrityError:
        raise Conflict(
            "concurrent_edit",
            "Someone else saved this template at the same time; reload and try again.",
            field=conflict_field,
        ) from None
    return draft


def draft_publish(
    model: type[M], *, template: M, scope: Mapping[str, Any], by: Any, action: str
) -> M:
    """Publish a draft of ``scope``; the version published before is retired. Audited as
    ``<action>.retire`` and ``<action>.publish``."""
    manager = model._default_manager
    with transaction.atomic():
        rows: list[Any] = list(manager.select_for_update().filter(**scope).order_by("version"))
        target = next(t for t in rows if t.pk == template.pk)
        if target.status != DRAFT:
            raise IllegalTransition(current=target.status, target=PUBLISHED)
        now = clock.now()
        previous = next((t for t in rows if t.status == PUBLISHED), None)
        if previous is not None:
            manager.filter(pk=previous.pk).update(status=RETIRED, retired_at=now, updated_at=now)
            audit.record(
                action=f"{action}.retire",
                obj=previous,
                organization=previous.organization_id,
                actor=by,
                changes={"status": [PUBLISHED, RETIRED]},
            )
        manager.filter(pk=target.pk).update(status=PUBLISHED, published_at=now, updated_at=now)
        audit.record(
            action=f"{action}.publish",
            obj=target,
            organization=target.organization_id,
            actor=by,
            changes={
                "status": [DRAFT, PUBLISHED],
                "replaces_version": [None, previous.version if previous else None],
            },
        )
    template.refresh_from_db()
    return template
