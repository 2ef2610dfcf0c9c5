"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point without importing the hook."""

from __future__ import annotations

from typing import Any

from airflow_provider_alteryx import __version__

# The connection form's extra fields: declared here once, for Airflow 3.2+ (``conn-fields``) and for
# the hook's ``get_connection_form_widgets`` on older Airflow.
CONNECTION_FIELDS: dict[str, dict[str, Any]] = {
    "auth_type": {
        "label": "Auth type",
        "description": "oauth2 for Server 2021.4 and later; oauth1 for the legacy API of Server 2021.4 and older.",
        "schema": {"type": ["string", "null"], "enum": ["oauth2", "oauth1"], "default": "oauth2"},
    },
    "webapi_path": {
        "label": "Web API path",
        "description": "Path of the Web API address (System Settings > Gallery). Default /webapi.",
        "schema": {"type": ["string", "null"], "default": "/webapi"},
    },
    "gallery_path": {
        "label": "Gallery path",
        "description": "Path of the Gallery (the legacy API lives below it). Default /gallery.",
        "schema": {"type": ["string", "null"], "default": "/gallery"},
    },
    "verify": {
        "label": "Verify TLS",
        "description": "true, false, or the path of a CA bundle. Default true.",
        "schema": {"type": ["string", "null"], "default": "true"},
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "description": "Longest wait for one answer from the Server. Default 60.",
        "schema": {"type": ["number", "null"], "default": 60},
    },
    "workflow_url_template": {
        "label": "Workflow page URL",
        "description": "Link shown on tasks; {gallery_url}, {base_url} and {workflow_id} are filled in.",
        "schema": {"type": ["string", "null"], "default": "{gallery_url}/app/workflow/{workflow_id}"},
    },
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "port", "extra"],
    "relabeling": {"host": "Server URL", "login": "API key", "password": "API secret"},
    "placeholders": {
        "host": "https://alteryx.example.com",
        "login": "your API Access Key (My Profile > Keys)",
        "password": "your API Access Secret",
        "auth_type": "oauth2",
        "webapi_path": "/webapi",
        "gallery_path": "/gallery",
        "verify": "true",
        "timeout": "60",
        "workflow_url_template": "{gallery_url}/app/workflow/{workflow_id}",
    },
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
