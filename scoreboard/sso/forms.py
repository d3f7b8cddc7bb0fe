"""Password sign-in and reset forms that say why a password is refused when PASSWORD_LOGIN is off.

The refusal itself is the backend's (backends.PasswordSignInGate); these forms only put it in words."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError

from .services import password_sign_in_allowed, password_sign_in_refusal


class _SaysWhyPasswordIsOff:
    def get_invalid_login_error(self):
        username = self.cleaned_data.get("username")
        if username and not password_sign_in_allowed(username):
            return ValidationError(password_sign_in_refusal(), code="password_sign_in_off")
        return super().get_invalid_login_error()


class PasswordSignInForm(_SaysWhyPasswordIsOff, AuthenticationForm):
    pass


class AdminPasswordSignInForm(_SaysWhyPasswordIsOff, AdminAuthenticationForm):
    pass


class GatedPasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing only people who may sign in by password. Everyone sees the
    same "if an account exists" page afterwards, so it tells nobody who has an account."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if password_sign_in_allowed(user.get_username()))
