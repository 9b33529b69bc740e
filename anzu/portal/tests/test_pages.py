"""Portal pages: my bills, one bill, notices and their download, inbox; who sees what."""

from __future__ import annotations

import pytest

from anzu.common import clock
from anzu.documents.services import document_archive
from anzu.notify.models import InboxMessage
from anzu.portal.tests.helpers import login, open_bills

pytestmark = pytest.mark.django_db


def test_tenant_sees_own_bills_grouped_with_total_and_overdue(client, world):
    login(client, world["tenant"])
    response = client.get("/portal/")
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g["lease_id"] for g in groups] == [world["lease"].pk]
    group = groups[0]
    assert [b["id"] for b in group["open"]] == [b.pk for b in open_bills(world["lease"])]
    assert all(b["overdue"] for b in group["open"])
    assert [b["days_overdue"] for b in group["open"]] == [68, 68, 37, 9]
    assert str(group["outstanding"]) == "12800.00"
    assert group["overdue_count"] == 4
    html = response.content.decode()
    assert "¥12,800.00" in html
    assert world["other_lease"].code not in html
    for bill in open_bills(world["other_lease"]):
        assert f'id="bill-{bill.pk}"' not in html


def test_paid_bills_are_listed_apart(client, world):
    from anzu.billing import services as billing_services

    billing_services.payment_record(
        by=world["finance"], lease_id=world["lease"].pk, channel="cash", amount="3200.00"
    )
    login(client, world["tenant"])
    group = client.get("/portal/").context["groups"][0]
    assert [b["kind"] for b in group["paid"]] == ["rent"]
    assert [b["kind"] for b in group["open"]] == ["deposit", "rent", "rent"]
    assert str(group["outstanding"]) == "9600.00"


def test_bill_page_offers_to_pay_it_with_older_open_bills(client, world):
    login(client, world["tenant"])
    rent_jan, deposit, rent_feb, _rent_mar = open_bills(world["lease"])
    response = client.get(f"/portal/bills/{rent_feb.pk}/")
    assert response.status_code == 200
    assert [b["id"] for b in response.context["covered"]] == [rent_jan.pk, deposit.pk, rent_feb.pk]
    assert str(response.context["pay_total"]) == "9600.00"
    form = response.context["form"]
    assert form.initial["bill_ids"] == f"{rent_jan.pk},{deposit.pk},{rent_feb.pk}"
    assert "¥9,600.00" in response.content.decode()


def test_other_tenant_and_staff_get_404_for_a_bill_and_403_for_lists(client, world, manager):
    bill = open_bills(world["lease"])[0]
    login(client, world["other_tenant"])
    assert client.get(f"/portal/bills/{bill.pk}/").status_code == 404
    client.logout()
    login(client, manager)
    assert client.get(f"/portal/bills/{bill.pk}/").status_code == 404
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/notices/").status_code == 403
    assert client.get("/portal/inbox/").status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_links_a_tenant_to_the_portal(client, world):
    login(client, world["tenant"])
    html = client.get("/").content.decode()
    assert 'href="/portal/"' in html
    assert 'href="/portal/notices/"' in html
    assert 'href="/portal/inbox/"' in html


@pytest.fixture
def notices(world, org, manager):
    mine = document_archive(
        organization_id=org.pk,
        kind="lawyer_letter",
        title="律师函 L2026-000001",
        content=b"%PDF-1.7 mine",
        related=world["lease"],
        by=manager,
    )
    theirs = document_archive(
        organization_id=org.pk,
        kind="formal_notice",
        title="催缴通知书 N2026-000002",
        content=b"%PDF-1.7 theirs",
        related=world["other_lease"],
        by=manager,
    )
    contract = document_archive(
        organization_id=org.pk,
        kind="contract",
        title="租赁合同",
        content=b"%PDF-1.7 contract",
        related=world["lease"],
        by=manager,
    )
    return {"mine": mine, "theirs": theirs, "contract": contract}


def test_notices_list_only_the_tenants_own_notice_kinds(client, world, notices):
    login(client, world["tenant"])
    response = client.get("/portal/notices/")
    assert response.status_code == 200
    assert [n["id"] for n in response.context["notices"]] == [notices["mine"].pk]
    html = response.content.decode()
    assert "律师函 L2026-000001" in html
    assert "催缴通知书 N2026-000002" not in html
    assert "租赁合同" not in html


def test_notice_download_is_tenant_safe(client, world, notices, manager):
    login(client, world["tenant"])
    response = client.get(f"/portal/notices/{notices['mine'].pk}/download/")
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 mine"
    assert response["Content-Type"] == "application/pdf"
    assert client.get(f"/portal/notices/{notices['theirs'].pk}/download/").status_code == 404
    assert client.get(f"/portal/notices/{notices['contract'].pk}/download/").status_code == 404
    client.logout()
    login(client, world["other_tenant"])
    assert client.get(f"/portal/notices/{notices['mine'].pk}/download/").status_code == 404
    client.logout()
    login(client, manager)
    assert client.get(f"/portal/notices/{notices['mine'].pk}/download/").status_code == 404


@pytest.fixture
def messages(world, org):
    now = clock.now()
    mine = InboxMessage.objects.create(
        organization=org,
        customer=world["customer"],
        subject="三月租金",
        body="请按时缴纳。",
        created_at=now,
    )
    theirs = InboxMessage.objects.create(
        organization=org,
        customer=world["other_customer"],
        subject="别人的消息",
        body="x",
        created_at=now,
    )
    return {"mine": mine, "theirs": theirs}


def test_inbox_lists_and_marks_read(client, world, messages):
    login(client, world["tenant"])
    response = client.get("/portal/inbox/")
    assert response.status_code == 200
    assert [m.pk for m in response.context["inbox"]] == [messages["mine"].pk]
    assert response.context["unread"] == 1
    assert "别人的消息" not in response.content.decode()
    read = client.post(f"/portal/inbox/{messages['mine'].pk}/read/")
    assert read.status_code == 302
    assert read["Location"] == "/portal/inbox/"
    messages["mine"].refresh_from_db()
    assert messages["mine"].read_at == clock.now()
    assert client.get("/portal/inbox/").context["unread"] == 0


def test_inbox_of_another_tenant_is_404_and_untouched(client, world, messages, manager):
    login(client, world["tenant"])
    assert client.post(f"/portal/inbox/{messages['theirs'].pk}/read/").status_code == 404
    messages["theirs"].refresh_from_db()
    assert messages["theirs"].read_at is None
    client.logout()
    login(client, manager)
    assert client.post(f"/portal/inbox/{messages['mine'].pk}/read/").status_code == 404
    assert client.get(f"/portal/inbox/{messages['mine'].pk}/read/").status_code == 405
