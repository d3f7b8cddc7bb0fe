"""Model fields every app shares.

``LimitedTextField``: free text with a length limit stated once, on the model. The model refuses
longer text on every path (each service runs the model's full_clean), and forms and the API read
``max_length`` from the field (a textarea's maxlength, DRF's max_length), so all three state the
same limit and refuse with the same reason on the field. A 200,000-character description once
made the initiative's page two million pixels wide.
"""

from functools import cached_property

from django.core import validators
from django.db import models

LONG_TEXT = 5_000  # a description, a protocol, a section of a brief: about a printed page
NOTE = 2_000  # a reason, a comment, a question, a note: a paragraph or two


class LimitedTextField(models.TextField):
    def __init__(self, *args, max_length: int = LONG_TEXT, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    @cached_property
    def validators(self):
        # A plain TextField checks max_length only in forms; the model must refuse it too.
        return [*super().validators, validators.MaxLengthValidator(self.max_length)]
