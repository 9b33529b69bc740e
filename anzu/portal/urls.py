from django.urls import URLPattern, URLResolver, path

from anzu.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.bills, name="bills"),
    path("bills/<int:pk>/", views.bill, name="bill"),
    path("pay/", views.pay, name="pay"),
    path("orders/<int:pk>/", views.payment_result, name="payment_result"),
    path("sandbox/checkout/<int:pk>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/download/", views.notice_download, name="notice_download"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
]
