from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Generated, not signed")
    ORG_SIGNED = "org_signed", _("Signed by the organization")
    SENT_FOR_SIGNATURE = "sent_for_signature", _("Sent to the tenant")
    SIGNED = "signed", _("Signed by both parties")
    DECLINED = "declined", _("Declined by the tenant")
    EXPIRED = "expired", _("Expired unsigned")
    CANCELLED = "cancelled", _("Cancelled")


# An agreement in one of these is the lease's open agreement (at most one per lease).
OPEN_STATUSES = frozenset(
    {AgreementStatus.DRAFT, AgreementStatus.ORG_SIGNED, AgreementStatus.SENT_FOR_SIGNATURE}
)

TRANSITIONS: dict[str, frozenset[str]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ORG_SIGNED, AgreementStatus.CANCELLED}),
    AgreementStatus.ORG_SIGNED: frozenset(
        {AgreementStatus.SENT_FOR_SIGNATURE, AgreementStatus.CANCELLED}
    ),
    AgreementStatus.SENT_FOR_SIGNATURE: frozenset(
        {
            AgreementStatus.SIGNED,
            AgreementStatus.DECLINED,
            AgreementStatus.EXPIRED,
            AgreementStatus.CANCELLED,
        }
    ),
    AgreementStatus.SIGNED: frozenset(),
    AgreementStatus.DECLINED: frozenset(),
    AgreementStatus.EXPIRED: frozenset(),
    AgreementStatus.CANCELLED: frozenset(),
}


class Party(models.TextChoices):
    LESSOR = "lessor", _("Lessor (出租人)")
    LESSEE = "lessee", _("Lessee (承租人)")


class DisputeResolution(models.TextChoices):
    COURT = "court", _("Court where the premises are")
    ARBITRATION = "arbitration", _("Arbitration")
