"""The monthly review through the API (/api/v1/reviews/): each executive signs their own slot, the
second signature freezes the month, a sign-off is withdrawn only while the month is open."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from scoreboard.exco.services import review_sign
from scoreboard.models import MonthlyReview
from tests.api.domain_helpers import API, MONTH, as_user, post

pytestmark = pytest.mark.django_db


# --- The monthly review ---------------------------------------------------------------------------


def test_the_cio_signs_a_month_that_has_no_review_yet(client, cio):
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/sign/", {"slot": "cio", "comment": "On track."})
    assert response.status_code == 200, response.content
    assert (response.json()["month"], response.json()["cio_signed_by"]) == ("2026-01-01", cio.username)
    assert client.get(f"{API}/reviews/{MONTH}/").json()["cio_comment"] == "On track."
    assert client.get(f"{API}/reviews/{MONTH}-01/").status_code == 200


def test_the_cio_signing_the_coo_slot_gets_403_and_nothing_is_stored(client, cio):
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "For Omar."})
    assert response.status_code == 403
    assert "Only the COO" in response.json()["detail"]
    assert not MonthlyReview.objects.exists()


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_only_executives_sign_even_with_a_broken_body(client, request, persona):
    client = as_user(client, request.getfixturevalue(persona))
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "nobody"}).status_code == 403
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "cio", "comment": "Hi"}).status_code == 403
    assert not MonthlyReview.objects.exists()


def test_a_sign_off_without_a_comment_is_refused_naming_the_field(client, coo):
    response = post(as_user(client, coo), f"{API}/reviews/{MONTH}/sign/", {"slot": "coo"})
    assert response.status_code == 400
    assert "comment" in response.json()


def test_a_month_that_has_not_started_cannot_be_signed(client, coo):
    future = timezone.localdate().replace(day=1) + timedelta(days=40)
    response = post(as_user(client, coo), f"{API}/reviews/{future:%Y-%m}/sign/", {"slot": "coo", "comment": "Early"})
    assert response.status_code == 400
    assert "has not started" in response.json()["month"][0]


def test_the_second_signature_freezes_the_month_and_then_nothing_is_withdrawn(client, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="On track.")
    client = as_user(client, coo)
    signed = post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "Agreed."})
    assert signed.status_code == 200
    assert signed.json()["is_frozen"] is True
    withdrawn = post(client, f"{API}/reviews/{MONTH}/withdraw/", {"slot": "coo"})
    assert withdrawn.status_code == 400
    assert "frozen" in withdrawn.json()["month"][0]
    assert MonthlyReview.objects.get().coo_signed_by == coo


def test_an_executive_withdraws_their_own_sign_off_while_the_month_is_open(client, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="On track.")
    assert post(as_user(client, coo), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"}).status_code == 403
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"})
    assert response.status_code == 200
    assert response.json()["cio_signed_by"] is None
    assert MonthlyReview.objects.get().cio_signed_at is None


def test_withdrawing_from_a_month_with_no_review_is_a_404(client, cio):
    assert post(as_user(client, cio), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"}).status_code == 404
    assert not MonthlyReview.objects.exists()


def test_reviews_filter_by_frozen(client, ops_lead_a, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="Ok.")
    review_sign(month=date(2026, 1, 1), by=coo, slot="coo", comment="Ok.")
    review_sign(month=date(2026, 2, 1), by=cio, slot="cio", comment="Ok.")
    client = as_user(client, ops_lead_a)
    assert [r["month"] for r in client.get(f"{API}/reviews/", {"frozen": "true"}).json()["results"]] == ["2026-01-01"]
    assert client.get(f"{API}/reviews/2026-13/").status_code == 404
