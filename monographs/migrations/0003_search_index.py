"""The PostgreSQL search index: its tables everywhere, its indexes on PostgreSQL only.

The tables are plain and harmless on SQLite (where search uses whoosh). The GIN
index on the weighted search vectors, the pg_trgm extension and the trigram
indexes for "did you mean" and suggestions exist only on PostgreSQL, so they are
wrapped in OnPostgreSQL, which skips them on any other database.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.migrations.operations.base import Operation


class OnPostgreSQL(Operation):
    """Run the wrapped operation's SQL on PostgreSQL only; state changes everywhere."""

    reversible = True

    def __init__(self, operation):
        self.operation = operation

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (on PostgreSQL only)"


def _index(name, table, expression):
    return OnPostgreSQL(
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} USING gin ({expression})",
            f"DROP INDEX IF EXISTS {name}",
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0002_editorial_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchMedicine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("version_pk", models.BigIntegerField(help_text="The published version indexed.")),
                ("name", models.CharField(max_length=200)),
                (
                    "document_count",
                    models.PositiveIntegerField(help_text="How many parts are indexed."),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
            ],
            options={
                "ordering": ["slug"],
            },
        ),
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField()),
                ("kind", models.CharField(max_length=20)),
                ("section_key", models.CharField(max_length=30)),
                ("section", models.CharField(max_length=200)),
                ("title", models.TextField(blank=True)),
                ("anchor", models.CharField(max_length=300)),
                ("text", models.TextField(blank=True, help_text="Shown as the snippet.")),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                (
                    "medicine",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="documents",
                        to="monographs.searchmedicine",
                    ),
                ),
            ],
            options={
                "ordering": ["medicine", "position"],
            },
        ),
        migrations.CreateModel(
            name="SearchName",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("label", models.CharField(max_length=200)),
                ("kind", models.CharField(max_length=10)),
                ("normalized", models.CharField(db_index=True, max_length=200)),
                ("words", models.TextField()),
                (
                    "medicine",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="names",
                        to="monographs.searchmedicine",
                    ),
                ),
            ],
            options={
                "ordering": ["medicine", "label"],
            },
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.TextField()),
                (
                    "medicine",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="words",
                        to="monographs.searchmedicine",
                    ),
                ),
            ],
            options={
                "ordering": ["medicine", "word"],
            },
        ),
        OnPostgreSQL(TrigramExtension()),
        _index("monographs_searchdocument_vector", "monographs_searchdocument", "vector"),
        _index("monographs_searchmedicine_vector", "monographs_searchmedicine", "vector"),
        _index("monographs_searchname_words_trgm", "monographs_searchname", "words gin_trgm_ops"),
        _index("monographs_searchword_word_trgm", "monographs_searchword", "word gin_trgm_ops"),
    ]
