"""The connection form of the ``alteryx`` connection type: plain data, so that reading it imports nothing.

Airflow 3.2+ reads it from :func:`~airflow_provider_alteryx.get_provider_info.get_provider_info`
(``conn-fields`` and ``ui-field-behaviour``) during provider discovery, in every Airflow process;
older Airflow asks the hook (``get_connection_form_widgets``, ``get_ui_field_behaviour``).
"""

from __future__ import annotations

from typing import Any

# The connection form's extra fields, declared once: Airflow 3.2+ reads them from get_provider_info
# (``conn-fields``), older Airflow from the hook's ``get_connection_form_widgets``.
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
    "proxy": {
        "label": "Proxy",
        "description": "The http(s) proxy every request goes through, with its user and password if it needs them. "
        "Empty: HTTPS_PROXY, HTTP_PROXY or ALL_PROXY, and NO_PROXY.",
        "schema": {"type": ["string", "null"], "default": None},
    },
    "coordination_conn_id": {
        "label": "Coordination (Redis connection id)",
        "description": "Where job creations take turns across hosts (Celery on several hosts, Kubernetes, Edge). "
        "Empty: on this machine only.",
        "schema": {"type": ["string", "null"], "default": None},
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
        "proxy": "http://user:password@proxy.example.com:3128",
        "coordination_conn_id": "redis_default",
    },
}


class ConnectionForm:
    """What Airflow before 3.2 asks a hook class for to draw the connection form (later ones read provider info)."""

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's relabelled and hidden fields and its placeholders."""
        return UI_FIELD_BEHAVIOUR

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """:data:`CONNECTION_FIELDS` as WTForms widgets (Flask is imported only when Airflow asks)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            name: StringField(
                lazy_gettext(spec["label"]), widget=BS3TextFieldWidget(), description=spec["description"]
            )
            for name, spec in CONNECTION_FIELDS.items()
        }
