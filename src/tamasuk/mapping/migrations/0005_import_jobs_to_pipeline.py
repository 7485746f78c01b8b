from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("mapping", "0004_profile_low_coverage"),
        ("imports", "0002_observation_jobs"),
    ]

    operations = [
        migrations.DeleteModel(name="ImportJob"),
    ]
