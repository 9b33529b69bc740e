"""Placeholders: parsing, refusal of unknown ones (named), rendering, provider parameters."""

from __future__ import annotations

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.core.models import AuditEvent
from anzu.notify import services, templating
from anzu.notify.models import MessageTemplate


def test_placeholders_in_order_of_first_appearance():
    text = "{customer_name}，请于{deadline}前支付{amount}元（{amount}）。{{不是占位符}}"
    assert templating.placeholders_in(text, field="body") == ["customer_name", "deadline", "amount"]


@pytest.mark.parametrize(
    ("text", "code", "named"),
    [
        ("请支付 {amout} 元", "unknown_placeholder", "amout"),
        ("{amount.__class__}", "unknown_placeholder", "amount.__class__"),
        ("{amount[0]}", "unknown_placeholder", "amount[0]"),
        ("{}", "unknown_placeholder", ""),
        ("{amount!r}", "invalid_template", "amount"),
        ("{amount:>10}", "invalid_template", "amount"),
    ],
)
def test_bad_placeholders_are_refused_naming_them(text, code, named):
    with pytest.raises(ValidationFailed) as caught:
        templating.placeholders_in(text, field="body")
    assert caught.value.code == code
    assert caught.value.field == "body"
    assert caught.value.extra["placeholder"] == named
    assert "{" + named + "}" in caught.value.message


def test_unbalanced_braces_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        templating.placeholders_in("请支付 {amount 元", field="subject")
    assert (caught.value.code, caught.value.field) == ("invalid_template", "subject")


def test_render_fills_values_and_keeps_escaped_braces():
    text = "{customer_name}：{amount} 元 {{备注}}"
    assert templating.render(text, {"customer_name": "李雷", "amount": "10.50"}, field="body") == (
        "李雷：10.50 元 {备注}"
    )


def test_render_refuses_missing_value_naming_the_placeholder():
    with pytest.raises(ValidationFailed) as caught:
        templating.render("{amount} {due_date}", {"amount": "1"}, field="body")
    assert caught.value.code == "missing_placeholder_value"
    assert caught.value.field == "payload"
    assert caught.value.extra["placeholder"] == "due_date"


def test_provider_params_from_lines_and_defaults():
    assert templating.parse_provider_params("thing1=customer_name\namount2={amount}\ndeadline") == [
        ["thing1", "customer_name"],
        ["amount2", "amount"],
        ["deadline", "deadline"],
    ]
    with pytest.raises(ValidationFailed) as caught:
        templating.parse_provider_params("thing1=nonsense")
    assert caught.value.extra["placeholder"] == "nonsense"
    with pytest.raises(ValidationFailed):
        templating.parse_provider_params("a=amount\na=deadline")
    body = "{amount} {deadline}"
    values = templating.provider_values([], body, {"amount": "1.00", "deadline": "2026-12-05"})
    assert values == [["amount", "1.00"], ["deadline", "2026-12-05"]]


def _template_data(**overrides):
    data = {
        "code": "rent_due_t7",
        "channel": "sms",
        "language": "zh-hans",
        "subject": "",
        "body": "{customer_name}您好，{period}租金{amount}元将于{due_date}到期。",
        "provider_template_id": "SMS_100001",
        "provider_params": "",
        "is_active": True,
    }
    data.update(overrides)
    return data


def test_template_create_audited(org, admin_user):
    template = services.template_create(by=admin_user, data=_template_data())
    assert template.organization_id == org.pk
    event = AuditEvent.objects.get(action="notify.template.create")
    assert event.object_id == str(template.pk)


def test_template_with_unknown_placeholder_is_refused_and_nothing_stored(org, admin_user):
    with pytest.raises(ValidationFailed) as caught:
        services.template_create(by=admin_user, data=_template_data(body="请付{rent_amount}元"))
    assert caught.value.field == "body"
    assert "{rent_amount}" in caught.value.message
    assert not MessageTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="notify.").exists()


def test_template_update_refuses_unknown_placeholder_and_keeps_old_text(org, admin_user):
    template = services.template_create(by=admin_user, data=_template_data())
    with pytest.raises(ValidationFailed) as caught:
        services.template_update(template=template, by=admin_user, data={"subject": "{foo}"})
    assert (caught.value.field, caught.value.extra["placeholder"]) == ("subject", "foo")
    template.refresh_from_db()
    assert template.subject == ""


def test_sms_template_needs_provider_template_id(org, admin_user):
    with pytest.raises(ValidationFailed) as caught:
        services.template_create(by=admin_user, data=_template_data(provider_template_id=""))
    assert caught.value.field == "provider_template_id"


def test_duplicate_template_is_a_conflict(org, admin_user):
    services.template_create(by=admin_user, data=_template_data())
    with pytest.raises(Conflict):
        services.template_create(by=admin_user, data=_template_data())


def test_template_write_needs_notify_manage(org):
    finance = make_user(org, "finance")
    with pytest.raises(PermissionDenied):
        services.template_create(by=finance, data=_template_data())
