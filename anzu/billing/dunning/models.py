"""Dunning: policy versions (data), stage transitions and actions, promises, pauses, calls, freezes.

Nothing here stores "the stage of a bill". The stage is computed by :mod:`.engine` from the
ledger, the date and the policy version; what is stored is each transition the moment it
happened (:class:`DunningStep`, unique per bill and stage, which is what makes a daily run
idempotent) and each action it caused (:class:`DunningAction`, executed by a worker that
re-checks every guard first).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.billing.dunning.choices import (
    DEFAULT_EXEMPT_TAG,
    ActionKind,
    ActionStatus,
    CallOutcome,
    CallStatus,
    FreezeKind,
    FreezeStatus,
    PolicyStatus,
)
from anzu.core.models import Organization


class PolicyVersion(models.Model):
    """One version of an organization's dunning policy: its stages, as data.

    ``stages`` is a list of ``{"code", "name", "offset_days", "required", "conditions",
    "actions"}`` checked by :func:`anzu.billing.dunning.policy.clean_stages`. A published version
    never changes; editing starts a new draft. At most one version per organization is published.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    stages = models.JSONField(_("stages"), default=list)
    exempt_tags = models.JSONField(_("exempt customer tags"), default=list)
    catch_up_days = models.PositiveSmallIntegerField(
        _("catch-up window (days)"),
        default=60,
        help_text="How long after its last stage's date an unpaid bill is still evaluated.",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="uniq_dunning_policy_number"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status=PolicyStatus.PUBLISHED),
                name="one_published_dunning_policy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def exempt(self) -> list[str]:
        return list(self.exempt_tags or [DEFAULT_EXEMPT_TAG])


class DunningStep(models.Model):
    """A bill reached a stage on a date (a transition). Unique per bill and stage code."""

    # The daily run inserts hundreds of thousands of rows for bills it has just read in the
    # same transaction: per-row foreign-key checks and single-column indexes that no query
    # uses would cost more than the rest of the insert. The organization and the lease are
    # copies of the bill's; the unique (bill, stage) index leads with the bill.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    bill = models.ForeignKey(
        "billing.Bill",
        on_delete=models.CASCADE,
        related_name="dunning_steps",
        db_index=False,
        db_constraint=False,
    )
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    due_date = models.DateField()
    stage_code = models.CharField(_("stage"), max_length=20)
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    on_date = models.DateField(_("date"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["bill_id", "on_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "stage_code"], name="uniq_dunning_step")
        ]
        indexes = [
            models.Index(fields=["organization", "due_date"], name="dunning_step_org_due"),
        ]

    def __str__(self) -> str:
        return f"bill {self.bill_id} {self.stage_code} {self.on_date}"


class DunningAction(models.Model):
    """Something a stage asks for, for one lease and one due date, executed by a worker.

    ``idempotency_key`` (organization-unique) is ``<lease>:<due date>:<stage>:<action index>``,
    so neither a rerun nor a second worker can create or execute it twice.
    """

    # Written in bulk by the daily run from rows it has just read (see DunningStep): no per-row
    # foreign-key checks, and only the indexes below (each leads with the column it serves).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    lease = models.ForeignKey(
        "leasing.Lease",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "leasing.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    project = models.ForeignKey(
        "portfolio.Project",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    building = models.ForeignKey(
        "portfolio.Building",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    stage_code = models.CharField(_("stage"), max_length=20)
    kind = models.CharField(_("action"), max_length=12, choices=ActionKind.choices)
    spec = models.JSONField(default=dict)
    due_date = models.DateField(_("due date"))
    bill_ids = models.JSONField(default=list)
    amount = models.DecimalField(_("overdue amount"), max_digits=12, decimal_places=2)
    idempotency_key = models.CharField(max_length=120)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_on = models.DateField(_("business date"))
    created_at = models.DateTimeField()
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="uniq_dunning_action_key"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="dunning_action_due"),
            models.Index(fields=["lease", "status"], name="dunning_action_lease"),
            models.Index(fields=["organization", "-created_on"], name="dunning_action_org"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_code} {self.get_kind_display()} lease {self.lease_id}"


class PaymentPromise(models.Model):
    """A promise to pay (承诺还款): the ladder pauses from ``made_on`` to ``promised_date``.

    After the promised date the ladder resumes by itself unless the bills are paid: a broken
    promise needs nobody to notice it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="payment_promises"
    )
    amount = models.DecimalField(_("promised amount"), max_digits=12, decimal_places=2)
    made_on = models.DateField(_("made on"))
    promised_date = models.DateField(_("promised date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    call_task = models.ForeignKey(
        "CallTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="promises"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_date__gte=models.F("made_on")), name="promise_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"promise {self.amount} by {self.promised_date}"


class DunningPause(models.Model):
    """A pause of the ladder for a lease over ``[start, end]`` (e.g. a dispute under review)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="pause_ordered")
        ]

    def __str__(self) -> str:
        return f"pause {self.start}–{self.end}"


class CallTask(models.Model):
    """A call customer service owes a tenant (D+1), with its outcome once made."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    action = models.OneToOneField(
        DunningAction, on_delete=models.PROTECT, null=True, blank=True, related_name="call_task"
    )
    stage_code = models.CharField(_("stage"), max_length=20, blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("overdue amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["status", "due_date", "id"]
        indexes = [models.Index(fields=["organization", "status", "due_date"], name="call_queue")]

    def __str__(self) -> str:
        return f"call lease {self.lease_id} ({self.get_status_display()})"


class FreezeRequest(models.Model):
    """A door-access or parking freeze asked by the ladder; effective only once a person approves."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey(
        DunningAction, on_delete=models.PROTECT, null=True, blank=True, related_name="freezes"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FreezeKind.choices)
    amount = models.DecimalField(_("overdue amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=FreezeStatus.choices, default=FreezeStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["action", "kind"], name="uniq_freeze_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} freeze lease {self.lease_id}"


class DunningRun(models.Model):
    """The record of one daily run (or dry run) and its summary."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    run_date = models.DateField(_("date"))
    dry_run = models.BooleanField(default=False)
    summary = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.run_date}"


class BillWake(models.Model):
    """The next day the daily run needs to look at an open bill (an index for the run, not a fact).

    Written by the run for every bill it evaluates: the first day on which the bill may enter a
    stage whatever its amount and tags (:func:`~anzu.billing.dunning.engine.next_wake`), or
    the run's own date for a paused, promised or exempt lease (looked at again on every run).
    A run that follows an earlier run of the same policy version reads only the bills due to
    wake, the bills that entered the window or changed since, and the bills of leases that
    changed since (see :mod:`.run`).

    The row also keeps what the run knew of the bill beyond the bill row itself: its lease's
    freeze flag and the stages it has entered (``done``, JSON ``{code: date}``). A later run
    trusts them only for a bill whose row and lease have not changed since the last run (the
    stages of a bill are only ever written by the run that rewrites this row); any other bill
    is read in full. A run of a new policy version, or after the rows were written by an older
    format, reads the whole window and rewrites them all.
    """

    bill = models.OneToOneField(
        "billing.Bill",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    wake_on = models.DateField()
    allows_freeze = models.BooleanField(default=False)
    done = models.TextField(default="{}")

    class Meta:
        ordering = ["wake_on", "bill"]
        indexes = [models.Index(fields=["organization", "wake_on"], name="dunning_wake_org_day")]

    def __str__(self) -> str:
        return f"bill {self.bill_id} on {self.wake_on}"
