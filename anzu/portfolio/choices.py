from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitStatus(models.TextChoices):
    VACANT = "vacant", _("Vacant")
    RESERVED = "reserved", _("Reserved")
    OCCUPIED = "occupied", _("Occupied")
    MAINTENANCE = "maintenance", _("Under maintenance")
    OFFLINE = "offline", _("Offline")


class EquipmentType(models.TextChoices):
    AIR_CONDITIONER = "air_conditioner", _("Air conditioner")
    WATER_HEATER = "water_heater", _("Water heater")
    WASHING_MACHINE = "washing_machine", _("Washing machine")
    REFRIGERATOR = "refrigerator", _("Refrigerator")
    DOOR_LOCK = "door_lock", _("Smart door lock")
    ROUTER = "router", _("Wi-Fi router")
    ELEVATOR = "elevator", _("Elevator")
    WATER_PUMP = "water_pump", _("Water pump")
    METER = "meter", _("Utility meter")
    OTHER = "other", _("Other")
