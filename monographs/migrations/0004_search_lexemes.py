"""The PostgreSQL search index's word statistics: how many parts hold each word."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0003_search_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchLexeme",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lexeme", models.TextField(unique=True)),
                ("documents", models.PositiveIntegerField()),
            ],
            options={
                "ordering": ["lexeme"],
            },
        ),
    ]
