"""``manage.py load_demo_data``: a demo admin, quiz tasks in Russian and English, and
credentials and a Make.com webhook that point at the local platform emulator.

Idempotent: a second run changes nothing it does not have to (it re-points the
accounts at the emulator and refreshes the given secrets and password).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from standardwebhooks import Webhook as StandardWebhook

from quiz_backend.env import env_str
from social_media.platforms.registry import PLATFORMS, webhook_platform_keys
from social_media.platforms.spec import Route
from tasks.models import Task
from webhooks.models import CallbackAuth, SocialMediaCredentials, Webhook, WebhookType

DEMO_HOOK = "demo"
DEMO_SERVICE = "Make.com (emulator)"
# The demo targets' pace (seconds between two posts): short enough to watch a bulk
# publish spread out in the local run, long enough to see it in the calendar. A pace
# an editor set is kept.
DEMO_GAP_SECONDS = 20
EXTRA_GROUPS = uuid.UUID("6f1d2c1e-0000-4000-8000-0000000000ff")

# Three questions, each in Russian and in English (one translation group per pair). The
# first has its own picture (a 2:3 PNG from the emulator: Pinterest takes it as it is,
# Facebook gets the generated card); the others have none and show the generated cards.
DEMO_TASKS: list[dict[str, Any]] = [
    {
        "group": "6f1d2c1e-0000-4000-8000-000000000001",
        "topic": "Python",
        "difficulty": "easy",
        "image": "python-len",
        "ru": {
            "question": "Что выведет print(len('abc') * 2)?",
            "answers": ["3", "6", "abcabc", "Ошибка"],
            "correct": "6",
            "explanation": "len('abc') равно 3, а 3 * 2 = 6.",
        },
        "en": {
            "question": "What does print(len('abc') * 2) output?",
            "answers": ["3", "6", "abcabc", "An error"],
            "correct": "6",
            "explanation": "len('abc') is 3, and 3 * 2 = 6.",
        },
    },
    {
        "group": "6f1d2c1e-0000-4000-8000-000000000002",
        "topic": "JavaScript",
        "difficulty": "medium",
        "image": "",
        "ru": {
            "question": "Что вернёт typeof null в JavaScript?",
            "answers": ["'null'", "'object'", "'undefined'", "'number'"],
            "correct": "'object'",
            "explanation": "Историческая особенность языка: typeof null возвращает 'object'.",
        },
        "en": {
            "question": "What does typeof null return in JavaScript?",
            "answers": ["'null'", "'object'", "'undefined'", "'number'"],
            "correct": "'object'",
            "explanation": "A historical quirk of the language: typeof null is 'object'.",
        },
    },
    {
        "group": "6f1d2c1e-0000-4000-8000-000000000003",
        "topic": "SQL",
        "difficulty": "hard",
        "image": "",
        "ru": {
            "question": "Сколько строк вернёт SELECT * FROM t WHERE x <> NULL?",
            "answers": ["Все строки", "Ни одной", "Только строки с NULL", "Ошибка"],
            "correct": "Ни одной",
            "explanation": "Сравнение с NULL даёт UNKNOWN, поэтому условие не выполняется.",
        },
        "en": {
            "question": "How many rows does SELECT * FROM t WHERE x <> NULL return?",
            "answers": ["All rows", "None", "Only rows with NULL", "An error"],
            "correct": "None",
            "explanation": "Comparing with NULL gives UNKNOWN, so no row matches.",
        },
    },
]


class Command(BaseCommand):
    help = (
        "Load demo data for the local run: an admin user, six unpublished quiz tasks "
        "(Russian and English), an account on each API platform and a Make.com webhook for "
        "the webhook platforms, all pointing at the platform emulator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--emulator-url",
            default=env_str("EMULATOR_URL", "http://127.0.0.1:8025"),
            help="Base URL of `manage.py run_platform_emulator` (default: %(default)s).",
        )
        parser.add_argument(
            "--webhook-secret",
            default=env_str("DEMO_WEBHOOK_SECRET"),
            help="Signing secret of the demo Make.com webhook (whsec_…); the emulator must "
            "be given the same one. Default: $DEMO_WEBHOOK_SECRET, else a new one.",
        )
        parser.add_argument(
            "--extra-tasks",
            type=int,
            default=0,
            help="More unpublished tasks, numbered copies of the demo questions (the local "
            "run adds 14: twenty tasks to bulk-publish and watch the pace spread them).",
        )
        parser.add_argument("--admin-username", default="admin")
        parser.add_argument(
            "--admin-password",
            default=env_str("DEMO_ADMIN_PASSWORD"),
            help="Password of the demo admin. Default: $DEMO_ADMIN_PASSWORD, else a new "
            "random one (printed) when the user is created.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        emulator = options["emulator_url"].rstrip("/")
        if not emulator.startswith(("http://", "https://")):
            raise CommandError("--emulator-url must start with http:// or https://.")
        secret = options["webhook_secret"].strip()
        if secret:
            try:
                StandardWebhook(secret)
            except Exception:
                raise CommandError(
                    "--webhook-secret must be a Standard Webhooks secret (whsec_ + base64)."
                ) from None
        with transaction.atomic():
            password = self._admin(options["admin_username"], options["admin_password"])
            created = self._tasks(emulator) + self._extra_tasks(max(options["extra_tasks"], 0))
            accounts = self._credentials()
            webhook = self._webhook(emulator, secret)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new task(s) ({Task.objects.count()} in all), "
                f"{accounts} accounts and webhook “{webhook}” on {emulator}."
            )
        )
        if password:
            self.stdout.write(
                f"Admin user {options['admin_username']!r} created with password: {password}"
            )

    def _admin(self, username: str, password: str) -> str:
        """Create the admin (or reset its password when one is given); return a new password."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is not None:
            if password:
                user.set_password(password)
                user.is_staff = user.is_superuser = user.is_active = True
                user.save()
            return ""
        new_password = password or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="", password=new_password)
        return "" if password else new_password

    def _tasks(self, emulator: str) -> int:
        created = 0
        for spec in DEMO_TASKS:
            group = uuid.UUID(spec["group"])
            for language in ("ru", "en"):
                text = spec[language]
                image_url = (
                    f"{emulator}/images/{spec['image']}-{language}.png" if spec["image"] else ""
                )
                task, was_created = Task.objects.get_or_create(
                    translation_group_id=group,
                    language=language,
                    defaults={
                        "question": text["question"],
                        "answers": text["answers"],
                        "correct_answer": text["correct"],
                        "explanation": text["explanation"],
                        "image_url": image_url,
                        "topic": spec["topic"],
                        "difficulty": spec["difficulty"],
                        "published": False,
                    },
                )
                created += was_created
                if not was_created and "/images/" in task.image_url and task.image_url != image_url:
                    # An earlier demo picture (another emulator port, or the old SVG).
                    Task.objects.filter(pk=task.pk).update(image_url=image_url)
        return created

    def _extra_tasks(self, count: int) -> int:
        """``count`` numbered copies of the demo questions, alternating Russian and English."""
        created = 0
        for number in range(count):
            spec = DEMO_TASKS[number % len(DEMO_TASKS)]
            language = ("ru", "en")[number % 2]
            text = spec[language]
            _, was_created = Task.objects.get_or_create(
                translation_group_id=uuid.uuid5(EXTRA_GROUPS, str(number)),
                language=language,
                defaults={
                    "question": f"{text['question']} (#{number + 7})",
                    "answers": text["answers"],
                    "correct_answer": text["correct"],
                    "explanation": text["explanation"],
                    "topic": spec["topic"],
                    "difficulty": spec["difficulty"],
                    "published": False,
                },
            )
            created += was_created
        return created

    def _paced(self, target: Any) -> None:
        """Give a demo target the demo pace unless it has one."""
        if not (target.min_gap_seconds or target.daily_cap):
            target.min_gap_seconds = DEMO_GAP_SECONDS

    def _credentials(self) -> str:
        """Each API platform's demo account (its ``demo_credential``); returns their labels."""
        labels = []
        for key, platform in PLATFORMS.items():
            demo = platform.demo_credential
            if demo is None or not platform.supports(Route.API):
                continue
            credential = (
                SocialMediaCredentials.objects.filter(platform=key)
                .filter(**{f"extra_data__{name}": value for name, value in demo.extra_data.items()})
                .first()
            ) or SocialMediaCredentials(platform=key, extra_data=dict(demo.extra_data))
            credential.access_token = demo.access_token
            credential.is_active = True
            credential.needs_reconnect = False
            credential.last_error = ""
            self._paced(credential)
            self._save(credential)
            labels.append(str(platform.label))
        return ", ".join(labels)

    def _webhook(self, emulator: str, secret: str) -> Webhook:
        webhook = Webhook.objects.filter(service_name=DEMO_SERVICE).first() or Webhook(
            service_name=DEMO_SERVICE
        )
        webhook.url = f"{emulator}/make/{DEMO_HOOK}"
        webhook.webhook_type = WebhookType.SOCIAL_MEDIA
        # A platform with a demo account publishes through its API; the webhook
        # carries the ones that have only a scenario.
        webhook.target_platforms = sorted(
            key for key in webhook_platform_keys() if PLATFORMS[key].demo_credential is None
        )
        webhook.callback_auth = CallbackAuth.SIGNATURE
        webhook.is_active = True
        if secret:
            webhook.secret = secret
        self._paced(webhook)
        self._save(webhook)
        return webhook

    def _save(self, instance: Any) -> None:
        try:
            instance.full_clean()
        except ValidationError as error:
            raise CommandError(f"{type(instance).__name__}: {error.messages}") from None
        instance.save()
