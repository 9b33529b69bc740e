"""Maintenance work orders (工单): categories, tickets and their timeline, photos, engineers,
assignments with the dispatch explanation, SLA policies, calendars and clocks, ratings and
review cases.

Every change goes through :mod:`anzu.maintenance.services`; these models only hold the data and
the database constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import JSONField, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anzu.common.crypto import EncryptedTextField
from anzu.core.models import Organization
from anzu.maintenance.choices import (
    AssignmentMethod,
    AssignmentStatus,
    Channel,
    ClockKind,
    PhotoStage,
    ReviewStatus,
    RootCause,
    TicketStatus,
    Urgency,
)


class Category(models.Model):
    """A fault category (故障类别) of one organization; top-level codes are engineer skills."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    skill = models.CharField(_("skill"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organization_id", "code"]
        verbose_name = _("fault category")
        verbose_name_plural = _("fault categories")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_wo_category_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def top_code(self) -> str:
        return self.code.split(".", 1)[0]


class Ticket(models.Model):
    """A work order (工单). Project, building and unit are copied from the unit at intake."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("portfolio.Project", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("portfolio.Building", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("portfolio.Unit", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=32)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets")
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    channel = models.CharField(
        pgettext_lazy("work order", "channel"), max_length=10, choices=Channel.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.ACCEPTED
    )
    description = models.TextField(_("description"))
    reporter_customer = models.ForeignKey(
        "leasing.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = EncryptedTextField(_("reporter phone"), blank=True)
    reporter_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    equipment = models.ForeignKey(
        "portfolio.Equipment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on site at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    auto_verify_at = models.DateTimeField(null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    AUDIT_PERSONAL_FIELDS = ("reporter_name", "reporter_phone")

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="uniq_wo_number")
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "unit", "completed_at"]),
            models.Index(fields=["assigned_engineer", "status"]),
            models.Index(fields=["status", "auto_verify_at"]),
            # Analytics: the periods of the metrics (reported, first response, completed) and
            # the heatmap, which reads only these columns (an index-only scan on PostgreSQL).
            models.Index(
                fields=["organization", "reported_at"],
                include=["building", "category"],
                name="wo_ticket_org_reported",
            ),
            models.Index(
                fields=["organization", "first_response_at"], name="wo_ticket_org_response"
            ),
            models.Index(fields=["organization", "completed_at"], name="wo_ticket_org_completed"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_label(self) -> str:
        return self.number


class TicketEvent(models.Model):
    """One step of a ticket's timeline: a status change or a note, who and when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, default="transition")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ticket_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status}→{self.to_status}"


class TicketPhoto(models.Model):
    """A photo of a ticket (reported fault or completed work), content-addressed by SHA-256."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=12, choices=PhotoStage.choices)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file_path = models.CharField(max_length=300)
    thumb_path = models.CharField(max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket_id", "stage", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.stage}:{self.sha256[:12]}"


class EngineerProfile(models.Model):
    """What dispatch needs to know of an engineer: skills, territory, shifts, base, capacity.

    ``shifts`` maps a weekday (``"0"`` = Monday) to ``[["09:00", "18:00"], ...]`` in the
    business time zone; an empty mapping means no shift restriction.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engineer_profile"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    skills = models.JSONField(_("skills"), default=list, blank=True)
    project_ids = models.JSONField(default=list, blank=True)
    building_ids = models.JSONField(default=list, blank=True)
    shifts = models.JSONField(_("shifts"), default=dict, blank=True)
    base_lat = models.FloatField(null=True, blank=True)
    base_lng = models.FloatField(null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=5)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organization_id", "user_id"]

    def __str__(self) -> str:
        return f"engineer {self.user_id}"


class Assignment(models.Model):
    """An offer of a ticket to an engineer, with the ranked candidates and their reasons."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=10, choices=AssignmentMethod.choices)
    candidates = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.OFFERED
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["ticket_id", "created_at", "id"]
        indexes = [models.Index(fields=["engineer", "status"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}→{self.engineer_id} ({self.status})"


class BusinessCalendar(models.Model):
    """Working hours for SLA clocks: windows per weekday, holidays and 调休 working days."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    tz = models.CharField(max_length=64, default="Asia/Shanghai")
    always = models.BooleanField(_("24×7"), default=False)
    windows = models.JSONField(default=dict, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    workdays = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["organization_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for one category (or any) and one urgency (or any); versioned."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField()
    on_site_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    auto_verify_hours = models.PositiveIntegerField(default=72)
    reopen_days = models.PositiveIntegerField(default=7)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    # Ticket statuses during which this policy's clocks do not count (e.g. waiting for an
    # appointment the tenant chose).
    pause_states = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization_id", "category_id", "urgency", "id"]

    def __str__(self) -> str:
        return f"SLA {self.category_id or '*'}/{self.urgency or '*'} v{self.version}"

    def minutes_for(self, kind: str) -> int:
        return int(getattr(self, f"{kind}_minutes"))


class SlaClock(models.Model):
    """One SLA clock of a ticket, kept as start/stop plus pauses so it can be recomputed."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="+")
    policy_version = models.PositiveIntegerField()
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_segments = models.JSONField(default=list, blank=True)
    # The policy's pause states when the clock last took the policy's version.
    pause_states = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    due_at = models.DateTimeField()
    breached = models.BooleanField(default=False)
    warned = models.BooleanField(default=False)

    class Meta:
        ordering = ["ticket_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="uniq_wo_clock_kind")
        ]
        indexes = [models.Index(fields=["stopped_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"


class Rating(models.Model):
    """The reporter's rating of a completed ticket (1–5 with tags)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    tags = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"], name="wo_rating_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="wo_rating_score_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class ReviewCase(models.Model):
    """A review of a badly rated ticket (差评复盘), closed with a root cause."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="review_cases")
    rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    root_cause = models.CharField(max_length=20, choices=RootCause.choices, blank=True)
    note = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-opened_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.ticket_id}"


class DispatchRule(models.Model):
    """An organization's dispatch settings: automatic dispatch on intake and the score weights."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    auto_dispatch = models.BooleanField(default=True)
    weight_distance = models.FloatField(default=0.4)
    weight_load = models.FloatField(default=0.3)
    weight_rating = models.FloatField(default=0.2)
    weight_history = models.FloatField(default=0.1)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organization_id"]

    def __str__(self) -> str:
        return f"dispatch rule {self.organization_id} v{self.version}"
