"""Telegram's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# sendPhoto caption: 0-1024 characters after entity parsing, counted in UTF-16 code
# units (docs/platform-api-facts-native.md §4.3). The title is not sent.
TEXT_LIMITS = TextLimits(title=100, description=1024, alt_text=300, max_hashtags=5)

SETTINGS = (
    # The Bot API server: https://api.telegram.org, or a self-hosted telegram-bot-api.
    # Requests go to {base}/bot<token>/<method>.
    Setting("TELEGRAM_BOT_API_BASE_URL", "https://api.telegram.org", local="{emulator}/telegram"),
    # The Bot API version of that server: it chooses the quiz poll's form (options as
    # InputPollOption objects from 7.3, up to 12 from 9.1, correct_option_ids from 9.6;
    # the scalar correct_option_id before). A credential's extra_data "bot_api_version"
    # overrides it for one bot.
    Setting("TELEGRAM_BOT_API_VERSION", "10.1"),
    # Where message links point: https://t.me/<channel>/<id> (the local run: the emulator's).
    Setting("TELEGRAM_LINK_BASE_URL", "https://t.me", local="{emulator}/t.me"),
    # The secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token with every update
    # (1-256 of A-Z a-z 0-9 _ -). Unset: POST /api/webhooks/telegram-updates/ refuses all.
    Setting("TELEGRAM_WEBHOOK_SECRET"),
    # The public https URL of /api/webhooks/telegram-updates/. Set (with the secret): the
    # periodic job registers it with setWebhook. Unset: the job polls getUpdates instead.
    Setting("TELEGRAM_WEBHOOK_URL"),
    # Messages a minute to one channel before we wait (Telegram's flood limit is ~20).
    Setting("TELEGRAM_MESSAGES_PER_MINUTE", 20, type="int", minimum=1),
)

SECRET_PATTERNS = (
    # Bot tokens: <bot id>:<35 characters> (the id is kept, the secret part masked),
    # also inside request paths (/bot<token>/sendPhoto).
    SecretPattern(r"(?<![0-9])([0-9]{5,15}:)([A-Za-z0-9_-]{30,})"),
)
