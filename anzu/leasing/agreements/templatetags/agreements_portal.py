"""``{% sign_my_lease_link %}``: the tenant portal's link to a contract waiting for signature."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from anzu.core import access
from anzu.leasing.agreements.choices import AgreementStatus
from anzu.leasing.agreements.models import LeaseAgreement

register = template.Library()


@register.simple_tag(takes_context=True)
def sign_my_lease_link(context: Any) -> SafeString | str:
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    if not access.is_tenant_user(user):
        return ""
    waiting = LeaseAgreement.objects.filter(
        organization_id=user.organization_id,
        lease__customer_id=user.customer_id,
        status=AgreementStatus.SENT_FOR_SIGNATURE,
    ).exists()
    if not waiting:
        return ""
    return format_html(
        '<a href="{}" class="sign-my-lease">{}</a>', reverse("agreements:mine"), _("Sign my lease")
    )
