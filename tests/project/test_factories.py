"""Every model of the four apps has a factory in tests/factories.py, and each factory makes a
row that passes full_clean(). Found by introspection, so a new model without a factory fails
here rather than in the first test that needs one."""

import inspect

import factory
import pytest
from django.apps import apps
from simple_history.models import HistoricalChanges

from tests import factories

pytestmark = pytest.mark.django_db

APPS = ("scoreboard", "initiatives", "metrics", "governance")


def _concrete_models() -> list:
    """The apps' own concrete models: no abstract or proxy ones, no history tables."""
    return [
        model
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if not (model._meta.abstract or model._meta.proxy or issubclass(model, HistoricalChanges))
    ]


def _factories_by_model() -> dict:
    found: dict = {}
    for _, member in inspect.getmembers(factories, inspect.isclass):
        if issubclass(member, factory.django.DjangoModelFactory) and member._meta.model is not None:
            found.setdefault(member._meta.model, []).append(member)
    return found


MODELS = _concrete_models()


def test_the_apps_have_models_to_check():
    # Guards the introspection itself: an empty list would make every test below vacuous.
    assert len(MODELS) >= 30


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_model_has_a_factory_that_stores_a_valid_row(model):
    made_by = _factories_by_model().get(model)
    assert made_by, f"tests/factories.py has no factory for {model._meta.label}"
    for model_factory in made_by:
        made = model_factory()
        stored = model._base_manager.get(pk=made.pk)
        stored.full_clean()  # raises ValidationError, naming the field, when the default is not valid
