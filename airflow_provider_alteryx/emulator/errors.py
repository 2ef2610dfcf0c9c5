"""Answers other than 2xx, in the envelope of the API family the route belongs to.

Where no source shows the body, the emulator assumes: ``/webapi`` errors are ``{"message"}``, 400
validation errors add ``modelState: {field: [messages]}`` (as the swagger's InvalidRequestResponseBody),
and the legacy API wraps every error as ``{data, exceptionName, innerExceptionMessage, message}``
(as its real 401 answers do).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from airflow_provider_alteryx.emulator.versions import Api

DENIED = "Authorization has been denied for this request."
_EXCEPTION_NAMES = {400: "BadRequestException", 401: "UnauthorizedException", 404: "NotFoundException"}


class ApiError(Exception):
    """An answer other than 2xx; rendered in the envelope of the API family the request went to."""

    def __init__(self, status: int, message: str, model_state: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.model_state = model_state


def bad_request(field_name: str, problem: str) -> ApiError:
    return ApiError(400, "The request is invalid.", {field_name: [problem]})


def not_found() -> ApiError:
    return ApiError(404, "NotFound")


def denied() -> ApiError:
    """Missing or expired credentials, or a role without the permission: the Server answers 401 for all (no 403)."""
    return ApiError(401, DENIED)


def forbidden(api: Api, message: str) -> ApiError:
    """A user whom a workflow's sharing settings keep out of it.

    V3 answers 403 ``{message}``: its newer swagger lists 403 for running a workflow and reading its questions
    (the body is not declared; assumed ``{message}`` like V3's other errors). The legacy API and ``/webapi/v1``
    answer 401, as older Servers do for any missing permission (their swaggers list no 403).
    """
    return ApiError(403, message) if api is Api.V3 else denied()


def error_response(api: Api, error: ApiError) -> web.Response:
    if api is Api.LEGACY:
        details = " ".join(message for messages in (error.model_state or {}).values() for message in messages)
        body: dict[str, Any] = {
            "data": None,
            "exceptionName": _EXCEPTION_NAMES.get(error.status, "Exception"),
            "innerExceptionMessage": "",
            "message": f"{error.message} {details}" if details else error.message,
        }
    else:
        body = {"message": error.message}
        if error.model_state:
            body["modelState"] = error.model_state
    return web.json_response(body, status=error.status)
