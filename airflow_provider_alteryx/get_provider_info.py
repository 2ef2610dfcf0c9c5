"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point without importing the hook."""

from __future__ import annotations

from typing import Any

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.hooks.form import CONNECTION_FIELDS, UI_FIELD_BEHAVIOUR

_ALTERYX_URIS = {
    "schemes": ["alteryx"],
    "handler": "airflow_provider_alteryx.assets.alteryx.sanitize_uri",
    "to_openlineage_converter": "airflow_provider_alteryx.assets.alteryx.convert_asset_to_openlineage",
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-alteryx",
        "name": "Alteryx Server",
        "description": "Run Alteryx Server workflows from Airflow and wait for their jobs.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Alteryx Server",
                "external-doc-url": "https://help.alteryx.com/current/en/server/api-overview.html",
                "tags": ["software"],
            }
        ],
        "operators": [
            {
                "integration-name": "Alteryx Server",
                "python-modules": ["airflow_provider_alteryx.operators.alteryx"],
            }
        ],
        "sensors": [
            {
                "integration-name": "Alteryx Server",
                "python-modules": ["airflow_provider_alteryx.sensors.alteryx"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Alteryx Server",
                "python-modules": ["airflow_provider_alteryx.hooks.alteryx"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Alteryx Server",
                "python-modules": [
                    "airflow_provider_alteryx.triggers.alteryx",
                    "airflow_provider_alteryx.triggers.workflow_events",
                ],
            }
        ],
        "plugins": [
            {"name": "alteryx", "plugin-class": "airflow_provider_alteryx.plugins.alteryx.AlteryxPlugin"}
        ],
        # The same scheme under both names: "asset-uris" for Airflow 3, "dataset-uris" for Airflow 2.
        **{key: [_ALTERYX_URIS] for key in ("asset-uris", "dataset-uris")},
        "extra-links": ["airflow_provider_alteryx.operators.alteryx.AlteryxWorkflowLink"],
        "connection-types": [
            {
                "connection-type": "alteryx",
                "hook-class-name": "airflow_provider_alteryx.hooks.alteryx.AlteryxServerHook",
                "hook-name": "Alteryx Server",
                "conn-fields": CONNECTION_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": UI_FIELD_BEHAVIOUR["hidden_fields"],
                    "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
                    "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
                },
            }
        ],
    }
