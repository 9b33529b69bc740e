from django.urls import path

from anzu.risk.identity import scim

app_name = "scim"

urlpatterns = [
    path("Users", scim.users, name="users"),
    path("Users/<str:user_id>", scim.user, name="user"),
    path("ServiceProviderConfig", scim.service_provider_config, name="config"),
    path("Schemas", scim.schemas, name="schemas"),
    path("ResourceTypes", scim.resource_types, name="resource_types"),
]
