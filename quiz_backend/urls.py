from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from quiz_backend.health import healthz
from social_media.oauth.views import oauth_callback
from social_media.views_analytics import (
    analytics_csv_view,
    analytics_posts_csv_view,
    analytics_view,
)
from social_media.views_calendar import (
    calendar_move_view,
    calendar_publish_now_view,
    calendar_view,
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/analytics/", admin.site.admin_view(analytics_view), name="admin-analytics"),
    path(
        "admin/analytics.csv", admin.site.admin_view(analytics_csv_view), name="admin-analytics-csv"
    ),
    path("admin/calendar/", admin.site.admin_view(calendar_view), name="admin-calendar"),
    path(
        "admin/calendar/move/",
        admin.site.admin_view(calendar_move_view),
        name="admin-calendar-move",
    ),
    path(
        "admin/calendar/publish-now/",
        admin.site.admin_view(calendar_publish_now_view),
        name="admin-calendar-publish-now",
    ),
    path(
        "admin/analytics-posts.csv",
        admin.site.admin_view(analytics_posts_csv_view),
        name="admin-analytics-posts-csv",
    ),
    path("admin/", admin.site.urls),
    # The redirect URI registered with every OAuth provider (social_media/oauth/).
    path(
        "oauth/<str:platform>/callback/",
        admin.site.admin_view(oauth_callback),
        name="oauth-callback",
    ),
    path("api/webhooks/", include("social_media.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
