"""One job model for every Alteryx Server API shape (legacy, ``/webapi/v1`` and V3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TERMINAL_STATUSES = frozenset({"Completed", "Cancelled"})
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


@dataclass(frozen=True)
class JobMessage:
    """An engine message: ``level`` is the Server's integer ``status``, ``tool_id`` the tool that said it."""

    level: int
    text: str
    tool_id: int | None = None

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
    status: str = "Queued"
    disposition: str = "None"
    created: str | None = None
    priority: str | None = None
    outputs: tuple[JobOutput, ...] = field(default=())
    messages: tuple[JobMessage, ...] = field(default=())

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AlteryxJob:
        """Read a job from any API shape: legacy and V1 (``createDate``, ``formats``, ``name``) or V3
        (``createDateTime``, ``availableFormats``, ``fileName``), full or list item."""
        return cls(
            id=str(data["id"]),
            workflow_id=data.get("appId"),
            status=data.get("status") or "Queued",
            disposition=data.get("disposition") or "None",
            created=data.get("createDateTime") or data.get("createDate"),
            priority=data.get("priority"),
            outputs=tuple(
                JobOutput(
                    id=str(o["id"]), name=o.get("fileName") or o.get("name") or str(o["id"]), formats=tuple(o.get("availableFormats") or o.get("formats") or ())
                )
                for o in data.get("outputs") or ()
            ),
            messages=tuple(JobMessage(level=int(m.get("status", 1)), text=str(m.get("text", "")), tool_id=m.get("toolId")) for m in data.get("messages") or ()),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlteryxJob:
        """Read back what :meth:`to_dict` wrote (from XCom or a trigger event)."""
        return cls(
            **{
                **data,
                "outputs": tuple(JobOutput(**{**o, "formats": tuple(o["formats"])}) for o in data.get("outputs", ())),
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

    def succeeded(self, *, fail_on_warning: bool = False) -> bool:
        """Whether the job finished and its workflow ran successfully (a ``Warning`` counts unless ``fail_on_warning``)."""
        accepted = ("Success",) if fail_on_warning else ("Success", "Warning")
        return self.status == "Completed" and self.disposition in accepted

    @property
    def outcome(self) -> str:
        """The job's result in one word: its disposition once finished, else its status."""
        return self.disposition if self.is_terminal and self.disposition != "None" else self.status

    @property
    def problems(self) -> tuple[JobMessage, ...]:
        """Error and warning messages, errors first."""
        return tuple(m for m in self.messages if m.is_error) + tuple(m for m in self.messages if m.is_warning)


@dataclass(frozen=True)
class AlteryxWorkflow:
    """A workflow (an "app") the API key can run."""

    id: str
    name: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AlteryxWorkflow:
        """Read a workflow from the V3 shape (``name``) or the subscription shape (``metaInfo.name``)."""
        name = data.get("name") or (data.get("metaInfo") or {}).get("name") or data.get("fileName") or ""
        return cls(id=str(data["id"]), name=str(name))
