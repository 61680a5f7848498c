"""Forms of the researcher pages: they parse types; the services check the design."""
from __future__ import annotations

from django import forms

from synthesis.models import DamageModel
from webapp.paths import FolderNotAllowed, server_folder

from .models import CROP_SIZES, Familiarity, Survey


class SurveyForm(forms.Form):
    kind = forms.TypedChoiceField(choices=Survey.Kind.choices, coerce=int, widget=forms.RadioSelect)
    title = forms.CharField(max_length=200)
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="Shown on the consent page, above the question.")
    source_dir = forms.CharField(
        max_length=500, label="Source folder on the server",
        help_text="Survey 1: an image-pair set in any benchmark layout (DIR/damaged/ + DIR/restored/, input/ + gt/, "
                  "damaged/ + clean/, or NAME_damaged + NAME_restored files), matched by name, optional "
                  "DIR/polarity.json. Survey 2: a folder of clean images (or an image-pair set).")
    um_per_px = forms.FloatField(required=False, min_value=0.0001, label="Pixel pitch (µm per pixel)",
                                 help_text="Of the source scans; empty: each image is a whole 35 mm frame.")
    damage_model = forms.ModelChoiceField(queryset=DamageModel.objects.all(), label="Damage model (A)")
    method_b = forms.ChoiceField(choices=[("", "—")] + Survey.MethodB.choices, required=False,
                                 label="Method B (survey 2)")
    damage_model_b = forms.ModelChoiceField(queryset=DamageModel.objects.all(), required=False,
                                            label="Damage model B (survey 2)")
    overlay_dir = forms.CharField(max_length=500, required=False, label="Overlay folder (survey 2)")
    damage_level = forms.FloatField(initial=1.0, min_value=0.01, max_value=20)
    crop_sizes = forms.TypedMultipleChoiceField(choices=[(s, f"{s} px") for s in CROP_SIZES], coerce=int,
                                                widget=forms.CheckboxSelectMultiple, initial=[128, 256])
    pairs_per_size = forms.IntegerField(initial=4, min_value=2, help_text="Even: half negative, half positive.")
    catch_trials = forms.IntegerField(initial=2, min_value=0, help_text="Attention checks; 0 turns them off.")
    seed = forms.IntegerField(initial=0)
    exclude_flagged = forms.BooleanField(required=False, initial=True,
                                         label="Leave participants who fail a catch trial out of the results")


    def _folder(self, field: str, what: str) -> str:
        try:
            return server_folder(self.cleaned_data.get(field, ""), what=what)
        except FolderNotAllowed as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_source_dir(self) -> str:
        return self._folder("source_dir", "Source folder")

    def clean_overlay_dir(self) -> str:
        return self._folder("overlay_dir", "Overlay folder")


class FamiliarityForm(forms.Form):
    familiarity = forms.ChoiceField(choices=Familiarity.choices, widget=forms.RadioSelect)
