"""The Instagram, YouTube and TikTok stand-ins (emulator/platforms/) over real HTTP."""

from __future__ import annotations

import io
from typing import Any

import av
import pytest
import requests
from PIL import Image

from emulator.state import FaultError
from emulator.testing import InProcessEmulator

IG_USER = "17841400000000001"
TOKEN = {"access_token": "EAAtest"}
BEARER = {"Authorization": "Bearer test-token"}


def _video(codec: str, width: int, height: int, seconds: float, fps: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), (200, 30, 30)))
        for _ in range(int(seconds * fps)):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _jpeg(width: int, height: int, kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def media() -> dict[str, bytes]:
    return {
        "h264": _video("libx264", 360, 640, 4, 24),  # vertical, 4 s
        "mpeg4": _video("mpeg4", 360, 640, 4, 24),  # MPEG-4 Part 2
        "long": _video("libx264", 144, 256, 181, 1),  # longer than a Short
        "square": _jpeg(1080, 1080),
        "wide": _jpeg(1000, 400),  # 2.5:1, wider than 1.91:1
        "png": _jpeg(1080, 1080, "PNG"),
    }


@pytest.fixture(scope="module")
def server():
    with InProcessEmulator() as emulator:  # one server: stopping one takes 0.5 s
        yield emulator


@pytest.fixture
def emu(server, media):
    """The emulator as new: nothing received or created, default settings, media hosted."""
    server.reset()
    for name in ("instagram", "youtube", "tiktok"):
        server.configure(name, defaults=True)
    for name, data in media.items():
        server.host_file(name, data, "video/mp4")
    return server


def _file(emu, name):
    return f"{emu.url}/files/{name}"


# --- Instagram ------------------------------------------------------------------------
def _ig(emu, method, path, **params):
    return requests.request(
        method, f"{emu.instagram_url}/{path}", params={**TOKEN, **params}, timeout=10
    )


def _container(emu, **params):
    answer = _ig(emu, "POST", f"{IG_USER}/media", **params)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def _status(emu, container_id):
    return _ig(emu, "GET", container_id, fields="status_code,status").json()


def test_instagram_image_is_published_and_listed(emu):
    container = _container(emu, image_url=_file(emu, "square"), caption="Quiz #1")
    assert _status(emu, container)["status_code"] == "FINISHED"

    media_id = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=container).json()["id"]
    permalink = _ig(emu, "GET", media_id, fields="permalink").json()["permalink"]

    assert requests.get(permalink, timeout=5).status_code == 200
    assert _status(emu, container)["status_code"] == "PUBLISHED"
    again = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=container)
    assert again.status_code == 400 and again.json()["error"]["code"] == 100
    listed = _ig(emu, "GET", f"{IG_USER}/media", fields="id,caption,permalink").json()
    assert listed["data"] == [{"id": media_id, "caption": "Quiz #1", "permalink": permalink}]
    usage = _ig(emu, "GET", f"{IG_USER}/content_publishing_limit", fields="config,quota_usage")
    assert usage.json() == {
        "data": [{"quota_usage": 1, "config": {"quota_total": 50, "quota_duration": 86400}}]
    }
    assert emu.create_count("instagram") == 3  # one container, two publish requests


def test_instagram_reel_is_in_progress_until_polled_enough(emu):
    container = _container(emu, media_type="REELS", video_url=_file(emu, "h264"), caption="r")
    early = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=container).json()["error"]
    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    assert [_status(emu, container)["status_code"] for _ in range(3)] == [
        "IN_PROGRESS",
        "IN_PROGRESS",
        "FINISHED",
    ]
    published = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=container)
    assert published.status_code == 200
    media = _ig(emu, "GET", published.json()["id"], fields="media_type,media_product_type")
    assert media.json()["media_product_type"] == "REELS"


def test_instagram_carousel(emu):
    items = [
        _container(emu, image_url=_file(emu, "square"), is_carousel_item="true") for _ in range(2)
    ]
    one = _ig(emu, "POST", f"{IG_USER}/media", media_type="CAROUSEL", children=items[0])
    assert one.json()["error"]["error_subcode"] == 2207028
    album = _container(emu, media_type="CAROUSEL", children=",".join(items), caption="c")
    assert _status(emu, album)["status_code"] == "FINISHED"
    media_id = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=album).json()["id"]
    assert _ig(emu, "GET", media_id, fields="media_type").json()["media_type"] == "CAROUSEL_ALBUM"


@pytest.mark.parametrize(
    ("name", "code", "subcode"),
    [("wide", 36003, 2207009), ("png", 36001, 2207005), ("missing", 9004, 2207052)],
)
def test_instagram_refuses_bad_images(emu, name, code, subcode):
    answer = _ig(emu, "POST", f"{IG_USER}/media", image_url=_file(emu, name))
    error = answer.json()["error"]
    assert answer.status_code == 400
    assert (error["code"], error["error_subcode"]) == (code, subcode)
    assert error["fbtrace_id"] and error["type"] == "OAuthException"


def test_instagram_reel_of_a_wrong_codec_ends_in_error(emu):
    container = _container(emu, media_type="REELS", video_url=_file(emu, "mpeg4"))
    states = [_status(emu, container) for _ in range(3)]
    assert states[-1]["status_code"] == "ERROR"
    assert states[-1]["status"].endswith("error code 2207026")
    error = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=container).json()["error"]
    assert error["error_subcode"] == 2207027


def test_instagram_carousel_with_a_bad_video_item_ends_in_error(emu):
    video = _container(emu, media_type="VIDEO", video_url=_file(emu, "mpeg4"), is_carousel_item="1")
    image = _container(emu, image_url=_file(emu, "square"), is_carousel_item="true")
    album = _container(emu, media_type="CAROUSEL", children=f"{image},{video}")
    states = [_status(emu, album) for _ in range(3)]
    assert [s["status_code"] for s in states] == ["IN_PROGRESS", "IN_PROGRESS", "ERROR"]
    assert states[-1]["status"].endswith("2207026")
    reel_item = _ig(
        emu,
        "POST",
        f"{IG_USER}/media",
        media_type="REELS",
        is_carousel_item="true",
        video_url=_file(emu, "h264"),
    )
    assert reel_item.status_code == 400 and reel_item.json()["error"]["code"] == 100


def test_instagram_stuck_and_expired_containers(emu):
    emu.fault("instagram", "stuck")
    stuck = _container(emu, image_url=_file(emu, "square"))
    fine = _container(emu, image_url=_file(emu, "square"))
    assert [_status(emu, stuck)["status_code"] for _ in range(4)] == ["IN_PROGRESS"] * 4
    emu.configure("instagram", advance_seconds=24 * 3600 + 1)
    assert _status(emu, fine)["status_code"] == "EXPIRED"
    error = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=fine).json()["error"]
    assert error["error_subcode"] == 2207020


def test_instagram_quota_and_generic_faults(emu):
    emu.configure("instagram", quota_total=1)
    first, second = (_container(emu, image_url=_file(emu, "square")) for _ in range(2))
    assert _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=first).status_code == 200
    error = _ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=second).json()["error"]
    assert (error["code"], error["error_subcode"]) == (9, 2207042)
    emu.configure("instagram", quota_total=50)
    emu.fault("instagram", "quota")
    emu.fault("instagram", "expired_token")
    emu.fault("instagram", "rate_limit", code=613)
    emu.fault("instagram", "status", status=503)
    answers = [_ig(emu, "POST", f"{IG_USER}/media_publish", creation_id=second) for _ in range(5)]
    # The generic faults answer before the request reaches Instagram; the quota is its own.
    assert [a.json().get("error", {}).get("code") for a in answers] == [190, 613, 1, 9, None]
    assert [a.status_code for a in answers] == [400, 400, 503, 400, 200]
    missing = requests.get(f"{emu.instagram_url}/{IG_USER}/media", timeout=5)
    assert missing.json()["error"]["code"] == 104


# --- YouTube ---------------------------------------------------------------------------
META: dict[str, Any] = {
    "snippet": {"title": "Quiz #1", "description": "d", "tags": ["quiz"], "categoryId": "22"},
    "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
}
CHUNK = 256 * 1024


def _token(emu, client_id="client-1"):
    answer = requests.post(
        emu.google_token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "1//r",
            "client_id": client_id,
            "client_secret": "s",
        },
        timeout=5,
    )
    assert answer.json()["expires_in"] == 3599
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _session(emu, headers, size, meta=META):
    answer = requests.post(
        f"{emu.youtube_url}/upload/youtube/v3/videos",
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=meta,
        headers={**headers, "X-Upload-Content-Length": str(size)},
        timeout=5,
    )
    return answer


def _put(url, data, first, total):
    last = first + len(data) - 1
    return requests.put(
        url, data=data, headers={"Content-Range": f"bytes {first}-{last}/{total}"}, timeout=10
    )


def _list(emu, headers, ids, part="status,statistics,processingDetails"):
    return requests.get(
        f"{emu.youtube_url}/youtube/v3/videos",
        params={"id": ",".join(ids), "part": part},
        headers=headers,
        timeout=5,
    )


def test_youtube_resumable_upload_in_three_chunks_with_a_cut_and_a_resume(emu, media):
    headers = _token(emu)
    data = media["h264"] + b"\0" * (3 * CHUNK + 100 - len(media["h264"]))  # mp4 tolerates it
    session = _session(emu, headers, len(data))
    assert session.status_code == 200
    url = session.headers["Location"]

    first = _put(url, data[:CHUNK], 0, len(data))
    assert (first.status_code, first.headers["Range"]) == (308, f"bytes=0-{CHUNK - 1}")
    emu.fault("youtube", "cut_upload")
    with pytest.raises(requests.ConnectionError):
        _put(url, data[CHUNK : 3 * CHUNK], CHUNK, len(data))  # half of it arrives
    probe = requests.put(url, headers={"Content-Range": f"bytes */{len(data)}"}, timeout=5)
    assert (probe.status_code, probe.headers["Range"]) == (308, f"bytes=0-{2 * CHUNK - 1}")
    second = _put(url, data[2 * CHUNK : 2 * CHUNK + CHUNK - 1], 2 * CHUNK, len(data))
    assert second.status_code == 308  # not a 256 KiB multiple: nothing of it kept
    assert second.headers["Range"] == f"bytes=0-{2 * CHUNK - 1}"
    done = _put(url, data[2 * CHUNK :], 2 * CHUNK, len(data))

    assert done.status_code == 201
    video = done.json()
    assert video["snippet"]["title"] == "Quiz #1" and video["status"]["privacyStatus"] == "public"
    replay = requests.put(url, headers={"Content-Range": f"bytes */{len(data)}"}, timeout=5)
    assert replay.status_code == 201 and replay.json()["id"] == video["id"]
    states = [_list(emu, headers, [video["id"], "unknown"]).json()["items"] for _ in range(3)]
    assert [len(items) for items in states] == [1, 1, 1]
    assert states[0][0]["status"]["uploadStatus"] == "uploaded"
    assert states[1][0]["status"]["uploadStatus"] == "processed"
    views = [int(items[0]["statistics"]["viewCount"]) for items in states[1:]]
    assert views[1] > views[0]
    assert emu.native("youtube").videos[video["id"]]["emulator"]["short"] is True
    page = requests.get(f"{emu.url}/youtube/shorts/{video['id']}", timeout=5)
    assert page.ok and "Quiz #1" in page.text and "a Short" in page.text
    puts = emu.requests("youtube", method="PUT")
    assert puts[0]["body"] == f"<{CHUNK} bytes>"  # the log keeps uploads by size only


def _upload_whole(emu, headers, data, meta=META):
    url = _session(emu, headers, len(data), meta).headers["Location"]
    return _put(url, data, 0, len(data))


def test_youtube_flags_what_is_not_a_short_and_fails_what_is_not_a_video(emu, media):
    headers = _token(emu)
    long_video = _upload_whole(emu, headers, media["long"]).json()
    broken = _upload_whole(emu, headers, b"not a video at all").json()
    for _ in range(2):
        items = {
            v["id"]: v
            for v in _list(emu, headers, [long_video["id"], broken["id"]]).json()["items"]
        }
    assert items[broken["id"]]["status"]["uploadStatus"] == "failed"
    assert items[broken["id"]]["status"]["failureReason"] == "invalidFile"
    assert items[long_video["id"]]["status"]["uploadStatus"] == "processed"
    notes = emu.native("youtube").videos[long_video["id"]]["emulator"]
    assert notes["short"] is False and "longer than 180" in notes["not_short_because"]


def test_youtube_unverified_project_uploads_are_private(emu, media):
    emu.configure("youtube", unverified_clients=["unaudited"])
    done = _upload_whole(emu, _token(emu, "unaudited"), media["h264"])
    assert done.json()["status"]["privacyStatus"] == "private"
    assert done.headers["X-Emulator-Forced-Private"] == "true"


def test_youtube_quota_upload_limit_and_metadata_refusals(emu):
    headers = _token(emu)
    emu.configure("youtube", upload_quota=1)
    assert _session(emu, headers, 10).status_code == 200
    over = _session(emu, headers, 10)
    assert over.status_code == 403
    assert over.json()["error"]["errors"][0] == {
        "message": over.json()["error"]["message"],
        "domain": "youtube.quota",
        "reason": "quotaExceeded",
    }
    emu.configure("youtube", upload_quota=100, channel_upload_limit=1)
    emu.native("youtube").uploads.append(emu.native("youtube").now())
    assert (
        _session(emu, headers, 10).json()["error"]["errors"][0]["reason"] == "uploadLimitExceeded"
    )
    emu.configure("youtube", channel_upload_limit=0)
    long_title = {**META, "snippet": {**META["snippet"], "title": "x" * 101}}
    assert (
        _session(emu, headers, 10, long_title).json()["error"]["errors"][0]["reason"]
        == "invalidTitle"
    )
    emu.fault("youtube", "quota")
    assert _session(emu, headers, 10).status_code == 403
    too_many = _list(emu, headers, [f"v{i}" for i in range(51)])
    assert too_many.status_code == 400


def test_youtube_tokens_sessions_and_faults(emu, media):
    emu.configure("youtube", revoked_refresh_tokens=["1//gone"])
    refused = requests.post(
        emu.google_token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "1//gone",
            "client_id": "c",
            "client_secret": "s",
        },
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    emu.fault("youtube", "expired_token", path="/google/")
    faulted = requests.post(emu.google_token_url, data={"client_id": "c"}, timeout=5)
    assert faulted.status_code == 400 and faulted.json()["error"] == "invalid_grant"
    headers = _token(emu)
    url = _session(emu, headers, len(media["h264"])).headers["Location"]
    emu.configure("youtube", advance_seconds=3600)  # the access token expired
    assert _list(emu, headers, ["x"]).json()["error"]["errors"][0]["reason"] == "authError"
    emu.configure("youtube", advance_seconds=8 * 24 * 3600)
    assert _put(url, media["h264"], 0, len(media["h264"])).status_code == 404
    emu.fault("youtube", "status", status=503)
    emu.fault("youtube", "rate_limit", status=403)
    answers = [_list(emu, BEARER, ["x"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 403, 200]
    assert answers[1].json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert (
        requests.get(
            f"{emu.youtube_url}/youtube/v3/channels",
            params={"mine": "true", "part": "snippet"},
            headers=BEARER,
            timeout=5,
        )
        .json()["items"][0]["id"]
        .startswith("UC")
    )


def test_youtube_uploads_playlist_lists_the_channels_videos_newest_first(emu, media):
    headers = _token(emu)
    metas = [{**META, "snippet": {"title": f"Q{n}"}} for n in range(3)]
    ids = [_upload_whole(emu, headers, media["h264"], meta).json()["id"] for meta in metas]
    channel = requests.get(
        f"{emu.youtube_url}/youtube/v3/channels",
        params={"mine": "true", "part": "contentDetails"},
        headers=headers,
        timeout=5,
    ).json()["items"][0]
    uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]

    def page(**params):
        return requests.get(
            f"{emu.youtube_url}/youtube/v3/playlistItems",
            params={"playlistId": uploads, "part": "snippet", **params},
            headers=headers,
            timeout=5,
        )

    first = page(maxResults="2").json()
    rest = page(maxResults="2", pageToken=first["nextPageToken"]).json()
    found = [i["snippet"]["resourceId"]["videoId"] for i in first["items"] + rest["items"]]
    assert found == list(reversed(ids))
    assert first["items"][0]["snippet"]["title"] == "Q2"
    assert "nextPageToken" not in rest
    assert page(playlistId="UUnothere").status_code == 404
    assert page(maxResults="51").status_code == 400


# --- TikTok ----------------------------------------------------------------------------
POST_INFO = {"title": "Quiz #1 #trivia", "privacy_level": "SELF_ONLY"}


def _tt(emu, path, body=None, headers=BEARER, **params):
    return requests.post(
        f"{emu.tiktok_url}{path}", json=body or {}, headers=headers, params=params, timeout=10
    )


def _poll(emu, publish_id, times):
    return [
        _tt(emu, "/v2/post/publish/status/fetch/", {"publish_id": publish_id}).json()["data"]
        for _ in range(times)
    ]


def test_tiktok_file_upload_in_chunks(emu, media):
    data = media["h264"]
    chunk = len(data) // 2
    emu.configure("tiktok", min_chunk_size=chunk // 2)
    info = _tt(emu, "/v2/post/publish/creator_info/query/").json()
    assert info["error"]["code"] == "ok" and "SELF_ONLY" in info["data"]["privacy_level_options"]
    source = {
        "source": "FILE_UPLOAD",
        "video_size": len(data),
        "chunk_size": chunk,
        "total_chunk_count": 2,
    }
    init = _tt(
        emu, "/v2/post/publish/video/init/", {"post_info": POST_INFO, "source_info": source}
    ).json()
    publish_id, upload_url = init["data"]["publish_id"], init["data"]["upload_url"]

    def put(first, last):
        return requests.put(
            upload_url,
            data=data[first : last + 1],
            timeout=10,
            headers={
                "Content-Type": "video/mp4",
                "Content-Range": f"bytes {first}-{last}/{len(data)}",
            },
        )

    emu.fault("tiktok", "cut_upload")
    with pytest.raises(requests.ConnectionError):
        put(0, chunk - 1)
    assert put(chunk, len(data) - 1).status_code == 416  # the first chunk never arrived
    assert _poll(emu, publish_id, 1)[0]["status"] == "PROCESSING_UPLOAD"
    assert put(0, chunk - 1).status_code == 206
    assert put(chunk, len(data) - 1).status_code == 201
    states = _poll(emu, publish_id, 2)
    assert [s["status"] for s in states] == ["PROCESSING_UPLOAD", "PUBLISH_COMPLETE"]
    assert states[1]["publicaly_available_post_id"] == []  # SELF_ONLY


def test_tiktok_pull_from_url_and_metrics(emu):
    emu.configure("tiktok", verified_url_prefixes=[f"{emu.url}/files/"])
    body = {
        "post_info": {**POST_INFO, "privacy_level": "PUBLIC_TO_EVERYONE"},
        "source_info": {"source": "PULL_FROM_URL", "video_url": _file(emu, "h264")},
    }
    publish_id = _tt(emu, "/v2/post/publish/video/init/", body).json()["data"]["publish_id"]
    states = _poll(emu, publish_id, 2)
    assert (
        states[0]["status"] == "PROCESSING_DOWNLOAD" and states[1]["status"] == "PUBLISH_COMPLETE"
    )
    post_id = str(states[1]["publicaly_available_post_id"][0])
    query = [
        _tt(
            emu,
            "/v2/video/query/",
            {"filters": {"video_ids": [post_id]}},
            fields="id,view_count,like_count",
        ).json()
        for _ in range(2)
    ]
    assert query[1]["data"]["videos"][0]["view_count"] > query[0]["data"]["videos"][0]["view_count"]
    assert requests.get(f"{emu.url}/tiktok/@quiz_demo/video/{post_id}", timeout=5).ok
    bad = _tt(
        emu,
        "/v2/post/publish/video/init/",
        {
            **body,
            "source_info": {"source": "PULL_FROM_URL", "video_url": "http://127.0.0.1:1/x.mp4"},
        },
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "url_ownership_unverified"


def test_tiktok_probe_failures(emu):
    emu.configure("tiktok", max_video_post_duration_sec=2)
    reasons = []
    for name in ("mpeg4", "h264", "long"):
        body = {
            "post_info": POST_INFO,
            "source_info": {"source": "PULL_FROM_URL", "video_url": _file(emu, name)},
        }
        publish_id = _tt(emu, "/v2/post/publish/video/init/", body).json()["data"]["publish_id"]
        reasons.append(_poll(emu, publish_id, 2)[1].get("fail_reason"))
    assert reasons == [
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
    ]


def test_tiktok_refusals_and_faults(emu):
    emu.configure("tiktok", audited=False)
    public: dict[str, Any] = {
        "post_info": {**POST_INFO, "privacy_level": "PUBLIC_TO_EVERYONE"},
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": 10,
            "chunk_size": 10,
            "total_chunk_count": 1,
        },
    }
    answer = _tt(emu, "/v2/post/publish/video/init/", public)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "unaudited_client_can_only_post_to_private_accounts"
    odd = {**public, "post_info": {**POST_INFO, "privacy_level": "EVERYONE"}}
    assert (
        _tt(emu, "/v2/post/publish/video/init/", odd).json()["error"]["code"]
        == "privacy_level_option_mismatch"
    )
    chunks = {
        **public,
        "post_info": POST_INFO,
        "source_info": {
            **public["source_info"],
            "video_size": 20 * 1024 * 1024,
            "chunk_size": 1024,
            "total_chunk_count": 1,
        },
    }
    assert (
        _tt(emu, "/v2/post/publish/video/init/", chunks).json()["error"]["code"] == "invalid_params"
    )
    emu.fault("tiktok", "quota")
    emu.fault("tiktok", "rate_limit")
    emu.fault("tiktok", "expired_token")
    emu.fault("tiktok", "status", status=500)
    private = {**public, "post_info": POST_INFO}
    answers = [_tt(emu, "/v2/post/publish/video/init/", private) for _ in range(5)]
    codes = [a.json()["error"]["code"] for a in answers]
    # The generic faults answer before the request reaches TikTok; the quota is its own.
    assert codes == [
        "rate_limit_exceeded",
        "access_token_invalid",
        "internal_error",
        "spam_risk_too_many_posts",
        "ok",
    ]
    assert [a.status_code for a in answers] == [429, 401, 500, 403, 200]
    assert answers[0].json()["data"] == {} and answers[0].json()["error"]["log_id"]
    # Five init calls reached TikTok this minute; the limit is 6 per minute.
    assert _tt(emu, "/v2/post/publish/video/init/", private).status_code == 200
    limited = _tt(emu, "/v2/post/publish/video/init/", private)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"


def test_tiktok_refresh_tokens_rotate(emu):
    form = {
        "client_key": "k",
        "client_secret": "s",
        "grant_type": "refresh_token",
        "refresh_token": "rft.seed",
    }
    first = requests.post(f"{emu.tiktok_url}/v2/oauth/token/", data=form, timeout=5).json()
    assert first["expires_in"] == 7200 and first["refresh_expires_in"] == 180 * 24 * 3600
    replayed = requests.post(f"{emu.tiktok_url}/v2/oauth/token/", data=form, timeout=5)
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    emu.fault("tiktok", "expired_token", path="/oauth/")
    faulted = requests.post(f"{emu.tiktok_url}/v2/oauth/token/", data=form, timeout=5)
    assert faulted.status_code == 400 and faulted.json()["error"] == "invalid_grant"
    nxt = requests.post(
        f"{emu.tiktok_url}/v2/oauth/token/",
        data={**form, "refresh_token": first["refresh_token"]},
        timeout=5,
    )
    assert nxt.status_code == 200
    auth = {"Authorization": f"Bearer {nxt.json()['access_token']}"}
    emu.configure("tiktok", advance_seconds=7201)
    expired = _tt(emu, "/v2/post/publish/creator_info/query/", headers=auth)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "access_token_invalid"


def test_native_faults_are_checked_and_counted(emu):
    with pytest.raises(FaultError, match="does not apply"):
        emu.fault("pinterest", "stuck")
    with pytest.raises(FaultError, match="does not apply"):
        emu.fault("instagram", "cut_upload")
    emu.configure("tiktok", advance_seconds=60)
    defaults = requests.post(
        f"{emu.url}/_control/platforms/tiktok", json={"defaults": True}, timeout=5
    )
    assert defaults.json()["clock_offset"] == 0 and defaults.json()["settings"]["audited"] is True
    bad = requests.post(f"{emu.url}/_control/platforms/tiktok", json={"audited": "no"}, timeout=5)
    assert bad.status_code == 400
    shown = requests.post(
        f"{emu.url}/_control/platforms/tiktok", json={"audited": False}, timeout=5
    )
    assert shown.json()["settings"]["audited"] is False
    state = requests.get(f"{emu.url}/_control/state", timeout=5).json()
    assert "tiktok" in state


def test_stuck_youtube_video_and_tiktok_publish_never_finish(emu, media):
    emu.fault("youtube", "stuck", on="create")
    video = _upload_whole(emu, BEARER, media["h264"]).json()
    for _ in range(3):
        item = _list(emu, BEARER, [video["id"]]).json()["items"][0]
    assert item["processingDetails"]["processingStatus"] == "processing"
    emu.fault("tiktok", "stuck", on="create")
    body = {
        "post_info": POST_INFO,
        "source_info": {"source": "PULL_FROM_URL", "video_url": _file(emu, "h264")},
    }
    publish_id = _tt(emu, "/v2/post/publish/video/init/", body).json()["data"]["publish_id"]
    assert {s["status"] for s in _poll(emu, publish_id, 4)} == {"PROCESSING_DOWNLOAD"}
    assert emu.create_counts()["youtube"] == 1 and emu.create_counts()["tiktok"] == 1
    state = requests.get(f"{emu.url}/_control/state", timeout=5).json()
    assert state["youtube"]["videos"][0]["emulator"]["stuck"] is True
    assert state["tiktok"]["publishes"][0]["received"] == len(media["h264"])


def test_instagram_account_lookup_and_expired_token_setting(emu):
    page = _ig(emu, "GET", "104512345678901", fields="instagram_business_account").json()
    assert page == {"instagram_business_account": {"id": IG_USER}, "id": "104512345678901"}
    emu.configure("instagram", expired_tokens=[TOKEN["access_token"]])
    error = _ig(emu, "POST", f"{IG_USER}/media", image_url=_file(emu, "square")).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_tiktok_inbox_upload_ends_in_the_users_inbox(emu, media):
    data = media["h264"]
    source = {
        "source": "FILE_UPLOAD",
        "video_size": len(data),
        "chunk_size": len(data),
        "total_chunk_count": 1,
    }
    init = _tt(emu, "/v2/post/publish/inbox/video/init/", {"source_info": source}).json()["data"]
    headers = {
        "Content-Type": "video/webm",
        "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}",
    }
    assert (
        requests.put(init["upload_url"], data=data, headers=headers, timeout=10).status_code == 201
    )
    states = _poll(emu, init["publish_id"], 2)
    assert states[1] == {"status": "SEND_TO_USER_INBOX", "uploaded_bytes": len(data)}
    assert emu.native("tiktok").videos == {}  # nothing is posted until the user finishes


def test_media_is_fetched_from_loopback_only(emu):
    from emulator.platforms.common import FetchError, _LoopbackRedirects, fetch

    with pytest.raises(FetchError, match="only fetches media from"):
        fetch("http://example.com/clip.mp4", 1000)
    with pytest.raises(FetchError, match="redirects away"):  # a redirect cannot leave the host
        _LoopbackRedirects().redirect_request(None, None, 302, "Found", {}, "http://example.com/")
    emu.configure("tiktok", verified_url_prefixes=["http://"])
    body = {
        "post_info": POST_INFO,
        "source_info": {"source": "PULL_FROM_URL", "video_url": "http://example.com/clip.mp4"},
    }
    publish_id = _tt(emu, "/v2/post/publish/video/init/", body).json()["data"]["publish_id"]
    assert _poll(emu, publish_id, 2)[1] == {
        "status": "FAILED",
        "fail_reason": "video_pull_failed",
        "downloaded_bytes": 0,
    }
