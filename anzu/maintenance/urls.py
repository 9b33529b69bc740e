from django.urls import URLPattern, URLResolver, path

from anzu.maintenance import analytics_views, sla_views, views

app_name = "workorders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("intake/", views.intake, name="intake"),
    path("backlog/", views.backlog, name="backlog"),
    path("<int:pk>/", views.ticket, name="ticket"),
    path("<int:pk>/dispatch/", views.ticket_dispatch, name="dispatch"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/to/<str:to>/", views.ticket_transition, name="transition"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("assignments/<int:pk>/<str:action>/", views.assignment_action, name="assignment"),
    path("engineers/", views.engineers, name="engineers"),
    path("engineers/<int:pk>/", views.engineer_edit, name="engineer_edit"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/close/", views.review_close, name="review_close"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/<str:size>/", views.photo, name="photo_size"),
    path("analytics/", analytics_views.analytics_page, name="analytics"),
    path("analytics/heatmap/", analytics_views.heatmap_page, name="analytics_heatmap"),
    path("analytics/batches/", analytics_views.batches_page, name="batches"),
    path("analytics/map/", analytics_views.ops_map_page, name="ops_map"),
    path("sla/", sla_views.sla, name="sla"),
    path("sla/policies/new/", sla_views.sla_policy_new, name="sla_policy_new"),
    path("sla/policies/<int:pk>/", sla_views.sla_policy, name="sla_policy"),
    path("sla/policies/<int:pk>/retire/", sla_views.sla_policy_retire, name="sla_policy_retire"),
    path("sla/calendars/new/", sla_views.calendar_new, name="calendar_new"),
    path("sla/calendars/<int:pk>/", sla_views.calendar, name="calendar"),
    path("sla/calendars/<int:pk>/delete/", sla_views.calendar_delete, name="calendar_delete"),
    path("mine/", views.my_tickets, name="my_tickets"),
    path("mine/<int:pk>/", views.track, name="track"),
    path("mine/<int:pk>/rate/", views.rate, name="rate"),
    path("mine/<int:pk>/to/<str:to>/", views.tenant_transition, name="tenant_transition"),
]
