"""``manage.py run_platform_emulator``: Pinterest, Facebook, Instagram, YouTube, TikTok,
Telegram, VK and Make.com on loopback."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulator.server import EmulatorServer
from emulator.state import HookConfig
from quiz_backend.env import env_str

HOOK_SECRETS_ENV = "EMULATOR_HOOK_SECRETS"


def parse_hook_secrets(values: list[str]) -> dict[str, str]:
    """``["demo=whsec_…", …]`` → ``{"demo": "whsec_…"}``; raise ``CommandError`` on a typo."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, secret = value.partition("=")
        if not sep or not name.strip() or not secret.strip():
            raise CommandError(f"Hook secrets look like NAME=SECRET, got {value.split('=')[0]!r}=…")
        found[name.strip()] = secret.strip()
    return found


class Command(BaseCommand):
    help = (
        "Run the local platform emulator (Pinterest API v5, Facebook Graph, Instagram Graph "
        "publishing, YouTube Data API v3 uploads, TikTok Content Posting, the Telegram Bot API, "
        "the VK API, a Make.com webhook receiver and a control API) on 127.0.0.1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8025, help="Port on 127.0.0.1.")
        parser.add_argument(
            "--callback-url",
            default="",
            help="Where Make.com hooks send their result, e.g. "
            "http://127.0.0.1:8000/api/webhooks/social-media-callback/",
        )
        parser.add_argument(
            "--callback-delay", type=float, default=1.0, help="Seconds before the callback."
        )
        parser.add_argument(
            "--metrics-interval",
            type=float,
            default=0.0,
            help="Seconds between the Make.com hooks' later callbacks reporting a published "
            "post's growing numbers (0, the default: none).",
        )
        parser.add_argument(
            "--latency-ms",
            type=int,
            default=0,
            help="Milliseconds added before every platform answer (benchmarks).",
        )
        parser.add_argument(
            "--hook-secret",
            action="append",
            default=[],
            metavar="HOOK=SECRET",
            help=f"A hook's signing secret (repeatable). Prefer the {HOOK_SECRETS_ENV} "
            "environment variable (comma-separated), which keeps secrets out of `ps`.",
        )
        parser.add_argument(
            "--bearer-hook",
            action="append",
            default=[],
            metavar="HOOK",
            help="Hooks that call back with Authorization: Bearer <secret> instead of signing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError("--port must be between 0 and 65535.")
        if options["callback_delay"] < 0:
            raise CommandError("--callback-delay must not be negative.")
        if options["metrics_interval"] < 0:
            raise CommandError("--metrics-interval must not be negative.")
        if options["latency_ms"] < 0:
            raise CommandError("--latency-ms must not be negative.")
        env_values = [v for v in env_str(HOOK_SECRETS_ENV).split(",") if v.strip()]
        secrets = parse_hook_secrets(env_values + options["hook_secret"])
        logging.getLogger("emulator").setLevel(logging.INFO)
        try:
            server = EmulatorServer(port=options["port"])
        except OSError as error:
            raise CommandError(f"Cannot listen on 127.0.0.1:{options['port']}: {error}") from None
        state = server.state
        state.callback_url = options["callback_url"]
        state.callback_delay = options["callback_delay"]
        state.latency_ms = options["latency_ms"]
        state.metrics_interval = options["metrics_interval"]
        for name, secret in secrets.items():
            auth = "bearer" if name in options["bearer_hook"] else "signature"
            state.set_hook(name, HookConfig(secret=secret, auth=auth))
        self.stdout.write(
            f"Platform emulator on {server.url}\n"
            f"  Pinterest: {server.url}/pinterest/v5\n"
            f"  Facebook:  {server.url}/facebook/v26.0\n"
            f"  Instagram: {server.url}/instagram/v26.0\n"
            f"  YouTube:   {server.url} (/upload/youtube/v3, /youtube/v3; "
            f"token {server.url}/google/oauth2/token)\n"
            f"  TikTok:    {server.url}/tiktok\n"
            f"  Make.com:  {server.url}/make/<hook>  (hooks with a secret: "
            f"{', '.join(sorted(secrets)) or 'none'})\n"
            f"  Control:   {server.url}/_control/requests, /_control/faults, /_control/reset"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
            self.stdout.write("Platform emulator stopped.")
