"""What a job creation asks for, checked once and rendered for each API generation."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_alteryx.constants import LEGACY_PRIORITIES, ApiFamily, Priority
from airflow_provider_alteryx.exceptions import AlteryxInputError, AlteryxUnsupportedError
from airflow_provider_alteryx.validation import describe, optional_text, server_id

Questions = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def parse_priority(value: Any) -> Priority:
    """A priority from its name in any casing; None means ``Default``.

    :raises AlteryxInputError: any other value.
    """
    if value is None:
        return Priority.DEFAULT
    for priority in Priority:
        if isinstance(value, str) and value.strip().lower() == priority.value.lower():
            return priority
    raise AlteryxInputError(
        f"priority is {describe(value)}; use one of {', '.join(p.value for p in Priority)}."
    )


@dataclass(frozen=True)
class JobRequest:
    """A checked request to run a workflow.

    :param workflow_id: the workflow (app) to run.
    :param answers: question answers as the Server takes them, ``({"name", "value"}, ...)`` with string values.
    :param priority: the job's priority.
    :param worker_tag: run on workers with this tag (V3 API only).
    :param credential_id: run as this stored credential (V3 API only).
    """

    workflow_id: str
    answers: tuple[dict[str, str], ...] = ()
    priority: Priority = Priority.DEFAULT
    worker_tag: str | None = None
    credential_id: str | None = None

    # Fields only the V3 jobs API takes: sent elsewhere they would be silently ignored, so they are refused.
    V3_ONLY = {"worker_tag": "workerTag", "credential_id": "credentialId"}

    @classmethod
    def build(
        cls,
        workflow_id: Any,
        questions: Questions | None = None,
        priority: Any = None,
        worker_tag: Any = None,
        credential_id: Any = None,
    ) -> JobRequest:
        """Check every argument, naming the first wrong one and its fix.

        :raises AlteryxInputError: an argument that cannot work.
        """
        return cls(
            workflow_id=server_id(workflow_id, "workflow_id"),
            answers=normalize_questions(questions),
            priority=parse_priority(priority),
            worker_tag=optional_text(worker_tag, "worker_tag"),
            credential_id=optional_text(credential_id, "credential_id"),
        )

    def body(self, family: ApiFamily) -> dict[str, Any]:
        """The JSON body of ``POST .../workflows/{id}/jobs`` on the given API.

        :raises AlteryxUnsupportedError: a V3-only field for an older API.
        """
        body: dict[str, Any] = {"questions": list(self.answers)}
        if family is not ApiFamily.V3:
            given = [name for name in self.V3_ONLY if getattr(self, name)]
            if given:
                where = (
                    "the legacy API (OAuth 1.0a)"
                    if family is ApiFamily.LEGACY
                    else "this Server version (no V3 jobs API; 2022.1 or older)"
                )
                raise AlteryxUnsupportedError(
                    f"{' and '.join(given)} cannot be set through {where}: only the V3 jobs API (Server 2023.1 and later, OAuth 2.0) takes them. "
                    "Remove them or upgrade the Server."
                )
        if family is ApiFamily.LEGACY:
            if self.priority in LEGACY_PRIORITIES:
                body["priority"] = str(LEGACY_PRIORITIES[self.priority])
            return body
        body["priority"] = self.priority.value
        if family is ApiFamily.V3:
            body.update(
                {
                    api_name: getattr(self, name)
                    for name, api_name in self.V3_ONLY.items()
                    if getattr(self, name)
                }
            )
        return body


def normalize_questions(questions: Questions | None) -> tuple[dict[str, str], ...]:
    """Questions as the Server takes them, ``({"name", "value"}, ...)`` with string values.

    :param questions: ``{name: value}`` or ``[{"name": ..., "value": ...}]``. Values are strings, numbers,
        booleans (sent as ``"true"``/``"false"``) or dates (sent as ISO 8601).
    :raises AlteryxInputError: another shape, a repeated name, or a value of another type. ``None`` is
        refused: sending it as ``""`` would override the workflow's default; leave the question out instead.
    """
    if questions is None:
        return ()
    answers: dict[str, str] = {}
    for name, value in _pairs(questions):
        if not isinstance(name, str) or not name:
            raise AlteryxInputError(
                f"questions: question names must be non-empty strings, got {describe(name)}."
            )
        if name in answers:
            raise AlteryxInputError(f"questions: {name!r} is given twice; give each question once.")
        answers[name] = _answer(name, value)
    return tuple({"name": name, "value": value} for name, value in answers.items())


def _pairs(questions: Any) -> list[tuple[Any, Any]]:
    if isinstance(questions, Mapping):
        return list(questions.items())
    if isinstance(questions, Sequence) and not isinstance(questions, (str, bytes)):
        pairs = []
        for item in questions:
            if not isinstance(item, Mapping) or "name" not in item:
                raise AlteryxInputError(
                    f"questions: {describe(item)} is not a {{'name': ..., 'value': ...}} mapping; pass a dict {{name: value}} or a list of such mappings."
                )
            pairs.append((item["name"], item.get("value")))
        return pairs
    raise AlteryxInputError(
        f"questions is {describe(questions)}; pass a dict {{name: value}} or a list of {{'name': ..., 'value': ...}}."
    )


def _answer(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None:
        raise AlteryxInputError(
            f'questions: the value of {name!r} is None. Leave the question out to use the workflow\'s default, or pass "" to send an empty answer.'
        )
    raise AlteryxInputError(
        f"questions: the value of {name!r} is {describe(value)}; the Server takes a string, number, boolean or date."
    )
