"""The REST API at /api/v1 (django-ninja). Each app contributes a router from its api.py.

Clients authenticate with a personal access token (``Authorization: Bearer anzu_...``) or, for
the web UI's own fetches, with the Django session plus the CSRF header. Every 4xx answer has the
shape ``{"code", "message", "field"}`` (see :mod:`anzu.common.api`).
"""

from __future__ import annotations

from anzu.billing.api import router as billing_router
from anzu.billing.dunning.api import router as dunning_router
from anzu.billing.reconciliation.api import router as reconciliation_router
from anzu.billing.settlement.api import router as settlement_router
from anzu.common.api import AnzuNinjaAPI, install_error_handlers
from anzu.contracts.api import router as contracts_router
from anzu.contracts.search.api import router as contract_search_router
from anzu.core.api import router as core_router
from anzu.core.users_api import router as users_router
from anzu.dashboards.api import router as dashboards_router
from anzu.documents.api import router as documents_router
from anzu.leasing.agreements.api import router as agreements_router
from anzu.leasing.api import router as leasing_router
from anzu.maintenance.api import router as maintenance_router
from anzu.maintenance.knowledge.api import router as knowledge_router
from anzu.notify.api import router as notify_router
from anzu.onboarding.api import router as onboarding_router
from anzu.portal.api import router as portal_router
from anzu.portfolio.api import router as portfolio_router
from anzu.risk.api import router as risk_router
from anzu.risk.approvals.api import router as approvals_router
from anzu.risk.identity.api import router as identity_router
from anzu.risk.security.api import router as security_router
from anzu.risk.signin.api import API_AUTH, install_throttle_handler
from anzu.risk.signin.api import router as signin_router

api = AnzuNinjaAPI(
    title="Anzu API",
    version="1",
    description=(
        "Rental operations: portfolio, customers, leases, users, documents, notifications and "
        "the verifiable audit log."
    ),
    urls_namespace="api-1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=API_AUTH,
)
install_error_handlers(api)
install_throttle_handler(api)
api.add_router("", core_router)
api.add_router("", portfolio_router)
api.add_router("", leasing_router)
api.add_router("", agreements_router)
api.add_router("", billing_router)
api.add_router("", users_router)
api.add_router("", documents_router)
api.add_router("", notify_router)
api.add_router("", onboarding_router)
api.add_router("", risk_router)
api.add_router("", signin_router)
api.add_router("", approvals_router)
api.add_router("", identity_router)
api.add_router("", security_router)
api.add_router("", dunning_router)
api.add_router("", reconciliation_router)
api.add_router("", settlement_router)
api.add_router("", portal_router)
api.add_router("", dashboards_router)
api.add_router("", maintenance_router)
api.add_router("", knowledge_router)
api.add_router("", contracts_router)
api.add_router("", contract_search_router)
