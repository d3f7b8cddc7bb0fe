"""Which provider account is which user here."""

from django.conf import settings
from django.db import models


class SSOIdentity(models.Model):
    """A person's account at the OpenID Connect provider: its issuer and subject (``iss``, ``sub``).

    Users are found by this pair, never by e-mail or username: both can change at the provider
    or be chosen by someone else, so matching on them would hand one person's account here to
    another (a local break-glass ``admin`` to a provider user who calls themselves ``admin``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_issuer_subject_unique"),
        ]

    def __str__(self):
        return f"{self.subject} at {self.issuer}"
