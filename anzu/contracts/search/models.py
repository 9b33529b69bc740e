"""Search rows, renewal follow-up and calendar-feed tokens for archived contracts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.contracts.choices import RiskLevel
from anzu.contracts.models import Contract
from anzu.contracts.search.choices import RenewalState
from anzu.core.models import Organization


class SearchEntry(models.Model):
    """One contract's search row: the filter columns copied from the contract and its
    normalised text (see :mod:`anzu.contracts.search.text`).

    ``keys`` holds the key fields (title, lessor, lessee, address, lease number, unit) joined by
    line breaks; ``body`` the normalised full text. On PostgreSQL the migration adds two
    ``int4[]`` columns of gram hashes with GIN indexes (``key_grams``: grams of the keys, single CJK characters
    included; ``grams``: grams of keys and body) and a pg_trgm index on ``keys`` for typo-tolerant
    Latin matches. On SQLite an FTS5 table ``contract_search_fts`` (trigram tokenizer) mirrors
    ``keys`` and ``body``. Rows are written by :mod:`anzu.contracts.search.indexing` only.
    """

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project_id = models.BigIntegerField(null=True)
    building_id = models.BigIntegerField(null=True)
    unit_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=20)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    monthly_rent = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    end_date = models.DateField(null=True)
    terminated_on = models.DateField(null=True)
    keys = models.TextField()
    body = models.TextField()
    # The contract's updated_at when this row was written: older rows are re-indexed lazily.
    source_updated_at = models.DateTimeField()
    indexed_at = models.DateTimeField()

    class Meta:
        ordering = ["contract_id"]
        indexes = [
            models.Index(fields=["organization", "end_date"], name="contract_search_org_end"),
            models.Index(fields=["organization", "project_id"], name="contract_search_org_proj"),
        ]

    def __str__(self) -> str:
        return f"search row of contract {self.contract_id}"


class ContractRenewal(models.Model):
    """The renewal follow-up of one contract: where the talks stand and the draft lease."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("renewal status"), max_length=20, choices=RenewalState.choices)
    note = models.TextField(_("note"), blank=True)
    renewal_lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When lease creation needs an approval: the pending request and the proposed start date
    # (the lease is found by unit, customer and start once the request is approved).
    renewal_approval_id = models.BigIntegerField(null=True, blank=True)
    proposed_start = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["contract_id"]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.state}"


class CalendarToken(models.Model):
    """A personal iCalendar feed token. Only its SHA-256 is stored; the URL is shown once.

    ``language`` is the page language when the token was issued: calendar clients send no
    language preference, so the feed's summaries use this one.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="uniq_contract_calendar_live_token",
            )
        ]

    def __str__(self) -> str:
        return f"calendar token of user {self.user_id}"
