from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anzu.common.testing import make_user
from anzu.contracts.search import ics, services
from anzu.contracts.search.models import CalendarToken
from anzu.contracts.search.tests.conftest import TODAY, ends_in, make_contract
from anzu.core.models import AuditEvent


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


def test_escape_and_fold() -> None:
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "合同到期" * 30  # 8 + 360 octets
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(folded) == line  # no character was split
    short = "UID:x"
    assert ics.fold(short) == short


def test_calendar_document() -> None:
    body = ics.calendar(
        [ics.Event(uid="contract-1-20260611@h", on=dt.date(2026, 6, 11), summary="合同到期：A, B")],
        name="合同到期",
        now=dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC),
    )
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = unfold(body).split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert "DTSTART;VALUE=DATE:20260611" in lines
    assert "DTEND;VALUE=DATE:20260612" in lines
    assert "DTSTAMP:20260601T020000Z" in lines
    assert "SUMMARY:合同到期：A\\, B" in lines


def test_feed_shows_only_visible_contracts_in_language(
    org: Any, other_org: Any, portfolio: Any, client: Any
) -> None:
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    mine = make_contract(
        org, unit=portfolio["u1"], end_date=ends_in(20), title="静安公寓101租赁合同"
    )
    make_contract(org, unit=portfolio["u3"], end_date=ends_in(20), title="浦东合同")
    make_contract(
        org, unit=portfolio["u1"], end_date=ends_in(20), terminated_on=TODAY, title="已终止"
    )
    make_contract(other_org, end_date=ends_in(20), title="别人的合同")
    token = services.calendar_token_issue(by=frontline, language="zh-hans")
    response = client.get(f"/contracts/board/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = unfold(response.content.decode("utf-8"))
    assert text.count("BEGIN:VEVENT") == 1
    assert f"UID:contract-{mine.pk}-{ends_in(20):%Y%m%d}@testserver" in text
    assert "SUMMARY:合同到期：静安公寓101租赁合同 (101)" in text
    assert "浦东合同" not in text and "别人的合同" not in text and "已终止" not in text
    english = services.calendar_token_issue(by=frontline, language="en")
    text = unfold(client.get(f"/contracts/board/calendar/{english}.ics").content.decode())
    assert "SUMMARY:Contract ends: 静安公寓101租赁合同 (101)" in text
    assert re.search(
        r"\r\n", client.get(f"/contracts/board/calendar/{english}.ics").content.decode()
    )


def test_revoked_unknown_and_inactive_tokens_are_404(org: Any, client: Any) -> None:
    user = make_user(org, "management")
    first = services.calendar_token_issue(by=user)
    second = services.calendar_token_issue(by=user)
    assert client.get(f"/contracts/board/calendar/{first}.ics").status_code == 404
    assert client.get(f"/contracts/board/calendar/{second}.ics").status_code == 200
    assert CalendarToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert services.calendar_token_revoke(by=user) == 1
    assert client.get(f"/contracts/board/calendar/{second}.ics").status_code == 404
    assert client.get("/contracts/board/calendar/nonsense.ics").status_code == 404
    third = services.calendar_token_issue(by=user)
    user.is_active = False
    user.save()
    assert client.get(f"/contracts/board/calendar/{third}.ics").status_code == 404
    actions = list(
        AuditEvent.objects.filter(action__startswith="contract_calendar.").values_list(
            "action", flat=True
        )
    )
    assert actions.count("contract_calendar.token_issue") == 3
    assert actions.count("contract_calendar.token_revoke") == 1
    assert not CalendarToken.objects.filter(token_hash=third).exists()  # stored hashed


def test_calendar_page_and_api(org: Any, client: Any) -> None:
    user = make_user(org, "management")
    client.force_login(user)
    page = client.get("/contracts/board/calendar/")
    assert page.status_code == 200 and 'id="none"' in page.content.decode()
    issued = client.post("/contracts/board/calendar/", {"action": "issue"})
    match = re.search(r"/contracts/board/calendar/([\w-]+)\.ics", issued.content.decode())
    assert match is not None
    assert client.get(match.group(0)).status_code == 200
    client.post("/contracts/board/calendar/", {"action": "revoke"})
    assert client.get(match.group(0)).status_code == 404
    api = client.post("/api/v1/contract-board/calendar-token")
    assert api.status_code == 201
    assert api.json()["url"].endswith(f"/contracts/board/calendar/{api.json()['token']}.ics")
    assert client.delete("/api/v1/contract-board/calendar-token").status_code == 204
    assert client.get(api.json()["url"]).status_code == 404
