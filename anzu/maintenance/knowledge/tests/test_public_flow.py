from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext
from PIL import Image

from anzu.common.testing import CustomerFactory, make_tenant
from anzu.core.models import AuditEvent
from anzu.maintenance.knowledge import selectors
from anzu.maintenance.knowledge.models import Article, DeflectionEvent, SmsChallenge
from anzu.notify.models import OutboxMessage

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")

TOILET = "water_electric.toilet_blocked"


def png(name: str = "leak.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def token(portfolio: dict[str, Any]) -> str:
    return selectors.qr_token_for(portfolio["u1"])


def photo_error(response: Any) -> str:
    found = re.search(
        r'id="field-photos">.*?<p class="field-error" role="alert">([^<]*)</p>',
        response.content.decode(),
        re.S,
    )
    assert found is not None
    return found.group(1)


def sent_code(phone: str) -> str:
    message = OutboxMessage.objects.filter(channel="sms").latest("id")
    assert message.address == phone.strip()
    found = re.search(r"验证码 (\d{6})", message.body)
    assert found is not None
    return found.group(1)


def identify(client: Any, token: str, phone: str, name: str = "", code: str = TOILET) -> Any:
    response = client.post(f"/r/{token}/c/{code}/identify/", {"phone": phone, "name": name})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/r/{token}/c/{code}/verify/"
    response = client.post(f"/r/{token}/c/{code}/verify/", {"code": sent_code(phone)})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/r/{token}/c/{code}/report/"
    return response


def test_start_page_shows_the_unit_and_categories(client: Any, token: str) -> None:
    response = client.get(f"/r/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "静安公寓 · 1号楼 · 101 房间" in html
    for label in ("马桶堵塞", "跳闸断电", "Wi-Fi断网", "门禁卡钥匙", "其他"):
        assert label in html
    assert f'href="/r/{token}/c/{TOILET}/"' in html


def test_articles_come_before_any_ticket(
    client: Any, token: str, portfolio: dict[str, Any]
) -> None:
    response = client.get(f"/r/{token}/c/{TOILET}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "这些方法也许能马上解决" in html
    assert "马桶堵塞：先用皮搋子疏通" in html
    assert "<ol><li>先别再冲水" in html
    assert "已解决，谢谢" in html and "仍需要维修" in html
    event = DeflectionEvent.objects.get()
    article = Article.objects.get(builtin_key="toilet_blocked.plunger")
    assert (event.unit, event.category_code, event.article_ids, event.outcome) == (
        portfolio["u1"],
        TOILET,
        [article.pk],
        "shown",
    )
    assert event.session_key == client.session.session_key
    # Reloading the page is the same visit.
    client.get(f"/r/{token}/c/{TOILET}/")
    assert DeflectionEvent.objects.count() == 1


def test_solved_records_solved_and_creates_no_ticket(
    client: Any, token: str, ticket_stub: Any
) -> None:
    client.get(f"/r/{token}/c/{TOILET}/")
    response = client.post(f"/r/{token}/c/{TOILET}/solved/")
    assert response.status_code == 200
    assert "太好了，问题已解决" in response.content.decode()
    event = DeflectionEvent.objects.get()
    assert event.outcome == "solved" and event.outcome_at is not None
    assert (
        AuditEvent.objects.filter(action="deflection.solve", object_id=str(event.pk)).count() == 1
    )
    assert ticket_stub.calls == []
    # A fresh visit after solving starts a new one.
    client.get(f"/r/{token}/c/{TOILET}/")
    assert DeflectionEvent.objects.count() == 2


def test_solved_without_a_visit_goes_back_to_the_articles(client: Any, token: str) -> None:
    response = client.post(f"/r/{token}/c/{TOILET}/solved/")
    assert response.status_code == 302
    assert DeflectionEvent.objects.count() == 0


def test_unknown_category_is_404(client: Any, token: str) -> None:
    assert client.get(f"/r/{token}/c/plumbing.nope/").status_code == 404
    assert DeflectionEvent.objects.count() == 0


def test_category_without_articles_goes_straight_to_reporting(client: Any, token: str) -> None:
    response = client.get(f"/r/{token}/c/structure.wall/")
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/c/structure.wall/report/"
    assert DeflectionEvent.objects.count() == 0
    response = client.get(response["Location"])
    assert response["Location"] == f"/r/{token}/c/structure.wall/identify/"


def test_tenant_by_sms_code_creates_the_ticket(
    client: Any, token: str, portfolio: dict[str, Any], make_lease: Any, ticket_stub: Any
) -> None:
    make_lease()
    customer = portfolio["customer"]
    client.get(f"/r/{token}/c/{TOILET}/")
    response = client.get(f"/r/{token}/c/{TOILET}/report/")
    assert response["Location"] == f"/r/{token}/c/{TOILET}/identify/"
    identify(client, token, f" {customer.phone} ")
    challenge = SmsChallenge.objects.get()
    assert challenge.customer == customer and challenge.verified_at is not None
    message = OutboxMessage.objects.get(channel="sms")
    assert message.address == customer.phone
    assert message.idempotency_key == f"kb-sms-code:{challenge.pk}"
    assert message.body.startswith("【报修验证】验证码 ")
    page = client.get(f"/r/{token}/c/{TOILET}/report/")
    assert page.status_code == 200
    assert f"以租户 {customer.name} 的身份报修" in page.content.decode()
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/",
        {"description": "马桶堵了，抽不通", "urgency": "urgent", "photos": [png(), png("b.png")]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/done/"
    assert len(ticket_stub.calls) == 1
    call = ticket_stub.calls[0]
    photos = call.pop("photos")
    assert [p.name for p in photos] == ["leak.png", "b.png"]
    assert call == {
        "organization_id": portfolio["u1"].organization_id,
        "unit_id": portfolio["u1"].pk,
        "category_code": TOILET,
        "description": "马桶堵了，抽不通",
        "channel": "qr",
        "urgency": "urgent",
        "reporter_customer_id": customer.pk,
        "reporter_name": customer.name,
        "reporter_phone": customer.phone,
        "by": None,
    }
    event = DeflectionEvent.objects.get()
    assert (event.outcome, event.ticket_id, event.ticket_number) == (
        "escalated",
        1001,
        "WO-20260310-0001",
    )
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "WO-20260310-0001" in done.content.decode()
    assert "报修已受理" in done.content.decode()


def test_portal_tenant_of_the_unit_skips_the_sms(
    client: Any, token: str, portfolio: dict[str, Any], make_lease: Any, ticket_stub: Any
) -> None:
    make_lease()
    client.force_login(make_tenant(portfolio["customer"]))
    client.get(f"/r/{token}/c/{TOILET}/")
    page = client.get(f"/r/{token}/c/{TOILET}/report/")
    assert page.status_code == 200
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/", {"description": "堵了", "urgency": "normal"}
    )
    assert response.status_code == 302
    assert ticket_stub.calls[0]["reporter_customer_id"] == portfolio["customer"].pk
    assert ticket_stub.calls[0]["photos"] is None
    assert SmsChallenge.objects.count() == 0
    assert OutboxMessage.objects.filter(channel="sms").count() == 0


def test_portal_tenant_of_another_unit_must_identify(
    client: Any, portfolio: dict[str, Any], make_lease: Any
) -> None:
    make_lease(unit="u2")
    client.force_login(make_tenant(portfolio["customer"]))
    token = selectors.qr_token_for(portfolio["u1"])
    response = client.get(f"/r/{token}/c/{TOILET}/report/")
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/c/{TOILET}/identify/"


def test_phone_of_no_tenant_reports_as_visitor(
    client: Any, token: str, portfolio: dict[str, Any], make_lease: Any, ticket_stub: Any
) -> None:
    make_lease()
    # A customer of the organization, but without a lease on this unit.
    stranger = CustomerFactory(organization=portfolio["p1"].organization, phone="13900001111")
    client.get(f"/r/{token}/c/{TOILET}/")
    identify(client, token, stranger.phone, name="")
    assert SmsChallenge.objects.get().customer is None
    page = client.get(f"/r/{token}/c/{TOILET}/report/")
    assert "您以访客身份报修" in page.content.decode()
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/", {"description": "堵了", "urgency": "normal"}
    )
    assert response.status_code == 422
    assert 'id="field-name"' in response.content.decode()
    assert ticket_stub.calls == []
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/",
        {"description": "堵了", "urgency": "normal", "name": "王阿姨"},
    )
    assert response.status_code == 302
    call = ticket_stub.calls[0]
    assert (call["reporter_customer_id"], call["reporter_name"], call["reporter_phone"]) == (
        None,
        "王阿姨",
        "13900001111",
    )


def test_bad_photo_is_refused_on_the_photos_field(
    client: Any, token: str, portfolio: dict[str, Any], make_lease: Any, ticket_stub: Any
) -> None:
    make_lease()
    client.force_login(make_tenant(portfolio["customer"]))
    client.get(f"/r/{token}/c/{TOILET}/")
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/",
        {"description": "堵了", "urgency": "normal", "photos": [fake]},
    )
    assert response.status_code == 422
    assert photo_error(response) == gettext("Photos must be JPEG, PNG or WebP images.")
    assert ticket_stub.calls == []
    assert DeflectionEvent.objects.get().outcome == "shown"
    seven = [png(f"{n}.png") for n in range(7)]
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/",
        {"description": "堵了", "urgency": "normal", "photos": seven},
    )
    assert response.status_code == 422
    assert photo_error(response) == gettext("At most 6 photos.")
    assert ticket_stub.calls == []


def test_missing_description_writes_nothing(
    client: Any, token: str, portfolio: dict[str, Any], make_lease: Any, ticket_stub: Any
) -> None:
    make_lease()
    client.force_login(make_tenant(portfolio["customer"]))
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/", {"description": " ", "urgency": "normal"}
    )
    assert response.status_code == 422
    assert ticket_stub.calls == []


def test_wrong_code_five_times_locks(
    client: Any, token: str, make_lease: Any, portfolio: dict[str, Any]
) -> None:
    make_lease()
    phone = portfolio["customer"].phone
    client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": phone})
    right = sent_code(phone)
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(1, 6):
        response = client.post(f"/r/{token}/c/{TOILET}/verify/", {"code": wrong})
        assert response.status_code == 422
        html = response.content.decode()
        expected = (
            "验证码错误，请核对短信后重试。" if attempt < 5 else "验证码错误次数过多，请重新获取。"
        )
        assert expected in html, attempt
    assert SmsChallenge.objects.get().attempts == 5
    response = client.post(f"/r/{token}/c/{TOILET}/verify/", {"code": right})
    assert response.status_code == 422
    assert "验证码错误次数过多，请重新获取。" in response.content.decode()
    assert SmsChallenge.objects.get().verified_at is None
    assert client.get(f"/r/{token}/c/{TOILET}/report/").status_code == 302
    assert AuditEvent.objects.filter(action="sms_challenge.fail").count() == 5


def test_expired_code(client: Any, token: str, frozen: Any, portfolio: dict[str, Any]) -> None:
    phone = "13700002222"
    client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": phone})
    code = sent_code(phone)
    frozen.shift(dt.timedelta(minutes=10, seconds=1))
    response = client.post(f"/r/{token}/c/{TOILET}/verify/", {"code": code})
    assert response.status_code == 422
    assert "验证码已过期，请重新获取。" in response.content.decode()
    assert SmsChallenge.objects.get().verified_at is None


def test_code_is_stored_hashed(client: Any, token: str) -> None:
    client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": "13700002222"})
    code = sent_code("13700002222")
    challenge = SmsChallenge.objects.get()
    assert len(challenge.code_hash) == 64 and len(challenge.salt) == 16
    assert code not in {challenge.code_hash, challenge.salt}
    assert {f.name for f in SmsChallenge._meta.fields}.isdisjoint({"code"})
    assert (challenge.expires_at - challenge.created_at) == dt.timedelta(minutes=10)


def test_sms_rate_limit_per_phone_and_unit(client: Any, token: str, frozen: Any) -> None:
    for _ in range(3):
        response = client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": "13700002222"})
        assert response.status_code == 302
    response = client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": "13700002222"})
    assert response.status_code == 429
    assert "该手机号获取验证码过于频繁，请 15 分钟后再试。" in response.content.decode()
    assert SmsChallenge.objects.count() == 3
    assert OutboxMessage.objects.filter(channel="sms").count() == 3
    frozen.shift(dt.timedelta(minutes=16))
    assert (
        client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": "13700002222"}).status_code == 302
    )


def test_sms_rate_limit_per_unit(client: Any, token: str, frozen: Any) -> None:
    for n in range(10):
        response = client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": f"1370000{n:04d}"})
        assert response.status_code == 302
    response = client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": "13800009999"})
    assert response.status_code == 429
    assert SmsChallenge.objects.count() == 10


@pytest.mark.parametrize("phone", ["12345", "021-12345678", "2380000111", "abc"])
def test_bad_phone_writes_nothing(client: Any, token: str, phone: str) -> None:
    response = client.post(f"/r/{token}/c/{TOILET}/identify/", {"phone": phone})
    assert response.status_code == 422
    assert "请输入 11 位手机号。" in response.content.decode()
    assert SmsChallenge.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_verify_without_a_code_request_goes_to_identify(client: Any, token: str) -> None:
    response = client.get(f"/r/{token}/c/{TOILET}/verify/")
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/c/{TOILET}/identify/"


def test_done_without_a_report_goes_to_start(client: Any, token: str) -> None:
    response = client.get(f"/r/{token}/done/")
    assert response["Location"] == f"/r/{token}/"


def test_article_html_is_escaped(
    client: Any, token: str, portfolio: dict[str, Any], manager: Any
) -> None:
    Article.objects.create(
        organization=portfolio["p1"].organization,
        category_code=TOILET,
        title="<b>t</b>",
        body="<script>alert(1)</script>\n\n1. <i>step</i>",
        position=1,
    )
    html = client.get(f"/r/{token}/c/{TOILET}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ol><li>&lt;i&gt;step&lt;/i&gt;</li></ol>" in html
    assert "&lt;b&gt;t&lt;/b&gt;" in html
