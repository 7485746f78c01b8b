from django.db import migrations, models


def flag_profiles_saved_on_thin_data(apps, schema_editor):
    """Profiles saved before coverage was checked: flag those whose missing values put them under their city's
    minimum coverage (each keeps how many wards lacked each indicator)."""
    Profile = apps.get_model("mapping", "PriorityProfile")
    for p in Profile.objects.select_related("city").iterator():
        missing, wards = (p.results or {}).get("missing") or {}, len((p.results or {}).get("areas") or [])
        cells = wards * len(missing)
        if cells and (cells - sum(missing.values())) * 100 < p.city.coverage_threshold * cells:
            Profile.objects.filter(pk=p.pk).update(low_coverage=True)


class Migration(migrations.Migration):

    dependencies = [
        ("cities", "0002_city_coverage_threshold_arabic_digits"),
        ("mapping", "0003_theme_sensitivity"),
    ]

    operations = [
        migrations.AddField(
            model_name="priorityprofile",
            name="low_coverage",
            field=models.BooleanField(default=False, verbose_name="saved below the city's minimum data coverage"),
        ),
        migrations.RunPython(flag_profiles_saved_on_thin_data, migrations.RunPython.noop),
    ]
