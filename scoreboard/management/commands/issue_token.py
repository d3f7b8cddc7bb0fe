"""Issue a REST API token to a service user (an ops lead or an admin) and print its key,
which is shown this once: only a hash of it is kept."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scoreboard.services import token_issue


class Command(BaseCommand):
    help = "Issue an integration token for the REST API and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The service user the token acts as (ops lead or admin).")
        parser.add_argument("name", help="Which integration uses it, e.g. 'claims warehouse loader'.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: no user is called {username!r}.")
        try:
            token, key = token_issue(user=user, name=name)
        except ValidationError as error:
            raise CommandError("; ".join(f"{f}: {' '.join(m)}" for f, m in error.message_dict.items())) from error
        self.stdout.write(f"Token {token.name!r} for {user.username}. Its key, shown only now:\n{key}")
        self.stdout.write("Send it as the header 'Authorization: Token <key>'.")
