"""The API and the pages: shapes, every step through HTTP, access (404 outside the
organization or scope, 403 without the capability), audited downloads, the tenant's side."""

from __future__ import annotations

import json
import shutil

import pytest

from anzu.common.testing import BuildingFactory, ProjectFactory, UnitFactory, make_user
from anzu.core.models import AuditEvent
from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import AgreementTemplate, LeaseAgreement
from anzu.leasing.agreements.tests.conftest import client_for, make_lease

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


def post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


def test_every_step_through_the_api(lease, manager, tenant):
    api = client_for(manager)
    res = post(api, "/api/v1/agreements", {"lease_id": lease.pk})
    assert res.status_code == 201, res.content
    body = res.json()
    assert set(body) >= {"id", "number", "status", "files", "events", "actions", "signing_url"}
    assert body["status"] == "draft"
    assert body["actions"] == {
        "sign_org": True,
        "send": False,
        "cancel": True,
        "refresh": False,
        "fetch_signed": False,
    }
    agreement_id = body["id"]
    res = post(api, f"/api/v1/agreements/{agreement_id}/sign-org")
    assert (res.status_code, res.json()["status"]) == (200, "org_signed")
    res = post(api, f"/api/v1/agreements/{agreement_id}/send")
    assert (res.status_code, res.json()["status"]) == (200, "sent_for_signature")
    signing_url = res.json()["signing_url"]
    assert signing_url.startswith("/leasing/agreements/sandbox/SANDBOX-")
    # The tenant signs on the sandbox page.
    client_for(tenant).post(signing_url, {"outcome": "sign"})
    res = api.get(f"/api/v1/agreements/{agreement_id}")
    assert res.json()["status"] == "signed"
    res = post(api, f"/api/v1/agreements/{agreement_id}/fetch-signed")
    assert res.status_code == 200
    files = res.json()["files"]
    assert all(files[k] is not None for k in ("draft", "org_signed", "signed"))
    sigs = api.get(f"/api/v1/agreements/{agreement_id}/signatures/signed").json()
    assert [(x["field"], x["intact"], x["trusted"]) for x in sigs] == [
        ("LessorSignature", True, True),
        ("TenantSignature", True, False),
    ]
    assert api.get(f"/api/v1/agreements/{agreement_id}/signatures/bogus").status_code == 404
    page = api.get(f"/leasing/agreements/{agreement_id}/").content.decode()
    assert 'id="agreement-signatures"' in page and "TenantSignature" in page
    pdf = api.get(f"/api/v1/agreements/{agreement_id}/pdf/signed")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="agreement.download").count() == 1
    listing = api.get(f"/api/v1/agreements?lease_id={lease.pk}").json()
    assert (listing["total"], listing["page"], [i["id"] for i in listing["items"]]) == (
        1,
        1,
        [agreement_id],
    )


def test_api_errors_have_one_shape(lease, manager):
    api = client_for(manager)
    res = post(api, "/api/v1/agreements", {"lease_id": 999999})
    assert res.status_code == 404
    assert res.json() == {"code": "not_found", "message": "lease not found", "field": "lease_id"}
    res = post(api, "/api/v1/agreements", {"lease_id": lease.pk, "extra": 1})
    assert res.status_code in (400, 422)
    created = post(api, "/api/v1/agreements", {"lease_id": lease.pk}).json()
    res = post(api, f"/api/v1/agreements/{created['id']}/send")
    assert res.status_code == 409
    assert res.json()["code"] == "illegal_transition"
    res = post(api, f"/api/v1/agreements/{created['id']}/cancel", {"reason": ""})
    assert (res.status_code, res.json()["field"]) == (422, "reason")
    res = post(api, "/api/v1/agreements", {"lease_id": lease.pk})
    assert (res.status_code, res.json()["code"], res.json()["field"]) == (
        409,
        "open_agreement",
        "lease",
    )


def test_outside_the_organization_is_404(lease, manager, other_org):
    agreement = services.agreement_generate(lease=lease, by=manager)
    stranger = make_user(other_org, "admin", username="other-admin")
    api = client_for(stranger)
    assert api.get(f"/api/v1/agreements/{agreement.pk}").status_code == 404
    assert post(api, f"/api/v1/agreements/{agreement.pk}/sign-org").status_code == 404
    assert post(api, "/api/v1/agreements", {"lease_id": lease.pk}).status_code == 404
    assert api.get(f"/leasing/agreements/{agreement.pk}/").status_code == 404
    assert api.get(f"/leasing/agreements/{agreement.pk}/pdf/draft/").status_code == 404
    assert api.get("/api/v1/agreements").json()["total"] == 0
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "draft"


def test_outside_the_scope_is_404(lease, manager, org, portfolio):
    agreement = services.agreement_generate(lease=lease, by=manager)
    frontline = make_user(org, "frontline", username="fl", projects=[portfolio["p2"]])
    api = client_for(frontline)
    assert api.get(f"/api/v1/agreements/{agreement.pk}").status_code == 404
    assert api.get(f"/leasing/agreements/lease/{lease.pk}/").status_code == 404


def test_without_the_capability_is_403(lease, manager, org):
    agreement = services.agreement_generate(lease=lease, by=manager)
    frontline = make_user(org, "frontline", username="fl-all")  # lease.view only
    api = client_for(frontline)
    assert api.get(f"/api/v1/agreements/{agreement.pk}").status_code == 200
    assert post(api, "/api/v1/agreements", {"lease_id": lease.pk}).status_code == 403
    assert post(api, f"/api/v1/agreements/{agreement.pk}/sign-org").status_code == 403
    res = post(api, f"/api/v1/agreements/{agreement.pk}/cancel", {"reason": "x"})
    assert res.status_code == 403
    # The full text (with the tenant's ID number) needs contract.full.
    assert api.get(f"/api/v1/agreements/{agreement.pk}/pdf/draft").status_code == 403
    assert api.get(f"/leasing/agreements/{agreement.pk}/pdf/draft/").status_code == 403
    detail = api.get(f"/api/v1/agreements/{agreement.pk}").json()
    assert detail["files"]["draft"]["url"] == ""
    assert (
        post(api, "/api/v1/agreement-templates", {"title": "t", "body": "<p>x</p>"}).status_code
        == 403
    )
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "draft"
    assert AuditEvent.objects.filter(action="agreement.download").count() == 0


def test_engineers_see_no_agreements(lease, manager, org):
    agreement = services.agreement_generate(lease=lease, by=manager)
    engineer = make_user(org, "engineer", username="eng")
    api = client_for(engineer)
    assert api.get(f"/api/v1/agreements/{agreement.pk}").status_code == 404
    assert api.get(f"/leasing/agreements/{agreement.pk}/").status_code == 403


def test_template_api_refuses_unknown_placeholders_naming_the_field(lease, manager, legal):
    api = client_for(legal)
    res = post(
        api, "/api/v1/agreement-templates", {"title": "合同", "body": "<p>{tenant_bank}</p>"}
    )
    assert res.status_code == 422
    assert (res.json()["code"], res.json()["field"], res.json()["placeholder"]) == (
        "unknown_placeholder",
        "body",
        "tenant_bank",
    )
    assert AgreementTemplate.objects.filter(status="draft").count() == 0
    res = post(
        api, "/api/v1/agreement-templates", {"title": "合同", "body": "<p>{lessee_name}</p>"}
    )
    assert (res.status_code, res.json()["version"], res.json()["status"]) == (201, 2, "draft")
    res = post(api, f"/api/v1/agreement-templates/{res.json()['id']}/publish")
    assert res.json()["status"] == "published"
    names = {p["name"] for p in api.get("/api/v1/agreement-templates/placeholders").json()}
    assert {"lessee_id_number", "monthly_rent_upper", "dispute_text"} <= names


def test_pages(lease, manager, legal):
    web = client_for(manager)
    res = web.get(f"/leasing/agreements/lease/{lease.pk}/")
    assert res.status_code == 200
    res = web.post(f"/leasing/agreements/lease/{lease.pk}/generate/")
    agreement = LeaseAgreement.objects.get(lease=lease)
    assert res.status_code == 302 and res.url == f"/leasing/agreements/{agreement.pk}/"
    res = web.post(f"/leasing/agreements/{agreement.pk}/sign_org/")
    assert res.status_code == 302
    res = web.post(f"/leasing/agreements/{agreement.pk}/send/")
    detail = web.get(f"/leasing/agreements/{agreement.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert 'id="agreement-timeline"' in html
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "sent_for_signature"
    preview = web.get(f"/leasing/agreements/{agreement.pk}/pdf/draft/")
    assert preview.status_code == 200 and preview["Content-Disposition"].startswith("inline")
    res = web.post(f"/leasing/agreements/{agreement.pk}/cancel/", {"reason": ""})
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "sent_for_signature"
    res = web.post(f"/leasing/agreements/{agreement.pk}/cancel/", {"reason": "重签"})
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "cancelled"
    assert web.get("/leasing/agreements/templates/").status_code == 200
    template = AgreementTemplate.objects.get()
    res = client_for(legal).post(
        f"/leasing/agreements/templates/{template.pk}/",
        {
            "title": "合同",
            "body": "<p>{nope}</p>",
            "property_fee_payer": "lessor",
            "utilities_payer": "lessee",
            "deposit_return_days": "30",
            "repair_response_hours": "24",
            "dispute_resolution": "court",
        },
    )
    assert res.status_code == 422
    assert "nope" in res.content.decode()


def test_lease_detail_links_to_contract_signing(lease, manager):
    html = client_for(manager).get(f"/leasing/leases/{lease.pk}/").content.decode()
    assert f"/leasing/agreements/lease/{lease.pk}/" in html
    assert "签约" in html  # Chinese by default
    english = client_for(manager)
    english.cookies["django_language"] = "en"
    html = english.get(f"/leasing/agreements/lease/{lease.pk}/").content.decode()
    assert "Contract signing" in html and "生成合同" not in html
    html = client_for(manager).get(f"/leasing/agreements/lease/{lease.pk}/").content.decode()
    assert "生成合同" in html


def test_tenant_portal_offers_sign_my_lease(lease, manager, tenant):
    agreement = services.agreement_generate(lease=lease, by=manager)
    agreement = services.agreement_sign_org(agreement=agreement, by=manager)
    portal = client_for(tenant)
    assert "/leasing/agreements/mine/" not in portal.get("/portal/").content.decode()
    assert portal.get("/api/v1/agreements").json()["total"] == 0  # not sent yet
    services.agreement_send(agreement=agreement, by=manager)
    assert "/leasing/agreements/mine/" in portal.get("/portal/").content.decode()
    mine = portal.get("/leasing/agreements/mine/").content.decode()
    assert 'id="sign-my-lease"' in mine
    assert portal.get("/api/v1/agreements").json()["total"] == 1
    assert portal.get(f"/leasing/agreements/{agreement.pk}/pdf/org_signed/").status_code == 200
    assert client_for(manager).get("/leasing/agreements/mine/").status_code == 403


def test_another_lease_of_the_tenant_elsewhere_is_invisible(lease, manager, org, portfolio):
    p3 = ProjectFactory(organization=org, code="P3", name="徐汇公寓")
    unit = UnitFactory(building=BuildingFactory(project=p3, code="B3", name="3号楼"), code="301")
    other = make_lease(unit, portfolio["customer"])
    scoped = make_user(org, "management", username="m-p1", projects=[portfolio["p1"]])
    services.agreement_generate(lease=other, by=manager)
    assert client_for(scoped).get("/api/v1/agreements").json()["total"] == 0
