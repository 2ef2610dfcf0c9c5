"""One job model for every Alteryx Server API shape (legacy, ``/webapi/v1`` and V3).

Every Server answer the provider uses passes through these classes, and each checks what it holds
when it is made (from an answer, from XCom or from a trigger event alike): ids are Server ids
(24 hexadecimal characters) before they can reach a path or a URL, and the texts that are only ever
shown (statuses, messages, owners) are made safe to show (:func:`~airflow_provider_alteryx.utils.server_text.display`).
Names stay as the Server wrote them, for matching; where they are shown or saved, the caller makes
them safe for that place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_alteryx.constants import LEGACY_PRIORITIES, Disposition, JobStatus
from airflow_provider_alteryx.utils.server_text import WORD_LIMIT, display, quoted
from airflow_provider_alteryx.validation import server_id

# An engine message is kept up to this many characters (a failing tool's SQL error can be long).
MESSAGE_LIMIT = 2000

TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED})
# Engine message levels as Alteryx's engine reports them (1 info, 2 warning, 3 error); the Server
# does not document the codes, so anything else is treated as informational.
MESSAGE_WARNING = 2
MESSAGE_ERROR = 3


@dataclass(frozen=True)
class JobOutput:
    """A file a job produced, downloadable in any of ``formats``."""

    id: str
    name: str
    formats: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", server_id(self.id, "an output's id"))
        object.__setattr__(self, "formats", tuple(display(f, WORD_LIMIT) for f in self.formats))

    @classmethod
    def from_api(cls, data: Any) -> JobOutput:
        if not isinstance(data, Mapping) or not data.get("id"):
            raise ValueError(f"an output needs an 'id', found {data!r:.80}")
        formats = data.get("availableFormats") or data.get("formats") or ()
        return cls(
            id=str(data["id"]),
            name=str(data.get("fileName") or data.get("name") or data["id"]),
            formats=tuple(str(f) for f in formats),
        )


@dataclass(frozen=True)
class JobMessage:
    """An engine message: ``level`` is the Server's integer ``status``, ``tool_id`` the tool that said it."""

    level: int
    text: str
    tool_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", display(self.text, MESSAGE_LIMIT))

    @classmethod
    def from_api(cls, data: Any) -> JobMessage:
        if not isinstance(data, Mapping):
            raise ValueError(f"a message must be a JSON object, found {data!r:.80}")
        tool_id = data.get("toolId")
        return cls(
            level=int(data.get("status", 1)),
            text=str(data.get("text", "")),
            tool_id=None if tool_id is None else int(tool_id),
        )

    @property
    def is_error(self) -> bool:
        return self.level == MESSAGE_ERROR

    @property
    def is_warning(self) -> bool:
        return self.level == MESSAGE_WARNING

    def __str__(self) -> str:
        kind = "Error" if self.is_error else "Warning" if self.is_warning else "Info"
        return f"{kind}: {self.text}" + (f" (tool {self.tool_id})" if self.tool_id is not None else "")


@dataclass(frozen=True)
class AlteryxJob:
    """A job as any Server generation reports it.

    A job that ran and failed still reports ``status`` ``Completed``: its outcome is in
    ``disposition`` (``Success``, ``Warning``, ``Error``, ``Cancelled``; ``None`` while unfinished).
    """

    id: str
    workflow_id: str | None = None
    status: str = JobStatus.QUEUED
    disposition: str = Disposition.NONE
    created: str | None = None
    priority: str | None = None
    # The worker tag the job asked for (empty or None: any worker).
    worker_tag: str | None = None
    outputs: tuple[JobOutput, ...] = field(default=())
    messages: tuple[JobMessage, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", server_id(self.id, "a job's id"))
        if self.workflow_id is not None:
            object.__setattr__(self, "workflow_id", server_id(self.workflow_id, "a job's appId"))
        for name in ("status", "disposition", "priority", "created", "worker_tag"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, display(value, WORD_LIMIT))

    @classmethod
    def from_api(cls, data: Any) -> AlteryxJob:
        """Read a job from any API shape: legacy and V1 (``createDate``, ``formats``, ``name``) or V3
        (``createDateTime``, ``availableFormats``, ``fileName``), full or list item.

        :raises ValueError: not a job (no ``id`` or ``status``, or fields of the wrong type); the
            caller names the answer it came from.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a job must be a JSON object, not {type(data).__name__}")
        for required in ("id", "status"):
            if not isinstance(data.get(required), (str, int)) or data.get(required) == "":
                raise ValueError(f"a job needs {required!r}, found {data.get(required)!r}")
        priority = data.get("priority")
        return cls(
            id=str(data["id"]),
            workflow_id=_text(data.get("appId")),
            status=str(data["status"]),
            disposition=_text(data.get("disposition")) or Disposition.NONE,
            created=_text(data.get("createDateTime") or data.get("createDate")),
            priority=_priority_name(priority),
            worker_tag=_text(data.get("workerTag")) or None,
            outputs=tuple(JobOutput.from_api(o) for o in _list(data, "outputs")),
            messages=tuple(JobMessage.from_api(m) for m in _list(data, "messages")),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlteryxJob:
        """Read back what :meth:`to_dict` wrote (from XCom or a trigger event)."""
        return cls(
            **{
                **data,
                "outputs": tuple(
                    JobOutput(**{**o, "formats": tuple(o["formats"])}) for o in data.get("outputs", ())
                ),
                "messages": tuple(JobMessage(**m) for m in data.get("messages", ())),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary for XCom and trigger events (lists, not tuples)."""
        data = asdict(self)
        data["outputs"] = [{**o, "formats": list(o["formats"])} for o in data["outputs"]]
        data["messages"] = list(data["messages"])
        return data

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def status_known(self) -> bool:
        """Whether the status is one the provider knows; others count as unfinished (Servers add statuses)."""
        return self.status in JobStatus.__members__.values()

    def succeeded(self, *, fail_on_warning: bool = False) -> bool:
        """Whether the job finished and its workflow ran successfully (a ``Warning`` counts unless ``fail_on_warning``)."""
        accepted = (Disposition.SUCCESS,) if fail_on_warning else (Disposition.SUCCESS, Disposition.WARNING)
        return self.status == JobStatus.COMPLETED and self.disposition in accepted

    @property
    def outcome(self) -> str:
        """The job's result in one word: its disposition once finished, else its status."""
        return self.disposition if self.is_terminal and self.disposition != Disposition.NONE else self.status

    @property
    def problems(self) -> tuple[JobMessage, ...]:
        """Error and warning messages, errors first."""
        return tuple(m for m in self.messages if m.is_error) + tuple(m for m in self.messages if m.is_warning)


@dataclass(frozen=True)
class AlteryxWorkflow:
    """A workflow (an "app") the API key can run."""

    id: str
    name: str
    owner: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", server_id(self.id, "a workflow's id"))
        for name in ("owner", "version"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, display(value, WORD_LIMIT))

    @classmethod
    def from_api(cls, data: Any) -> AlteryxWorkflow:
        """Read a workflow from the V3 shape (``name``) or the subscription shape (``metaInfo.name``).

        :raises ValueError: not a workflow.
        """
        if not isinstance(data, Mapping) or not data.get("id"):
            raise ValueError(f"a workflow needs an 'id', found {data!r:.80}")
        meta = data.get("metaInfo")
        meta = meta if isinstance(meta, Mapping) else {}
        name = data.get("name") or meta.get("name") or data.get("fileName") or ""
        # V3 names the owner by id and the published version by number; the subscription shape by author and version.
        owner = data.get("ownerId") or meta.get("author")
        version = data.get("publishedVersionNumber") or data.get("version")
        return cls(id=str(data["id"]), name=str(name), owner=_text(owner), version=_text(version))

    def __str__(self) -> str:
        return f"{quoted(self.name)} (id {self.id}, owner {self.owner or 'unknown'}, version {self.version or 'unknown'})"


def _priority_name(value: Any) -> str | None:
    """Legacy and V1 answers give the priority as a number (2), V3 as a name ("High"): always the name."""
    names = {number: str(name) for name, number in LEGACY_PRIORITIES.items()}
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return names.get(int(value), str(value))
    return _text(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list, found {type(value).__name__}")
    return value
