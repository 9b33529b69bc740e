"""Dunning policies as data: the default SOP, and the checks a stage list must pass.

A stage is a dict::

    {"code": "D+3", "name": "正式书面通知", "offset_days": 3, "required": true,
     "conditions": {"min_overdue": "0.00", "tags_include": [], "tags_exclude": [],
                    "lease_flags": []},
     "actions": [{"kind": "document", "document": "formal_notice"}]}

``offset_days`` counts from the bill's due date (negative: before it). Stages are listed in
offset order. Action kinds: ``notify`` (``channels``, ``template``), ``call_task``
(``script``), ``document`` (``document``: formal_notice | lawyer_letter), ``freeze``
(``kinds``: door_access | parking; only in a stage whose conditions require the lease flag
``allows_access_freeze``), ``settlement``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from anzu.billing.dunning.choices import DEFAULT_EXEMPT_TAG, LEASE_FLAGS, ActionKind, FreezeKind
from anzu.common.errors import ValidationFailed
from anzu.common.money import to_money
from anzu.notify.choices import Channel

REMINDER_CHANNELS = [Channel.SMS.value, Channel.IN_APP.value, Channel.WECHAT_TEMPLATE.value]
DOCUMENT_KINDS = ("formal_notice", "lawyer_letter")
MAX_STAGES = 20
OFFSET_RANGE = (-60, 365)
CODE_RE = re.compile(r"^[A-Za-z0-9+\-_.]{1,20}$")


def _no_conditions() -> dict[str, Any]:
    return {"min_overdue": "0.00", "tags_include": [], "tags_exclude": [], "lease_flags": []}


def _reminder(code: str, name: str, offset: int, template: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "offset_days": offset,
        "required": False,
        "conditions": _no_conditions(),
        "actions": [{"kind": "notify", "channels": list(REMINDER_CHANNELS), "template": template}],
    }


# The SOP of the product brief: reminders before and on the due date, a call on day 1, a
# signed formal notice on day 3, a lawyer letter (and, where the lease allows it, an access and
# parking freeze awaiting a named approver) on day 7, a move-out settlement on day 14.
DEFAULT_STAGES: list[dict[str, Any]] = [
    _reminder("T-7", "到期前7天提醒", -7, "dunning_reminder"),
    _reminder("T-3", "到期前3天提醒", -3, "dunning_reminder"),
    _reminder("T-0", "到期日提醒", 0, "dunning_due_today"),
    {
        "code": "D+1",
        "name": "逾期第1天客服电话",
        "offset_days": 1,
        "required": False,
        "conditions": _no_conditions(),
        "actions": [
            {"kind": "call_task"},
            {"kind": "notify", "channels": [Channel.IN_APP.value], "template": "dunning_overdue"},
        ],
    },
    {
        "code": "D+3",
        "name": "逾期第3天正式书面通知",
        "offset_days": 3,
        "required": True,
        "conditions": _no_conditions(),
        "actions": [
            {"kind": "document", "document": "formal_notice"},
            {"kind": "notify", "channels": [Channel.SMS.value], "template": "dunning_notice"},
        ],
    },
    {
        "code": "D+7",
        "name": "逾期第7天律师函",
        "offset_days": 7,
        "required": True,
        "conditions": _no_conditions(),
        "actions": [{"kind": "document", "document": "lawyer_letter"}],
    },
    {
        "code": "D+7F",
        "name": "逾期第7天门禁/车位冻结申请",
        "offset_days": 7,
        "required": False,
        "conditions": {**_no_conditions(), "lease_flags": ["allows_access_freeze"]},
        "actions": [{"kind": "freeze", "kinds": ["door_access", "parking"]}],
    },
    {
        "code": "D+14",
        "name": "逾期第14天退租清算",
        "offset_days": 14,
        "required": True,
        "conditions": _no_conditions(),
        "actions": [{"kind": "settlement"}],
    },
]

# Message templates the default policy's notify actions use, per channel (Chinese).
DEFAULT_MESSAGE_TEMPLATES: dict[str, dict[str, str]] = {
    "dunning_reminder": {
        "subject": "租金缴费提醒",
        "body": (
            "{customer_name}您好，您租住的{unit}（合同{lease_code}）应缴{amount}元，"
            "请于{due_date}前转入{account}。逾期将产生滞纳金并进入催缴流程：{consequences}"
        ),
    },
    "dunning_due_today": {
        "subject": "今日为租金缴费截止日",
        "body": (
            "{customer_name}您好，今天（{due_date}）是{unit}租金{amount}元的缴费截止日，"
            "请转入{account}。{consequences}"
        ),
    },
    "dunning_overdue": {
        "subject": "租金已逾期",
        "body": (
            "{customer_name}您好，{unit}的租金{amount}元已逾期{days_overdue}天，"
            "请尽快转入{account}，客服将与您联系。{consequences}"
        ),
    },
    "dunning_notice": {
        "subject": "催缴正式书面通知已送达",
        "body": (
            "{customer_name}您好，因{unit}租金{amount}元逾期{days_overdue}天，我司已向您发出"
            "正式书面催缴通知，请于{deadline}前付清。{consequences}"
        ),
    },
}

DEFAULT_CONSEQUENCES = (
    "逾期未付将按合同约定计收滞纳金，并依次发出正式书面通知、律师函，直至解除合同并进行退租清算。"
)


@dataclass(frozen=True)
class Stage:
    """A stage, parsed."""

    code: str
    name: str
    offset: int
    required: bool
    min_overdue: Decimal
    tags_include: frozenset[str]
    tags_exclude: frozenset[str]
    lease_flags: tuple[str, ...]
    actions: tuple[dict[str, Any], ...]
    index: int = 0

    def applies(self, *, amount: Decimal, tags: frozenset[str], flags: dict[str, bool]) -> bool:
        """Whether the stage's conditions hold for a case with this overdue amount."""
        if amount < self.min_overdue or amount <= 0:
            return False
        if self.tags_include and not (self.tags_include & tags):
            return False
        if self.tags_exclude & tags:
            return False
        return all(flags.get(flag, False) for flag in self.lease_flags)


@dataclass(frozen=True)
class Policy:
    """A policy version, parsed: stages in offset order and the evaluation window."""

    stages: tuple[Stage, ...]
    exempt_tags: frozenset[str]
    catch_up_days: int
    by_code: dict[str, Stage] = field(default_factory=dict)
    groups: list[tuple[int, list[Stage]]] = field(default_factory=list)

    @property
    def min_offset(self) -> int:
        return self.stages[0].offset

    @property
    def max_offset(self) -> int:
        return self.stages[-1].offset


def _fail(message: str, field: str, code: str = "invalid_policy") -> ValidationFailed:
    return ValidationFailed(code, message, field=field)


def _string_list(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise _fail("Give a list of non-empty texts.", field)
    return [x.strip() for x in value]


def _clean_action(raw: Any, field: str, conditions: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail("Each action is an object with a kind.", field)
    kind = raw.get("kind")
    if kind not in ActionKind.values:
        raise _fail(
            f"Unknown action kind {kind!r}; use one of {', '.join(ActionKind.values)}.",
            f"{field}.kind",
        )
    if kind == ActionKind.NOTIFY:
        channels = _string_list(raw.get("channels"), f"{field}.channels")
        if not channels:
            raise _fail("Name at least one channel.", f"{field}.channels")
        for channel in channels:
            if channel not in Channel.values:
                raise _fail(
                    f"Unknown channel {channel!r}; use one of {', '.join(Channel.values)}.",
                    f"{field}.channels",
                )
        template = raw.get("template")
        if not isinstance(template, str) or not template.strip():
            raise _fail("Name the message template.", f"{field}.template")
        return {"kind": kind, "channels": channels, "template": template.strip()}
    if kind == ActionKind.CALL_TASK:
        script = raw.get("script", "")
        if not isinstance(script, str):
            raise _fail("The call script is text.", f"{field}.script")
        return {"kind": kind, "script": script.strip()}
    if kind == ActionKind.DOCUMENT:
        document = raw.get("document")
        if document not in DOCUMENT_KINDS:
            raise _fail(f"Choose the document: {', '.join(DOCUMENT_KINDS)}.", f"{field}.document")
        return {"kind": kind, "document": document}
    if kind == ActionKind.FREEZE:
        kinds = _string_list(raw.get("kinds"), f"{field}.kinds") or [FreezeKind.DOOR_ACCESS]
        for k in kinds:
            if k not in FreezeKind.values:
                raise _fail(
                    f"Unknown freeze {k!r}; use {', '.join(FreezeKind.values)}.", f"{field}.kinds"
                )
        if "allows_access_freeze" not in conditions["lease_flags"]:
            raise _fail(
                "A freeze may only be requested where the lease allows it: add the lease flag "
                "allows_access_freeze to this stage's conditions.",
                f"{field}.kind",
            )
        return {"kind": kind, "kinds": kinds}
    return {"kind": kind}


def _clean_conditions(raw: Any, field: str) -> dict[str, Any]:
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise _fail("Conditions are an object.", field)
    unknown = set(raw) - {"min_overdue", "tags_include", "tags_exclude", "lease_flags"}
    if unknown:
        raise _fail(f"Unknown condition {sorted(unknown)[0]!r}.", field)
    minimum = to_money(raw.get("min_overdue") or "0", field=f"{field}.min_overdue")
    include = _string_list(raw.get("tags_include"), f"{field}.tags_include")
    exclude = _string_list(raw.get("tags_exclude"), f"{field}.tags_exclude")
    both = sorted(set(include) & set(exclude))
    if both:
        raise _fail(
            f"Tag {both[0]!r} is both required and excluded; the stage could never apply.",
            f"{field}.tags_exclude",
            "contradictory_policy",
        )
    flags = _string_list(raw.get("lease_flags"), f"{field}.lease_flags")
    for flag in flags:
        if flag not in LEASE_FLAGS:
            raise _fail(
                f"Unknown lease flag {flag!r}; use {', '.join(LEASE_FLAGS)}.",
                f"{field}.lease_flags",
            )
    return {
        "min_overdue": str(minimum),
        "tags_include": include,
        "tags_exclude": exclude,
        "lease_flags": flags,
    }


def clean_stages(raw: Any) -> list[dict[str, Any]]:
    """Check a stage list and return it normalized; the first problem names its field.

    Refused: no stage, more than 20, duplicate codes, offsets out of range or out of order
    (each stage's offset at least the previous one's — the list is the ladder), a stage without
    actions, unknown action kinds, channels, documents or lease flags, a tag both required and
    excluded, and a freeze in a stage that does not require the lease to allow it.
    """
    if not isinstance(raw, list) or not raw:
        raise _fail("Give at least one stage.", "stages")
    if len(raw) > MAX_STAGES:
        raise _fail(f"At most {MAX_STAGES} stages.", "stages")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    previous: int | None = None
    for i, stage in enumerate(raw):
        field = f"stages[{i}]"
        if not isinstance(stage, dict):
            raise _fail("Each stage is an object.", field)
        code = stage.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise _fail("A code of 1–20 letters, digits or + - _ . (e.g. D+3).", f"{field}.code")
        if code in seen:
            raise _fail(f"Stage code {code!r} is used twice.", f"{field}.code", "duplicate")
        seen.add(code)
        offset = stage.get("offset_days")
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise _fail(
                "Whole days from the due date (negative: before it).", f"{field}.offset_days"
            )
        if not OFFSET_RANGE[0] <= offset <= OFFSET_RANGE[1]:
            raise _fail(
                f"Between {OFFSET_RANGE[0]} and {OFFSET_RANGE[1]} days.", f"{field}.offset_days"
            )
        if previous is not None and offset < previous:
            raise _fail(
                f"Offset {offset} comes after a stage at {previous}: list stages in the order "
                "they happen.",
                f"{field}.offset_days",
                "contradictory_policy",
            )
        previous = offset
        required = stage.get("required", False)
        if not isinstance(required, bool):
            raise _fail("true or false.", f"{field}.required")
        name = stage.get("name") or code
        if not isinstance(name, str) or len(name) > 100:
            raise _fail("A name of at most 100 characters.", f"{field}.name")
        conditions = _clean_conditions(stage.get("conditions"), f"{field}.conditions")
        actions = stage.get("actions")
        if not isinstance(actions, list) or not actions:
            raise _fail("Give at least one action.", f"{field}.actions")
        cleaned.append(
            {
                "code": code,
                "name": name.strip(),
                "offset_days": offset,
                "required": required,
                "conditions": conditions,
                "actions": [
                    _clean_action(a, f"{field}.actions[{j}]", conditions)
                    for j, a in enumerate(actions)
                ],
            }
        )
    return cleaned


def clean_exempt_tags(raw: Any) -> list[str]:
    tags = _string_list(raw, "exempt_tags")
    return tags or [DEFAULT_EXEMPT_TAG]


def compile_policy(
    stages: list[dict[str, Any]], *, exempt_tags: list[str], catch_up_days: int
) -> Policy:
    """Parse stored (already clean) stages for the engine."""
    parsed = tuple(
        Stage(
            code=s["code"],
            name=s.get("name", s["code"]),
            offset=int(s["offset_days"]),
            required=bool(s.get("required")),
            min_overdue=Decimal(s["conditions"].get("min_overdue") or "0"),
            tags_include=frozenset(s["conditions"].get("tags_include") or ()),
            tags_exclude=frozenset(s["conditions"].get("tags_exclude") or ()),
            lease_flags=tuple(s["conditions"].get("lease_flags") or ()),
            actions=tuple(s["actions"]),
            index=i,
        )
        for i, s in enumerate(stages)
    )
    groups: list[tuple[int, list[Stage]]] = []
    for stage in parsed:
        if groups and groups[-1][0] == stage.offset:
            groups[-1][1].append(stage)
        else:
            groups.append((stage.offset, [stage]))
    return Policy(
        groups=groups,
        stages=parsed,
        exempt_tags=frozenset(exempt_tags or [DEFAULT_EXEMPT_TAG]),
        catch_up_days=catch_up_days,
        by_code={s.code: s for s in parsed},
    )
