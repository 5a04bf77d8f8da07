from __future__ import annotations

from django import forms

from quiz_media.models import BrandSettings


class BrandSettingsForm(forms.ModelForm):
    class Meta:
        model = BrandSettings
        fields = ("site_name", "logo", "primary_color", "accent_color", "background_color")
        widgets = {
            "primary_color": forms.TextInput(attrs={"placeholder": "#6366F1", "size": 8}),
            "accent_color": forms.TextInput(attrs={"placeholder": "#F59E0B", "size": 8}),
            "background_color": forms.TextInput(attrs={"placeholder": "#0F172A", "size": 8}),
        }

    def clean_primary_color(self) -> str:
        return (self.cleaned_data.get("primary_color") or "").strip().upper()

    def clean_accent_color(self) -> str:
        return (self.cleaned_data.get("accent_color") or "").strip().upper()

    def clean_background_color(self) -> str:
        return (self.cleaned_data.get("background_color") or "").strip().upper()
