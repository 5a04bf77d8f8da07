"""Finding a Short among the channel's recent uploads, by the task link in its description.

Used by ``reconcile`` only when a post's upload session is on record but cannot be read
(its encryption key is gone): the session itself is the first and usual answer. The
uploads playlist (``UU…``) is read 50 items a page, newest first, until a whole page is
older than the post or ``MAX_LOOKUP_PAGES`` pages were read (1 quota unit a page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from social_media.platforms.lookup import MAX_LOOKUP_PAGES, all_older, lookup_cutoff
from social_media.platforms.youtube_shorts.client import YouTubeClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost


def uploads_playlist(client: YouTubeClient) -> str:
    for channel in client.my_channels(parts="contentDetails"):
        details = channel.get("contentDetails")
        playlists = details.get("relatedPlaylists") if isinstance(details, dict) else None
        uploads = playlists.get("uploads") if isinstance(playlists, dict) else None
        if isinstance(uploads, str) and uploads:
            return uploads
    return ""


def find_upload(client: YouTubeClient, post: SocialMediaPost) -> str:
    """The id of the channel's upload whose description holds the task's link, or ``""``.

    Raises ``ApiError`` when YouTube cannot be asked."""
    playlist = uploads_playlist(client)
    if not playlist:
        return ""
    link, cutoff, token = post.task.public_url, lookup_cutoff(post), ""
    for _page in range(MAX_LOOKUP_PAGES):
        items, following = client.playlist_page(playlist_id=playlist, page_token=token)
        snippets = [i["snippet"] for i in items if isinstance(i.get("snippet"), dict)]
        for snippet in snippets:
            resource = snippet.get("resourceId")
            video_id = resource.get("videoId") if isinstance(resource, dict) else None
            if video_id and link in str(snippet.get("description") or ""):
                return str(video_id)
        if not following or following == token or all_older(snippets, "publishedAt", cutoff):
            return ""
        token = following
    return ""
