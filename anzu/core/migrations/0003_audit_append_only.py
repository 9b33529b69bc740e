from django.db import migrations

from anzu.common.db import RunSQLFor
from anzu.core.guards import PG_INSTALL, PG_REMOVE, SQLITE_INSTALL, SQLITE_REMOVE


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [
        RunSQLFor("postgresql", PG_INSTALL, PG_REMOVE),
        RunSQLFor("sqlite", SQLITE_INSTALL, SQLITE_REMOVE),
    ]
