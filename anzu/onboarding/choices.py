from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What an uploaded file holds: a workbook with up to three sheets, or one CSV per kind."""

    AUTO = "auto", _("Detect from the file")
    WORKBOOK = "workbook", _("Workbook (units, customers, leases)")
    UNITS = "units", _("Units")
    CUSTOMERS = "customers", _("Customers")
    LEASES = "leases", _("Leases")


class ImportStatus(models.TextChoices):
    # A job that writes waits here for a second person (maker-checker, ``onboarding.import``).
    APPROVAL = "approval", _("Awaiting approval")
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Validating")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = frozenset({ImportStatus.DONE, ImportStatus.FAILED})

# The kinds of one sheet each, in the order they are validated and written.
SHEET_KINDS = (ImportKind.UNITS, ImportKind.CUSTOMERS, ImportKind.LEASES)
