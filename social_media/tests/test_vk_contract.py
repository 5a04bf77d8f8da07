"""VK through the checks every API platform passes (``contract.PlatformContract``).

The create call is ``wall.post``; the wall-photo upload before it (upload server, the
upload, ``photos.saveWallPhoto``) is stubbed once per test and, as in production, done
only once per post: a retry reuses the saved photo from the post's state.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from social_media.tests.contract import SITE_URL, PlatformContract, new_post, publish
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

API = "https://api.vk.com/method"
TOKEN = "vk1.a.contract-user-token-0123456789"
GROUP = "229000001"
UPLOAD = "https://pu.vk.com/c123/ss2/upload.php"
WALL_POST = f"{API}/wall.post"
WALL_GET = f"{API}/wall.get"


class TestVkContract(PlatformContract):
    platform = "vk"
    token = TOKEN

    @pytest.fixture(autouse=True)
    def _vk(self, settings, mocked_responses):
        settings.VK_API_BASE_URL = API
        settings.VK_REQUESTS_PER_SECOND = 1000  # pacing has its own tests
        mocked_responses.post(
            f"{API}/photos.getWallUploadServer",
            json={"response": {"upload_url": UPLOAD, "album_id": -14, "user_id": 1001}},
        )
        mocked_responses.post(
            UPLOAD, json={"server": 622624, "photo": '[{"photo":"ab:w"}]', "hash": "8112ae"}
        )
        mocked_responses.post(
            f"{API}/photos.saveWallPhoto",
            json={"response": [{"id": 457239017, "owner_id": -int(GROUP), "album_id": -14}]},
        )

    def make_credential(self, **fields):
        return SocialMediaCredentials.objects.create(
            platform="vk", access_token=TOKEN, extra_data={"group_id": GROUP}, **fields
        )

    def publish_url(self, credential):
        return WALL_POST

    def register_success(self, rsps, credential):
        rsps.post(WALL_POST, json={"response": {"post_id": 42}})
        return f"-{GROUP}_42", f"https://vk.com/wall-{GROUP}_42"

    def lookup_url(self, credential):
        return WALL_GET

    def register_lookup(self, rsps, credential, task, found):
        items = [
            {"id": 40, "owner_id": -int(GROUP), "date": 1, "text": "Older post"},
        ]
        if found:
            text = f"Вопрос\n\nОтвет и объяснение: {task.public_url}\n\n#квиз"
            items.insert(0, {"id": int(found), "owner_id": -int(GROUP), "date": 2, "text": text})
        rsps.get(WALL_GET, json={"response": {"count": len(items), "items": items}})
        return (f"-{GROUP}_{found}", f"https://vk.com/wall-{GROUP}_{found}") if found else None

    def auth_error(self):
        # VK answers its errors with HTTP 200.
        return 200, {"error": {"error_code": 5, "error_msg": "User authorization failed"}}

    def test_token_travels_only_in_the_authorization_header(self, mocked_responses, credential):
        """VK's own variant: every API call carries the bearer token; the signed upload
        URL gets none."""
        self.register_success(mocked_responses, credential)

        publish(new_post(self.platform))

        assert len(mocked_responses.calls) == 4
        for call in mocked_responses.calls:
            body = call.request.body or b""
            body = body.decode("latin-1") if isinstance(body, bytes) else body
            assert self.token not in call.request.url and self.token not in body
            assert "access_token" not in call.request.url and "access_token=" not in body
            if call.request.url.startswith(API):
                assert call.request.headers["Authorization"] == f"Bearer {self.token}"
            else:
                assert "Authorization" not in call.request.headers

    def test_the_post_text_holds_the_task_link(self, mocked_responses, credential):
        self.register_success(mocked_responses, credential)

        post = publish(new_post(self.platform))

        sent = next(c for c in mocked_responses.calls if c.request.url == WALL_POST)
        form = parse_qs(sent.request.body)
        assert f"{SITE_URL}/task/{post.task_id}" in form["message"][0]
        assert form["attachments"] == [f"photo-{GROUP}_457239017"]
        assert form["guid"] == [f"quiz-post-{post.pk}"]
