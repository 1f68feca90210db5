"""Alembic environment of the knee_cv store.

:func:`knee_cv.store.sessions.open_engine` runs the migrations on a connection it has
already opened (and, for SQLite, locked with ``BEGIN IMMEDIATE``), passed in
``config.attributes["connection"]``. Running ``alembic`` from the command
line works too: set ``sqlalchemy.url`` with ``-x url=...`` or in an ini file.
"""

from alembic import context
from sqlalchemy import Connection, create_engine

from knee_cv.store.tables import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database URL: pass -x url=... or set sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)
