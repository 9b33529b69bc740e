from django.urls import path

from anzu.leasing.agreements import views

app_name = "agreements"

urlpatterns = [
    path("lease/<int:lease_id>/", views.lease_agreements, name="lease"),
    path("lease/<int:lease_id>/generate/", views.agreement_generate, name="generate"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("<int:pk>/pdf/<str:which>/", views.agreement_pdf, name="pdf"),
    path("<int:pk>/<str:action>/", views.agreement_action, name="action"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("mine/", views.my_agreements, name="mine"),
    path("sandbox/<str:flow_id>/", views.sandbox_sign, name="sandbox_sign"),
]
