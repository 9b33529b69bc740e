from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    MANAGEMENT = "management", _("Management")
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    FRONTLINE = "frontline", _("Frontline / housekeeper")
    ENGINEER = "engineer", _("Maintenance engineer")


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    TENANT = "tenant", _("Tenant")
