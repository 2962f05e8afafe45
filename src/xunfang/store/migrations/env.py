"""Alembic environment: always run on a connection handed in by :mod:`xunfang.store.migrate`."""

from __future__ import annotations

from alembic import context

import xunfang.store.community
import xunfang.store.plans  # noqa: F401  (plans on the same metadata)
from xunfang.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
