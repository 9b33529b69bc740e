from django.contrib import admin
from django.urls import include, path

from anzu.api import api
from anzu.core import views as core_views
from anzu.risk.signin import views as signin_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/users/", include("anzu.core.user_urls")),
    path("accounts/", include("anzu.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portfolio/", include("anzu.portfolio.urls")),
    path("leasing/agreements/", include("anzu.leasing.agreements.urls")),
    path("leasing/", include("anzu.leasing.urls")),
    path("import/", include("anzu.onboarding.urls")),
    path("billing/dunning/", include("anzu.billing.dunning.urls")),
    path("billing/statements/", include("anzu.billing.reconciliation.urls")),
    path("billing/settlements/", include("anzu.billing.settlement.urls")),
    path("billing/", include("anzu.billing.urls")),
    path("portal/", include("anzu.portal.urls")),
    path("kpis/", include("anzu.dashboards.urls")),
    path("workorders/", include("anzu.maintenance.urls")),
    path("r/", include("anzu.maintenance.knowledge.urls_public")),
    path("kb/", include("anzu.maintenance.knowledge.urls_staff")),
    path("notify/", include("anzu.notify.urls")),
    path("contracts/board/", include("anzu.contracts.search.urls_board")),
    path("contracts/search/", include("anzu.contracts.search.urls_search")),
    path("documents/", include("anzu.documents.urls")),
    path("contracts/", include("anzu.contracts.urls")),
    path("risk/", include("anzu.risk.urls")),
    path("approvals/", include("anzu.risk.approvals.urls")),
    path("security/", include("anzu.risk.signin.urls")),
    path("risk/security/", include("anzu.risk.security.urls")),
    path("accounts/lifecycle/", include("anzu.risk.identity.urls")),
    path("scim/v2/", include("anzu.risk.identity.scim_urls")),
    path("api/v1/", api.urls),
    # The admin logs in through the same risk-assessed login as every other page.
    path("admin/login/", signin_views.admin_login),
    path("admin/", admin.site.urls),
]
