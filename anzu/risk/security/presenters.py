"""What the report and the dashboard show: the same dictionaries for the pages, the CSV and
the API. Reports name leases, units and staff accounts only (no customer data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anzu.risk.security import selectors
from anzu.risk.security.selectors import ShadowLease

STEP_LABELS = {"create": gettext_noop("Creation"), "activate": gettext_noop("Activation")}


def _time(value: str) -> str:
    return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def reason_text(reason: dict[str, Any]) -> str:
    """One line explaining a reason, in the active language."""
    code, detail = reason["code"], reason["detail"]
    if code == selectors.NO_APPROVAL:
        steps = [_(STEP_LABELS[s]) for s in detail["steps"]]
        return _("No executed approval for: %(steps)s") % {"steps": ", ".join(steps)}
    if code == selectors.OFF_HOURS:
        return "; ".join(
            _("%(step)s at %(time)s") % {"step": _(STEP_LABELS[t["step"]]), "time": _time(t["at"])}
            for t in detail["times"]
        )
    if code == selectors.FROZEN_ACCOUNT:
        when = _time(detail["frozen_at"])
        if detail["while_frozen"]:
            text = _("Created by an account already frozen on %(time)s (%(source)s)")
        else:
            text = _("Creator's account frozen later, on %(time)s (%(source)s)")
        return text % {"time": when, "source": detail["source_label"]}
    if code == selectors.RISKY_LOGIN:
        return "; ".join(
            _("%(decision)s at %(time)s, score %(score)s")
            % {
                "decision": _("Login denied") if d["decision"] == "deny" else _("Step-up required"),
                "time": _time(d["at"]),
                "score": d["score"],
            }
            for d in detail["decisions"]
        )
    return code


def shadow_lease(row: ShadowLease) -> dict[str, Any]:
    return {
        "lease_id": row.lease_id,
        "code": row.code,
        "unit": row.unit,
        "status": row.status,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "activated_at": row.activated_at,
        "reasons": [
            {
                "code": r["code"],
                "label": str(selectors.REASONS[r["code"]]),
                "text": reason_text(r),
                "detail": r["detail"],
            }
            for r in row.reasons
        ],
    }
