"""Per-DAG permissions for one user of the browser test's ``airflow standalone`` (tests/ui/stack.py sets this folder).

The simple auth manager grants by role alone (a viewer reads every DAG), ``airflow standalone`` runs no other
auth manager, and the FAB one, which has per-DAG permissions, is not installed here. So this plugin narrows
the simple auth manager the way an auth manager with per-DAG permissions answers: ``reader``, a viewer, may
not read the DAGs in ``HIDDEN_FROM_READER`` (tests/ui/users.py). The provider's routes only ever ask the auth
manager (``requires_access_dag``, ``get_authorized_dag_ids``, which asks ``is_authorized_dag`` per DAG), so
they meet the questions they meet under any other auth manager.
"""

from __future__ import annotations

from airflow.api_fastapi.auth.managers.base_auth_manager import ResourceMethod
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.plugins_manager import AirflowPlugin

from tests.ui.users import HIDDEN_FROM_READER, READER

_by_role = SimpleAuthManager.is_authorized_dag


def is_authorized_dag(
    self: SimpleAuthManager,
    *,
    method: ResourceMethod,
    user: SimpleAuthManagerUser,
    access_entity: DagAccessEntity | None = None,
    details: DagDetails | None = None,
) -> bool:
    """The simple auth manager's answer, except that READER may not read the DAGs of HIDDEN_FROM_READER."""
    if user.get_name() == READER and details is not None and details.id in HIDDEN_FROM_READER:
        return False
    return _by_role(self, method=method, user=user, access_entity=access_entity, details=details)


SimpleAuthManager.is_authorized_dag = is_authorized_dag  # type: ignore[method-assign]


class PerDagReader(AirflowPlugin):
    """Named so that Admin > Plugins shows the narrowing is loaded."""

    name = "alteryx_ui_per_dag_reader"
