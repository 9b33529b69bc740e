"""Project → Building → Unit, and Equipment in a unit or building."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.portfolio.choices import EquipmentType, UnitStatus


class Project(models.Model):
    """A rental project (项目): one site or community run by the organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=60, blank=True)
    district = models.CharField(_("district"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_project_code")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) with its address and coordinates (WGS-84)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_building_code")
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A rentable unit (房间/房源); its code is unique within its building."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("code"), max_length=40)
    floor = models.SmallIntegerField(_("floor"))
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=8, decimal_places=2)
    layout = models.CharField(_("layout"), max_length=40, blank=True)
    list_rent = models.DecimalField(_("list rent"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=20, choices=UnitStatus.choices, default=UnitStatus.VACANT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["building_id", "floor", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="uniq_unit_code_in_building")
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.building.name if self.building_id else ''} {self.code}".strip()


class Equipment(models.Model):
    """A piece of equipment (设备) installed in a unit or, when shared, in a building."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="equipment")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="equipment"
    )
    type = models.CharField(_("type"), max_length=30, choices=EquipmentType.choices)
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=60, blank=True)
    batch = models.CharField(_("batch"), max_length=60, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    installed_on = models.DateField(_("install date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["building_id", "unit_id", "type", "id"]
        verbose_name_plural = "equipment"
        indexes = [models.Index(fields=["organization", "brand", "model", "batch"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.brand} {self.model}".strip()
