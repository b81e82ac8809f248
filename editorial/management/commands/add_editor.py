"""manage.py add_editor USERNAME --role editor|reviewer [--email E] [--first-name F]
[--last-name L] [--profession P] [--noinput]

Makes a staff user in the Editor or Reviewer group: what a new editor needs to
sign in to the admin and write (or also publish). Like createsuperuser, the
password is asked twice, or with --noinput taken from DJANGO_EDITOR_PASSWORD.
The password is checked against AUTH_PASSWORD_VALIDATORS; nothing is made when
any check fails. A reviewer's name and --profession are what the pages they publish
show ("Checked by Rita Patel, pharmacist, ..."); both can be changed in the admin.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from editorial.models import ReviewerProfile

ROLES = {"editor": "Editor", "reviewer": "Reviewer"}
ENVIRONMENT_VARIABLE = "DJANGO_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = "Make a staff user who can edit (editor) or also publish (reviewer) monographs."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="", dest="first_name")
        parser.add_argument("--last-name", default="", dest="last_name")
        parser.add_argument(
            "--profession",
            default="",
            help="a reviewer's profession, shown with their name on the pages they publish",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Do not prompt: the password comes from {ENVIRONMENT_VARIABLE}.",
        )

    def handle(
        self,
        *args,
        username,
        role,
        email,
        first_name,
        last_name,
        profession,
        interactive,
        **options,
    ):
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("The user name cannot be empty.")
        try:
            User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
        except ValidationError as error:
            raise CommandError(
                f"{username!r} cannot be a user name: " + " ".join(error.messages)
            ) from None
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"A user named {username!r} already exists; nothing was changed. To give them "
                "a role, add them to the Editor or Reviewer group in the admin."
            )
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not an e-mail address.") from None
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist:
            raise CommandError(
                f"The {ROLES[role]} group does not exist; run `manage.py migrate` first."
            ) from None
        profession = " ".join(profession.split())
        if profession and role != "reviewer":
            raise CommandError(
                "--profession is for reviewers: it is shown on the pages they publish."
            )
        if len(profession) > ReviewerProfile._meta.get_field("profession").max_length:
            raise CommandError("The profession is too long (at most 100 characters).")
        password = self._password(interactive)
        user = User(
            username=username,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_staff=True,
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("The password is refused: " + " ".join(error.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(group)
            if profession:
                ReviewerProfile.objects.create(user=user, profession=profession)
        self.stdout.write(
            f"Made {ROLES[role].lower()} {username!r}: staff, in the {ROLES[role]} group. "
            "They can sign in at /admin/."
        )

    def _password(self, interactive: bool) -> str:
        if not interactive:
            password = os.environ.get(ENVIRONMENT_VARIABLE, "")
            if not password:
                raise CommandError(
                    f"With --noinput the password comes from {ENVIRONMENT_VARIABLE}, which is "
                    "not set (or empty); nothing was made."
                )
            return password
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("No password given; nothing was made.") from None
        if not password:
            raise CommandError("The password cannot be empty; nothing was made.")
        if password != again:
            raise CommandError("The two passwords differ; nothing was made.")
        return password
