"""The navigation menu, by role."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anzu.core import access


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return "#"


MENU = [
    NavItem(_("Home"), "home", "portfolio.view"),
    NavItem(_("Portfolio"), "portfolio:tree", "portfolio.view"),
    NavItem(_("Customers"), "leasing:customer_list", "customer.view"),
    NavItem(_("Leases"), "leasing:lease_list", "lease.view"),
    NavItem(_("Import"), "onboarding:import", "import.run"),
    NavItem(_("API tokens"), "tokens", "api.tokens"),
]


def menu_for(user) -> list[NavItem]:  # type: ignore[no-untyped-def]
    return [item for item in MENU if access.can(user, item.capability)]
