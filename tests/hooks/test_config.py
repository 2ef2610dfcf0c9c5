"""Reading a connection into a ServerConfig: every field checked, named and explained before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.hooks.config import ServerConfig


class TestConnectionFields:
    def config(self, **fields: Any) -> ServerConfig:
        base: dict[str, Any] = {
            "host": "alteryx.example.com",
            "port": None,
            "login": "key",
            "password": "secret",
            "extra": {},
        }
        return ServerConfig.from_connection("c", **(base | fields))

    def test_defaults_and_https_assumed(self) -> None:
        config = self.config()
        assert (config.base_url, config.auth_type, config.webapi_path, config.verify) == (
            "https://alteryx.example.com",
            "oauth2",
            "/webapi",
            True,
        )
        assert config.scheme_assumed and not self.config(host="https://alteryx.example.com").scheme_assumed
        assert config.token_url == "https://alteryx.example.com/webapi/oauth2/token"
        assert "secret" not in repr(config)

    def test_port_paths_verify_and_timeout(self) -> None:
        config = self.config(
            host="http://srv",
            port=8443,
            extra={
                "webapi_path": "api/",
                "gallery_path": "/g/",
                "verify": "false",
                "timeout": "5",
                "auth_type": "OAuth1",
            },
        )
        assert (
            config.base_url,
            config.webapi_path,
            config.gallery_path,
            config.verify,
            config.timeout,
            config.auth_type,
        ) == (
            "http://srv:8443",
            "/api",
            "/g",
            False,
            5.0,
            "oauth1",
        )
        bundle = Path(__file__)  # any existing file stands for a CA bundle here
        assert self.config(extra={"verify": str(bundle)}).verify == str(bundle)
        assert self.config().workflow_url("abc") == "https://alteryx.example.com/gallery/app/workflow/abc"

    @pytest.mark.parametrize(
        ("fields", "fragment"),
        [
            ({"host": ""}, "the host is empty"),
            ({"host": "ftp://x"}, "is not a URL"),
            ({"host": "https://x/gallery"}, "has a path"),
            ({"password": None}, "API key (login) and API secret (password) are both required"),
            ({"extra": {"auth_type": "basic"}}, 'use "oauth2" (Server 2021.4 and later) or "oauth1"'),
            ({"extra": {"timeout": "soon"}}, "extra timeout is 'soon'"),
            ({"extra": {"verify": "maybe"}}, "extra verify is 'maybe'"),
            ({"extra": {"verify": "/nonexistent/ca.pem"}}, "neither true/false nor an existing file"),
            ({"extra": {"timeout": "nan"}}, "extra timeout is 'nan'"),
            ({"extra": {"timeout": 0}}, "extra timeout is 0"),
            ({"extra": {"pool_size": 0}}, "extra pool_size is 0"),
            ({"host": "https://x:99999"}, "has a port that is not a number"),
        ],
    )
    def test_bad_fields_name_the_field_and_the_fix(self, fields: dict[str, Any], fragment: str) -> None:
        with pytest.raises(AlteryxInputError) as caught:
            self.config(**fields)
        assert str(caught.value).startswith("Alteryx connection 'c': ") and fragment in str(caught.value)
