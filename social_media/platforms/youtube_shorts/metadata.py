"""The ``videos.insert`` metadata of a task: snippet and status within YouTube's rules.

Rules (docs/platform-api-facts-native.md §2.2): title 1–100 characters, description at
most 5,000 **bytes**, neither with ``<`` or ``>``; tags 500 characters in all (commas
count, a tag with a space counts its quotes). ``#Shorts`` goes in the description (a
vertical video of at most 3 minutes is a Short anyway; the tag helps it be found).
"""

from __future__ import annotations

from typing import Any

from social_media.content import PostContent, fit_description, fit_title

TITLE_LIMIT = 100
DESCRIPTION_BYTES = 5000
TAGS_LIMIT = 500
SHORTS_TAG = "#Shorts"
CATEGORY_EDUCATION = "27"
# YouTube refuses "<" and ">" in titles and descriptions: look-alikes go instead.
ANGLES = str.maketrans({"<": "‹", ">": "›"})


def clean(text: str) -> str:
    return text.translate(ANGLES)


def fit_bytes(text: str, link: str, limit: int) -> str:
    """The description cut until its UTF-8 form fits ``limit`` bytes (the link kept)."""
    if len(text.encode()) <= limit:
        return text
    best, low, high = "", 0, min(len(text), limit)
    while low <= high:  # the most characters whose cut text fits
        middle = (low + high) // 2
        fitted, _cut = fit_description(text, link, middle)
        if len(fitted.encode()) <= limit:
            best, low = fitted, middle + 1
        else:
            high = middle - 1
    return best


def tags_of(hashtags: list[str]) -> list[str]:
    """Hashtags as YouTube tags (no ``#``), as many as fit in 500 characters."""
    tags: list[str] = []
    used = 0
    for raw in hashtags:
        tag = clean(raw.lstrip("#").strip())
        if not tag or tag in tags:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + (1 if tags else 0)
        if used + cost > TAGS_LIMIT:
            break
        tags.append(tag)
        used += cost
    return tags


def video_metadata(
    content: PostContent, *, privacy_status: str, made_for_kids: bool
) -> dict[str, Any]:
    """The JSON body that starts the upload session (``part=snippet,status``)."""
    title, _cut = fit_title(clean(content.title), TITLE_LIMIT)
    description = clean(content.description)
    if SHORTS_TAG.lower() not in description.lower():
        description = f"{description}\n\n{SHORTS_TAG}" if description else SHORTS_TAG
    description = fit_bytes(description, clean(content.link), DESCRIPTION_BYTES)
    return {
        "snippet": {
            "title": title or SHORTS_TAG,
            "description": description,
            "tags": tags_of(content.hashtags),
            "categoryId": CATEGORY_EDUCATION,
        },
        "status": {
            "privacyStatus": privacy_status,
            "selfDeclaredMadeForKids": made_for_kids,
        },
    }
