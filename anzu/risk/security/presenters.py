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
        lines = []
        for account in detail["accounts"]:
            if account["while_frozen"]:
                text = _(
                    "%(step)s by %(user)s, whose account was already frozen on %(time)s (%(source)s)"
                )
            else:
                text = _(
                    "%(step)s by %(user)s, whose account was frozen later, on %(time)s (%(source)s)"
                )
            lines.append(
                text
                % {
                    "step": _(STEP_LABELS[account["step"]]),
                    "user": account["username"],
                    "time": _time(account["frozen_at"]),
                    "source": account["source_label"],
                }
            )
        return "; ".join(lines)
    if code == selectors.RISKY_LOGIN:
        return "; ".join(
            _("%(step)s by %(user)s: %(decision)s at %(time)s, score %(score)s")
            % {
                "step": _(STEP_LABELS[d.get("step", "create")]),
                "user": d.get("username", ""),
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
        "activated_by": row.activated_by,
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
