"""The site's URLs plus the media files, served by the live server for the emulator to fetch.

Production serves ``MEDIA_URL`` from the web server or the storage's own URLs; the
end-to-end tests run with ``DEBUG`` off, so they add the route themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import re_path
from django.views.static import serve

from quiz_backend.urls import urlpatterns as site_urlpatterns


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns = [*site_urlpatterns, re_path(r"^media/(?P<path>.+)$", media)]
