"""Every free-text field states its length limit once, on the model (issue 16, item 4), so the
model, the forms and the API refuse alike (tests/doors: "text has a length limit")."""

import pytest
from django.apps import apps
from django.db import models

from scoreboard.fields import LimitedTextField

APPS = ("governance", "initiatives", "metrics", "scoreboard")


def test_every_text_field_of_every_app_has_a_length_limit():
    unlimited = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField) and not isinstance(field, LimitedTextField)
    ]

    assert unlimited == []


@pytest.mark.django_db
def test_the_model_refuses_text_over_its_limit_naming_the_field(initiative_a):
    from django.core.exceptions import ValidationError

    initiative_a.technology_owner_description = "word " * 1_001

    with pytest.raises(ValidationError) as refused:
        initiative_a.full_clean()

    assert refused.value.message_dict["technology_owner_description"] == [
        "Ensure this value has at most 5000 characters (it has 5005)."
    ]
