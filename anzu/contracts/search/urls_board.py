"""Lifecycle board pages, mounted at ``/contracts/board/`` (namespace ``contract_board``)."""

from django.urls import path

from anzu.contracts.search import views

app_name = "contract_board"

urlpatterns = [
    path("", views.board, name="index"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("contracts/<int:pk>/renewal/", views.renewal_mark, name="renewal"),
    path("contracts/<int:pk>/renewal-lease/", views.renewal_lease, name="renewal_lease"),
    path("<slug:bucket>/", views.bucket, name="bucket"),
]
