from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("risk", "0005_scoring_model_v2_map")]
    operations = [
        # Existing rows have no date yet: ``rescore`` treats them as due and dates them.
        migrations.AddField(model_name="subjectrisk", name="rescore_due_on",
                            field=models.DateField(blank=True, null=True)),
        migrations.AddIndex(model_name="subjectrisk",
                            index=models.Index(fields=["level_changed_at"], name="subjectrisk_level_changed")),
    ]
