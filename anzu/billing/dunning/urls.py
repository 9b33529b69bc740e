from django.urls import path

from anzu.billing.dunning import views

app_name = "dunning"

urlpatterns = [
    path("", views.board, name="board"),
    path("run/<str:what>/", views.board_run, name="board_run"),
    path("actions/", views.actions, name="actions"),
    path("actions/<int:pk>/retry/", views.action_retry, name="action_retry"),
    path("leases/<int:pk>/", views.lease, name="lease"),
    path("leases/<int:pk>/<str:what>/", views.lease_action, name="lease_action"),
    path("leases/<int:pk>/<str:what>/<int:item>/", views.lease_action, name="lease_item_action"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("policies/<int:pk>/publish/", views.policy_publish, name="policy_publish"),
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/assign/", views.call_assign, name="call_assign"),
    path("freezes/", views.freezes, name="freezes"),
    path("freezes/<int:pk>/<str:what>/", views.freeze_decide, name="freeze_decide"),
]
