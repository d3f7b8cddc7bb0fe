"""Chat destinations: admins only, the webhook's URL read from a variable meant for chat, through
the sources' allow-list; the delivery log is shown, never written, in the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from scoreboard.chat import chat_destination_delete, chat_destination_save
from scoreboard.models import ChatDestination, ChatEvent, ChatNotification
from tests import factories
from tests.db_rows import rows
from tests.doors.harness import admin_form, said

pytestmark = pytest.mark.django_db

ADD = "/admin/scoreboard/chatdestination/add/"
SLACK = {"name": "ExCo channel", "kind": "slack", "url_env": "SCOREBOARD_CHAT_EXCO", "events": ["kpi_red"]}


def _refusal(by, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        chat_destination_save(by=by, data={**SLACK, **changes})
    return refused.value.message_dict


def test_an_address_off_the_allow_list_is_refused_on_the_variables_field(admin_user, monkeypatch, settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["hooks.slack.com"]
    monkeypatch.setenv("SCOREBOARD_CHAT_EXCO", "https://hooks.evil.example/services/T0/B0/secret")

    errors = _refusal(admin_user)

    assert list(errors) == ["url_env"]
    assert errors["url_env"] == [
        "The address in SCOREBOARD_CHAT_EXCO is refused: refused: hooks.evil.example is not on the allow-list "
        "(METRIC_SOURCE_ALLOWED_HOSTS)"
    ]
    assert not ChatDestination.objects.exists()


def test_a_private_address_is_refused_unless_its_network_is_allowed(admin_user, monkeypatch, settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["hooks.slack.com"]
    monkeypatch.setenv("SCOREBOARD_CHAT_EXCO", "http://169.254.169.254/latest/meta-data/")
    assert "a link-local address" in _refusal(admin_user)["url_env"][0]


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "SCOREBOARD_SOURCE_WAREHOUSE", ""])
def test_a_variable_not_meant_for_chat_is_refused_on_its_field(admin_user, variable):
    errors = _refusal(admin_user, url_env=variable)
    assert "is not a variable chat destinations may read: name one that starts with SCOREBOARD_CHAT_" in (
        " ".join(errors["url_env"])
    )


def test_a_variable_the_operator_lists_is_allowed(admin_user, settings):
    settings.CHAT_WEBHOOK_ENV_ALLOWED = ["TEAMS_WEBHOOK"]
    saved = chat_destination_save(by=admin_user, data={**SLACK, "url_env": "TEAMS_WEBHOOK"})
    assert saved.url_env == "TEAMS_WEBHOOK"


def test_an_unknown_event_is_refused_on_its_field(admin_user):
    assert "Choose among" in _refusal(admin_user, events=["kpi_red", "lunch"])["events"][0]


def test_a_destination_whose_variable_is_not_set_yet_is_saved(admin_user):
    # The admin configures; the operator sets the variable later. Posts say why until then.
    saved = chat_destination_save(by=admin_user, data=SLACK)
    assert saved.events == ["kpi_red"]
    assert saved.history.get().history_user == admin_user


@pytest.mark.parametrize("who", ["cio", "ops_lead_a"])
def test_only_admins_configure_destinations(request, who, admin_user):
    person = request.getfixturevalue(who)
    existing = chat_destination_save(by=admin_user, data=SLACK)
    before = rows()

    with pytest.raises(PermissionDenied, match=r"Only admins configure chat destinations\."):
        chat_destination_save(by=person, data={**SLACK, "name": "Mine"})
    with pytest.raises(PermissionDenied):
        chat_destination_save(by=person, data={"events": []}, destination=existing)
    with pytest.raises(PermissionDenied):
        chat_destination_delete(by=person, destination=existing)

    assert rows() == before


@pytest.mark.parametrize("who", ["cio", "ops_lead_a"])
def test_the_admin_pages_refuse_executives_and_ops_leads_even_as_staff(client, request, who):
    person = request.getfixturevalue(who)
    person.is_staff = True
    person.save()
    destination = factories.ChatDestinationFactory()
    notification = factories.ChatNotificationFactory(destination=destination)
    client.force_login(person)

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {**SLACK}).status_code == 403
    assert client.get(reverse("admin:scoreboard_chatdestination_change", args=[destination.pk])).status_code == 403
    assert client.get(reverse("admin:scoreboard_chatnotification_change", args=[notification.pk])).status_code == 403
    assert ChatDestination.objects.count() == 1


def test_an_admin_adds_a_destination_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    data = admin_form(client, ADD, name="ExCo channel", kind="teams", url_env="SCOREBOARD_CHAT_EXCO")
    data["events"] = ["decision_overdue", "month_ready"]

    response = client.post(ADD, data)

    assert response.status_code == 302, said(response)[:2000]
    saved = ChatDestination.objects.get()
    assert (saved.kind, saved.url_env, saved.events) == ("teams", "SCOREBOARD_CHAT_EXCO", data["events"])


def test_the_admin_shows_the_refusal_on_the_variables_field(client, admin_user):
    client.force_login(admin_user)
    data = admin_form(client, ADD, name="ExCo channel", kind="slack", url_env="SECRET_KEY")

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert "SECRET_KEY is not a variable chat destinations may read" in said(response)
    assert not ChatDestination.objects.exists()


def test_the_admin_changes_only_the_destinations_own_fields(client, admin_user):
    client.force_login(admin_user)
    destination = factories.ChatDestinationFactory()
    page = client.get(reverse("admin:scoreboard_chatdestination_change", args=[destination.pk]))
    assert sorted(page.context["adminform"].form.fields) == ["enabled", "events", "kind", "name", "url_env"]


def test_the_admin_says_why_a_destination_posts_nothing(client, admin_user):
    client.force_login(admin_user)
    destination = factories.ChatDestinationFactory(url_env="SCOREBOARD_CHAT_DEMO")
    page = client.get(reverse("admin:scoreboard_chatdestination_change", args=[destination.pk]))
    assert "SCOREBOARD_CHAT_DEMO is not set on the server: nothing is posted until the operator sets it." in said(page)


def test_the_delivery_log_is_shown_and_never_written_in_the_admin(client, admin_user):
    notification = factories.ChatNotificationFactory(last_error="answered 400 Bad Request")
    client.force_login(admin_user)

    listing = client.get(reverse("admin:scoreboard_chatnotification_changelist"))
    change = reverse("admin:scoreboard_chatnotification_change", args=[notification.pk])

    assert "answered 400 Bad Request" in said(listing)
    assert client.get(reverse("admin:scoreboard_chatnotification_add")).status_code == 403
    assert client.post(change, {"status": "sent"}).status_code == 403
    assert ChatNotification.objects.get().status == "pending"
    assert ChatEvent.MONTH_READY.label in said(listing)
