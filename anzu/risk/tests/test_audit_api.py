from __future__ import annotations

import base64

import pytest
from django.db import transaction
from django.test import Client

from anzu.common.testing import make_user
from anzu.core import audit
from anzu.risk import auditlog, merkle, note

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_auditor_endpoints_give_verifiable_answers(org, manager):
    for i in range(5):
        with transaction.atomic():
            audit.record(action="t", object_type="x", object_id=i, organization=org, actor=manager)
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    client = logged_in(manager)
    events = client.get("/api/v1/audit/events?action=t").json()
    assert events["total"] == 5
    vkey = client.get("/api/v1/audit/vkey").content.decode()
    checkpoint = client.get("/api/v1/audit/checkpoint").content.decode()
    cp = note.open_checkpoint(checkpoint, note.parse_verifier_key(vkey))
    proof = client.get(f"/api/v1/audit/proof?index=2&size={cp.size}").json()
    assert merkle.verify_inclusion(
        base64.b64decode(proof["leaf_hash"]),
        2,
        cp.size,
        [base64.b64decode(p) for p in proof["proof"]],
        cp.root,
    )
    bad = client.get(f"/api/v1/audit/proof?index={cp.size}")
    assert bad.status_code == 422
    assert bad.json()["code"] == "out_of_range"


def test_frontline_is_refused(org):
    user = make_user(org, "frontline", username="fl2")
    assert logged_in(user).get("/api/v1/audit/events").status_code == 403
