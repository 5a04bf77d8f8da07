from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from quiz_backend.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/webhooks/", include("webhooks.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
