"""Organizations, users, roles, scopes, API tokens and the audit event table."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.choices import Role, UserKind


class Organization(models.Model):
    """An operating entity (运营主体). Nothing crosses organizations."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member or a tenant portal user of one organization.

    Superusers may have no organization; they use the Django admin only.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    kind = models.CharField(max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # Staff see the whole organization when True; otherwise only their StaffScope rows.
    scope_all = models.BooleanField(_("sees the whole organization"), default=False)
    customer = models.ForeignKey(
        "leasing.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_users",
        help_text="For tenant portal users: the customer they are.",
    )

    # Recorded in the audit log only as keyed hashes under the user's SubjectKey.
    AUDIT_PERSONAL_FIELDS = ("display_name", "email", "first_name", "last_name")

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def audit_label(self) -> str:
        return self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            if self.pk is None:
                cached = frozenset()
            else:
                cached = frozenset(self.role_grants.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))


class RoleGrant(models.Model):
    """One role held by one staff user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_role_grant")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class StaffScope(models.Model):
    """A project or building a staff user manages (exactly one of the two is set)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scopes")
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["user_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(project__isnull=False, building__isnull=True)
                    | models.Q(project__isnull=True, building__isnull=False)
                ),
                name="scope_project_xor_building",
            ),
        ]

    def __str__(self) -> str:
        return f"scope {self.user_id}: project={self.project_id} building={self.building_id}"


class ApiToken(models.Model):
    """A personal access token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One write, recorded in the same transaction as the write. Append-only.

    Database triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "object_type", "object_id"]),
            models.Index(fields=["organization", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class Counter(models.Model):
    """A per-organization named counter for human-readable numbers (lease and ticket numbers).

    Incremented with one atomic UPDATE so two writers never get the same value.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)
    value = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["organization_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_counter")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.name}={self.value}"


class SubjectKey(models.Model):
    """A per-person secret salt for personal data recorded in the audit log.

    Audit events hold personal values (names, ID numbers, phones…) only as keyed hashes under
    this salt; the cleartext stays in the domain tables. Erasing a person deletes their salt,
    which makes their hashed values in the log unlinkable without touching the log itself.
    """

    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    salt = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject_type", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="uniq_subject_key")
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"
