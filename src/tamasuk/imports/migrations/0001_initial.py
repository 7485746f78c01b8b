import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import tamasuk.imports.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cities', '0002_city_coverage_threshold_arabic_digits'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=32, verbose_name='kind')),
                ('file', models.FileField(blank=True, max_length=200, upload_to=tamasuk.imports.models.job_path)),
                ('file_name', models.CharField(max_length=255, verbose_name='file name')),
                ('size', models.PositiveBigIntegerField(default=0)),
                ('sha256', models.CharField(max_length=64)),
                ('options', models.JSONField(blank=True, default=dict)),
                ('detected', models.JSONField(blank=True, default=dict)),
                ('status', models.CharField(choices=[('uploaded', 'Waiting for your choices'), ('queued', 'Queued'), ('validating', 'Checking (dry run)'), ('dry-run-ready', 'Dry run finished'), ('importing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed'), ('discarded', 'Discarded')], default='uploaded', max_length=16)),
                ('dry_run', models.BooleanField(default=True)),
                ('phase', models.CharField(blank=True, max_length=16)),
                ('progress_done', models.PositiveBigIntegerField(default=0)),
                ('progress_total', models.PositiveBigIntegerField(default=0)),
                ('summary', models.JSONField(blank=True, default=dict)),
                ('task_id', models.CharField(blank=True, max_length=64)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                ('city', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to='cities.city')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['city', 'kind', '-created_at'], name='import_job_city_kind'), models.Index(fields=['status'], name='import_job_status')],
            },
        ),
    ]
