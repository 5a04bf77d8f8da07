"""Admin: the brand settings (one row) and a read-only list of stored renders."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from quiz_media.forms import BrandSettingsForm
from quiz_media.models import BrandSettings, RenderedFile
from quiz_media.services import media_public_url


@admin.register(BrandSettings)
class BrandSettingsAdmin(admin.ModelAdmin):
    """One row: the list page opens it; it cannot be deleted or added twice."""

    form = BrandSettingsForm
    fieldsets = (
        (None, {"fields": ("site_name", "logo")}),
        (_("Colours"), {"fields": ("primary_color", "accent_color", "background_color")}),
    )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        brand = BrandSettings.load()
        if brand._state.adding:
            return HttpResponseRedirect(reverse("admin:quiz_media_brandsettings_add"))
        return HttpResponseRedirect(
            reverse("admin:quiz_media_brandsettings_change", args=[brand.pk])
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not BrandSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RenderedFile)
class RenderedFileAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "task",
        "size",
        "bytes",
        "duration",
        "created_at",
        "last_used_at",
    )
    list_filter = ("kind",)
    list_select_related = ("task",)
    search_fields = ("cache_key", "name")
    readonly_fields = ("file_link",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("size"))
    def size(self, row: RenderedFile) -> str:
        return f"{row.width}×{row.height}"

    @admin.display(description=_("file"))
    def file_link(self, row: RenderedFile) -> str:
        url = media_public_url(row.name)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)
