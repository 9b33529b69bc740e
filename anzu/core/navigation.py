"""The navigation menu, by role: an item shows when the user has its capability and its page exists."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anzu.core import access


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str
    # Pages whose URL name starts with this prefix highlight the item (default: the item's own).
    section: str = ""

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return ""

    def is_current(self, view_name: str | None) -> bool:
        if not view_name:
            return False
        return view_name == self.url_name or bool(
            self.section and view_name.startswith(self.section)
        )


MENU = [
    NavItem(_("Home"), "home", "portfolio.view"),
    NavItem(_("Portfolio"), "portfolio:tree", "portfolio.view", "portfolio:"),
    NavItem(_("Customers"), "leasing:customer_list", "customer.view", "leasing:customer"),
    NavItem(_("Leases"), "leasing:lease_list", "lease.view", "leasing:lease"),
    NavItem(_("Receivables"), "billing:receivables", "billing.view", "billing:"),
    NavItem(_("Dunning"), "dunning:board", "dunning.view", "dunning:"),
    NavItem(_("Call queue"), "dunning:calls", "calls.work", "dunning:call"),
    NavItem(
        _("Bank statements"), "reconciliation:list", "reconciliation.manage", "reconciliation:"
    ),
    NavItem(_("Settlements"), "settlement:list", "settlement.manage", "settlement:"),
    NavItem(_("Collection KPIs"), "dashboards:collections", "kpi.view", "dashboards:"),
    NavItem(_("Work orders"), "workorders:board", "workorders.dispatch", "workorders:"),
    NavItem(_("My tasks"), "workorders:my_tasks", "workorders.work", "workorders:my"),
    NavItem(_("SLA policies"), "workorders:sla", "workorders.dispatch", "workorders:sla"),
    NavItem(
        _("Maintenance analytics"),
        "workorders:analytics",
        "workorders.analytics",
        "workorders:analytics",
    ),
    NavItem(_("Self-help articles"), "kb:index", "kb.manage", "kb:"),
    NavItem(_("Contract lifecycle"), "contract_board:index", "contract.view", "contract_board:"),
    NavItem(_("Contract search"), "contract_search:index", "contract.view", "contract_search:"),
    NavItem(_("Contracts"), "contracts:list", "contract.view", "contracts:"),
    NavItem(_("Documents"), "documents:list", "documents.view", "documents:"),
    NavItem(_("Messages"), "notify:outbox", "notify.view", "notify:"),
    NavItem(_("Import"), "onboarding:import", "import.run", "onboarding:"),
    NavItem(_("Audit trail"), "risk:audit", "audit.view", "risk:"),
    NavItem(_("Security dashboard"), "security:dashboard", "audit.view", "security:"),
    NavItem(_("Login decisions"), "signin:decisions", "signin.decisions", "signin:decisions"),
    NavItem(_("Two-step verification"), "signin:devices", "signin.devices", "signin:device"),
    NavItem(_("Approvals"), "approvals:pending", "approvals.view", "approvals:"),
    NavItem(_("Users"), "user_list", "users.manage", "user_"),
    NavItem(_("Account lifecycle"), "identity:accounts", "accounts.manage", "identity:"),
    NavItem(_("API tokens"), "tokens", "api.tokens"),
]


def _known(capability: str) -> bool:
    return capability in access.CAPABILITIES


def menu_for(user: Any) -> list[NavItem]:
    """Items the user may open; items whose page or capability does not exist yet are left out."""
    items = [
        item
        for item in MENU
        if _known(item.capability) and access.can(user, item.capability) and item.url
    ]
    return [_with_badge(user, item) for item in items]


def _with_badge(user: Any, item: NavItem) -> NavItem:
    """The approvals entry shows how many requests wait for this user's decision."""
    if item.url_name != "approvals:pending":
        return item
    from anzu.risk.approvals.selectors import pending_count

    count = pending_count(user)
    return replace(item, label=f"{item.label} ({count})") if count else item
