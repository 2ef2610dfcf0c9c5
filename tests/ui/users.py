"""The browser test stack's users, and the DAGs ``reader`` may not read (tests/ui/plugins/per_dag_reader.py)."""

from __future__ import annotations

USER = "admin"
# A user with no role: the simple auth manager grants a user without a role nothing, so it may read no DAG.
OUTSIDER = "outsider"
# A viewer who may read every DAG but those below.
READER = "reader"
HIDDEN_FROM_READER = frozenset({"alteryx_ui_job"})
