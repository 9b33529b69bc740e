from django.db import migrations


def load(apps, schema_editor):
    from anzu.maintenance.knowledge.builtin import BUILTIN_ARTICLES

    Article = apps.get_model("knowledge", "Article")
    existing = set(
        Article.objects.filter(organization__isnull=True).values_list("builtin_key", flat=True)
    )
    Article.objects.bulk_create(
        [
            Article(
                organization=None,
                builtin_key=a["key"],
                category_code=a["category_code"],
                title=a["title"],
                body=a["body"],
                safety_note=a["safety_note"],
                position=a["position"],
                is_published=True,
                version=1,
            )
            for a in BUILTIN_ARTICLES
            if a["key"] not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
