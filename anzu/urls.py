from django.contrib import admin
from django.urls import include, path

from anzu.api import api
from anzu.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/users/", include("anzu.core.user_urls")),
    path("accounts/", include("anzu.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portfolio/", include("anzu.portfolio.urls")),
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
    path("documents/", include("anzu.documents.urls")),
    path("risk/", include("anzu.risk.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
