"""Review rule sets as versioned data: drafts, publishing, validation, and their use."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anzu.common.errors import IllegalTransition, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.contracts import services
from anzu.contracts.models import ContractFinding, ReviewRuleSet
from anzu.contracts.review import RULE_CODES
from anzu.contracts.tests.conftest import LEASE_TEXT
from anzu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_versions_draft_publish_retire(manager):
    v1 = services.rule_set_save(
        by=manager, thresholds={"deposit_max_months": "2"}, enabled_codes=list(RULE_CODES)
    )
    assert (v1.version, v1.status) == (1, "draft")
    # Saving again edits the same draft.
    same = services.rule_set_save(
        by=manager, thresholds={"deposit_max_months": "2.5"}, enabled_codes=list(RULE_CODES)
    )
    assert same.pk == v1.pk and same.thresholds == {"deposit_max_months": "2.5"}
    services.rule_set_publish(rule_set=v1, by=manager)
    v2 = services.rule_set_save(
        by=manager, thresholds={}, enabled_codes=["AUTO_RENEWAL_INDEFINITE"]
    )
    assert v2.version == 2
    services.rule_set_publish(rule_set=v2, by=manager)
    states = dict(ReviewRuleSet.objects.values_list("version", "status"))
    assert states == {1: "retired", 2: "published"}
    with pytest.raises(IllegalTransition):
        services.rule_set_publish(rule_set=v2, by=manager)
    assert AuditEvent.objects.filter(action="contract.rule_set_publish").count() == 2


@pytest.mark.parametrize(
    ("thresholds", "codes", "field"),
    [
        ({"no_such": "1"}, [], "thresholds.no_such"),
        ({"deposit_max_months": "-1"}, [], "thresholds.deposit_max_months"),
        ({"deposit_max_months": "many"}, [], "thresholds.deposit_max_months"),
        ({"term_max_years": "1.5"}, [], "thresholds.term_max_years"),
        ({}, ["NOT_A_RULE"], "enabled_codes"),
        ("3", [], "thresholds"),
    ],
)
def test_invalid_rule_sets_are_refused(manager, thresholds, codes, field):
    with pytest.raises(ValidationFailed) as err:
        services.rule_set_save(by=manager, thresholds=thresholds, enabled_codes=codes)
    assert err.value.field == field
    assert not ReviewRuleSet.objects.exists()


def test_only_rule_managers_may_edit(org):
    finance = make_user(org, "finance", username="fin")
    with pytest.raises(PermissionDenied):
        services.rule_set_save(by=finance, thresholds={}, enabled_codes=[])


def test_published_version_is_used_and_recorded(
    manager, home, fake_engine, django_capture_on_commit_callbacks, monkeypatch
):
    seen: dict[str, Any] = {}
    import anzu.contracts.review as review_module
    from anzu.contracts.tests.conftest import fake_review

    def spy(text: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return fake_review(text, **kwargs)

    monkeypatch.setattr(review_module, "review", spy)
    draft = services.rule_set_save(
        by=manager, thresholds={"deposit_max_months": "2"}, enabled_codes=list(RULE_CODES)
    )
    services.rule_set_publish(rule_set=draft, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        c = services.contract_upload(by=manager, file_bytes=LEASE_TEXT.encode(), filename="a.txt")
    c.refresh_from_db()
    assert str(seen["thresholds"]["deposit_max_months"]) == "2"
    assert c.rule_set_version == 1
    assert list(
        ContractFinding.objects.filter(contract=c).values_list("rule_set_version", flat=True)
    ) == [1]

    # A new version without the renewal rule: new contracts get no such finding, low risk.
    draft = services.rule_set_save(
        by=manager,
        thresholds={},
        enabled_codes=[code for code in RULE_CODES if code != "AUTO_RENEWAL_INDEFINITE"],
    )
    services.rule_set_publish(rule_set=draft, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        c2 = services.contract_upload(
            by=manager, file_bytes=(LEASE_TEXT + "\n附件一").encode(), filename="b.txt"
        )
    c2.refresh_from_db()
    assert c2.rule_set_version == 2
    assert not ContractFinding.objects.filter(contract=c2).exists()
    assert c2.risk_level == "low"


def test_rule_set_page_save_and_publish(manager):
    client = Client()
    client.force_login(manager)
    response = client.post(
        "/contracts/rules/",
        {"t_deposit_max_months": "abc", "enabled_codes": list(RULE_CODES)},
    )
    assert response.status_code == 422
    response = client.post(
        "/contracts/rules/",
        {"t_deposit_max_months": "2", "enabled_codes": list(RULE_CODES), "note": "更严格"},
    )
    assert response.status_code == 302
    draft = ReviewRuleSet.objects.get()
    assert client.post(f"/contracts/rules/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    api = client.get("/api/v1/contracts/rule-sets").json()
    assert api["items"][0]["version"] == 1 and api["items"][0]["status"] == "published"
