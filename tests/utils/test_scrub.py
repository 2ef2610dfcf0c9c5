"""Secrets never travel in error texts, even when a Server echoes them back."""

from __future__ import annotations

from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.utils.scrub import register_secret, scrub


def test_registered_secrets_and_secret_fields_are_redacted() -> None:
    register_secret("s3cr3t-value-1")
    echoed = 'invalid request: grant_type=client_credentials&client_id=k&client_secret=s3cr3t-value-1 {"access_token": "abc.def", "oauth_signature": "xyz%3D"}'
    cleaned = scrub(echoed)
    assert "s3cr3t-value-1" not in cleaned and "abc.def" not in cleaned and "xyz%3D" not in cleaned
    assert "client_id=k" in cleaned  # what is not secret stays, to keep the message useful


def test_every_provider_error_is_scrubbed() -> None:
    register_secret("tok-0123456789")
    assert "tok-0123456789" not in str(AlteryxError("Server said: Bearer tok-0123456789 is invalid"))


def test_a_urls_user_and_password_are_redacted_whatever_their_length() -> None:
    quoted = (
        "Cannot connect to host via proxy URL('http://pu:pw/1@proxy.example.com:3128') for http://server/jobs"
    )
    assert scrub(quoted) == (
        "Cannot connect to host via proxy URL('http://***@proxy.example.com:3128') for http://server/jobs"
    )
