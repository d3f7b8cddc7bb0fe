"""A month outside the ones the product speaks of (2000-01 to 2099-12, scoreboard.months) names
no page and no review: 404 on every month URL and API parameter, never a 500 from the
calendar's edges."""

import json

import pytest

pytestmark = pytest.mark.django_db

OUTSIDE = ["0001-01", "1999-12", "2100-01", "9999-12"]


@pytest.mark.parametrize("month", OUTSIDE)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/exco/{}/"),
        ("get", "/exco/{}/pack.pdf"),
        ("post", "/exco/{}/sign-off/"),
        ("get", "/exco/{}/kpi/fixture-kpi/"),
        ("post", "/exco/{}/kpi/fixture-kpi/annotate/"),
    ],
)
def test_a_month_page_outside_the_range_is_not_found(client, cio, kpi, month, method, path):
    client.force_login(cio)

    response = getattr(client, method)(path.format(month), {"slot": "cio", "comment": "ok", "text": "why"})

    assert response.status_code == 404


@pytest.mark.parametrize("month", OUTSIDE)
def test_a_review_outside_the_range_is_not_found_in_json(client, cio, month):
    client.force_login(cio)

    read = client.get(f"/api/v1/reviews/{month}/")
    signed = client.post(
        f"/api/v1/reviews/{month}/sign/",
        json.dumps({"slot": "cio", "comment": "Figures checked."}),
        content_type="application/json",
    )

    for response in (read, signed):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]


def test_the_month_picker_refuses_a_month_outside_the_range(client, cio):
    client.force_login(cio)

    response = client.get("/exco/", {"month": "0001-01"}, follow=True)

    assert "Month: choose a month written as YYYY-MM" in response.content.decode()


def test_the_first_month_of_the_range_is_a_page(client, cio):
    client.force_login(cio)

    assert client.get("/exco/2000-01/").status_code == 200
