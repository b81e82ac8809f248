"""The PostgreSQL search index's spelling vocabulary: every plain word of the indexed
text and how many medicines use it, with a trigram index (PostgreSQL only) for
"did you mean"."""

import importlib

from django.db import migrations, models

_search_index = importlib.import_module("monographs.migrations.0003_search_index")


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0006_version_classes_and_source_documents"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchSpelling",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.TextField(unique=True)),
                (
                    "documents",
                    models.PositiveIntegerField(help_text="How many medicines use the word."),
                ),
            ],
            options={
                "ordering": ["word"],
            },
        ),
        _search_index._index(
            "monographs_searchspelling_word_trgm",
            "monographs_searchspelling",
            "word gin_trgm_ops",
        ),
    ]
