"""The pure parts of matching: what the memo names, and the decision over candidates."""

from __future__ import annotations

from anzu.billing.reconciliation.matching import (
    THRESHOLD,
    Candidate,
    bill_ids_in,
    decide,
    memo_tokens,
)


def test_bill_numbers_in_the_memo():
    memo = "代付 账单12 与 BILL-34, zd#5, XZD9, 账单：77, bill 8"
    assert bill_ids_in(memo) == {12, 34, 5, 77, 8}


def test_lease_codes_are_words_of_the_memo():
    assert {"L2026-000001", "ABC"} <= memo_tokens("房租L2026-000001三月 abc")
    assert memo_tokens("") == set()


def test_one_strong_candidate_is_chosen():
    strong = Candidate(1, 10, "reference", 100)
    weak = Candidate(2, 20, "amount", 30)
    decision = decide([strong, weak])
    assert decision.chosen is strong
    assert decision.reasons == [{"code": "single_candidate", "score": 100}]


def test_two_strong_candidates_go_to_review():
    decision = decide([Candidate(1, 10, "payer_amount", 90), Candidate(2, 10, "payer_amount", 90)])
    assert decision.chosen is None
    assert decision.reasons == [{"code": "ambiguous", "count": 2}]


def test_weak_or_no_candidates_go_to_review():
    assert decide([Candidate(1, 10, "payer", THRESHOLD - 1)]).reasons == [
        {"code": "below_threshold", "threshold": THRESHOLD}
    ]
    assert decide([]).reasons == [{"code": "no_candidate"}]


def test_a_customer_without_lease_is_never_chosen_automatically():
    assert decide([Candidate(None, 10, "payer_amount", 90)]).chosen is None


def test_a_reference_leads_payer_and_amount_by_the_margin():
    reference = Candidate(1, 10, "reference", 100)
    decision = decide([reference, Candidate(2, 10, "payer_amount", 90)])
    assert decision.chosen is reference


def test_two_references_are_ambiguous_whatever_follows():
    decision = decide(
        [
            Candidate(1, 10, "reference", 100),
            Candidate(2, 20, "reference", 100),
            Candidate(3, 10, "payer_amount", 90),
        ]
    )
    assert decision.chosen is None
    assert decision.reasons == [{"code": "ambiguous", "count": 2}]
