"""Contract search page, mounted at ``/contracts/search/`` (namespace ``contract_search``)."""

from django.urls import path

from anzu.contracts.search import views

app_name = "contract_search"

urlpatterns = [path("", views.search, name="index")]
