"""What the emulator answers: every response body, per API family, shaped as real Servers answer.

Shapes follow answers of real Servers saved in public repositories, the V3 swagger and clients'
models (the fidelity test, ``tests/emulator/test_fidelity.py``, replays them). Where they disagree
with older documentation, the real answers win:

- Creating a job answers ``status: "Queued"`` whatever the job's state; the job starts when a slot frees.
- Legacy and ``/webapi/v1`` jobs (one controller behind both, so one shape): ``priority`` an integer,
  ``appId`` ``null``, ``runWithE2`` present, ``workerTag`` ``""`` on create and ``null`` on read when
  untagged, ``createDate`` with 7 fraction digits on create and whole seconds on read.
- V3 jobs: ``createDateTime`` in milliseconds, ``priority`` by name, ``appId`` set.
- Legacy and ``/webapi/v1`` questions: key ``type``, ``multiple`` the string ``"True"``/``"False"``,
  ``items`` only on choice questions (the others have only ``name, type, description``); V3 questions:
  ``questionType``, ``multiple`` a boolean, ``items`` always.
- Subscription lists: ``packageType`` an integer on the legacy API (0 app, 1 workflow, 2 macro), as real
  legacy answers have it; by name (``App``, ``Module``, ``Macro``) on ``/webapi/v1``, as the OAuth2 V1
  swagger declares it, unless ``Variants.v1_package_type`` says otherwise.
- V3 workflows: ``versions`` a list of version objects holding the credential settings and
  (in ``details``) ``isAmp``.
- V3 schedules follow the swagger's ``ScheduleView`` (list items: ``ReducedScheduleView``, with
  ``timeZone`` as the newer swagger has it). Their ``iteration`` carries the fields of
  ``IterationContract`` (``iterationType``, ``startTime``, ``endTime`` and the contract of its type,
  ``cronContract`` for Cron), the form the Server takes schedules in, or only ``startTime`` and
  ``endTime`` as the swagger's ``IterationBase`` declares it (``Variants.schedule_iteration``). Iteration
  times are UTC with a ``Z``, as the swagger says, or (``Variants.schedule_times``) wall times in the
  schedule's zone, as the help pages say of schedules given a ``timeZone``; the swagger declares them
  strings of no format, and a .NET DateTime holding a wall time is written without an offset, so
  none is written. ``runDateTime`` stays UTC either way (the swagger: "UTC-0"). ``timeZone`` is an
  IANA name or (``Variants.schedule_time_zones``) a Windows ID: the Server's list of zones is in no
  source reached. Assumptions where the swagger is silent: ``questions`` (``[{name, value}]``) is a
  top-level field; ``runDateTime`` is the start time (the emulator does not compute next runs).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from airflow_provider_alteryx.emulator.catalogue import CHOICE_TYPES, PackageType, Question, Workflow
from airflow_provider_alteryx.emulator.engine import PRIORITY_RANK, Job, Status, now
from airflow_provider_alteryx.emulator.schedules import Schedule, windows_zone
from airflow_provider_alteryx.emulator.variants import (
    PackageTypeForm,
    ScheduleIteration,
    ScheduleTimes,
    ScheduleZones,
    Variants,
)
from airflow_provider_alteryx.emulator.versions import Api

OWNER_ID = "5a0c1d2e3f4a5b6c7d8e9f00"
PUBLISHED = "2026-01-05T09:00:00.000Z"
# When the catalogue's schedules were made, in the whole seconds schedule answers carry.
SCHEDULE_CREATED = "2026-01-05T09:00:00Z"
# The Web API's names of package types (V3 swagger, packageWorkflowType; OAuth2 V1 swagger, packageType) and
# the legacy API's numbers for them (real legacy answers, and clients branching on 0 and 1).
PACKAGE_TYPE_NAMES = {PackageType.APP: "App", PackageType.WORKFLOW: "Module", PackageType.MACRO: "Macro"}
PACKAGE_TYPE_NUMBERS = {PackageType.APP: 0, PackageType.WORKFLOW: 1, PackageType.MACRO: 2}


def iso_ticks(moment: datetime) -> str:
    """``2022-07-12T14:01:04.6528576Z``: .NET's 7 fraction digits, as a job's creation answer has them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def iso_seconds(moment: datetime) -> str:
    """``2022-07-12T14:01:04Z``: whole seconds, as legacy and V1 reads have them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def timespan(duration: timedelta) -> str:
    """``00:00:02.5031250``: a duration as .NET's TimeSpan writes itself (``[d.]hh:mm:ss[.fffffff]``)."""
    ticks = duration // timedelta(microseconds=1) * 10
    days, ticks = divmod(ticks, 864_000_000_000)
    hours, ticks = divmod(ticks, 36_000_000_000)
    minutes, ticks = divmod(ticks, 600_000_000)
    seconds, fraction = divmod(ticks, 10_000_000)
    return (
        (f"{days}." if days else "")
        + f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        + (f".{fraction:07d}" if fraction else "")
    )


def iso_millis(moment: datetime | None) -> str | None:
    """``2024-09-19T10:02:54.589Z``: milliseconds, as V3 has them."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


# ---- jobs ----------------------------------------------------------------------------------------
def job_view(job: Job, api: Api, *, created: bool = False, include_messages: bool = True) -> dict[str, Any]:
    """A job as ``GET .../jobs/{id}`` (or, with ``created``, the job creation) answers it."""
    if api is Api.V3:
        return _v3_job(job, created=created, include_messages=include_messages)
    return {
        "id": job.id,
        "appId": None,
        "createDate": iso_ticks(job.created) if created else iso_seconds(job.created),
        "status": Status.QUEUED if created else job.status,
        "disposition": job.disposition,
        "outputs": [{"id": o.id, "formats": list(o.formats), "name": o.name} for o in job.outputs],
        "messages": job.messages,
        "priority": PRIORITY_RANK[job.priority],
        "workerTag": job.worker_tag if created or job.worker_tag else None,
        "runWithE2": True,
    }


def _v3_job(job: Job, *, created: bool, include_messages: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": job.id,
        "appId": job.workflow.id,
        "createDateTime": iso_millis(job.created),
        "status": Status.QUEUED if created else job.status,
        "disposition": job.disposition,
        "priority": job.priority,
        "workerTag": job.worker_tag,
        "runWithE2": True,
    }
    if include_messages:
        view["outputs"] = [
            {"id": o.id, "availableFormats": list(o.formats), "fileName": o.name} for o in job.outputs
        ]
        view["messages"] = job.messages
    return view


def job_list_item(job: Job, api: Api) -> dict[str, Any]:
    """A job in a workflow's job list; V3 lists carry no disposition."""
    if api is Api.V3:
        return {
            "id": job.id,
            "createDate": iso_millis(job.created),
            "status": job.status,
            "priority": job.priority,
            "workerTag": job.worker_tag,
            "runWithE2": True,
        }
    return {
        "id": job.id,
        "createDate": iso_seconds(job.created),
        "status": job.status,
        "disposition": job.disposition,
        "priority": PRIORITY_RANK[job.priority],
        "workerTag": job.worker_tag or None,
        "runWithE2": True,
    }


def all_jobs_item(job: Job) -> dict[str, Any]:
    """A job in ``GET /v3/jobs``: the newer V3 swagger's ``PagedJobSummaryView``.

    ``queueTime`` is a moment (the swagger: "Time when the job was queued", format date-time), ``null`` while
    the job is ``Created``; ``executionTime`` a duration (the swagger: "Duration of job execution (if
    applicable)", a string of no declared format), written as .NET writes a TimeSpan, ``null`` before the
    job starts and the time so far while it runs. ``submittedBy`` is the submitting user's id.
    """
    return {
        "jobId": job.id,
        "status": job.status,
        "workflowName": job.workflow.name,
        "workflowId": job.workflow.id,
        "submittedBy": user_id(job.owner),
        "startTime": iso_millis(job.started),
        "queueTime": iso_millis(job.queued),
        "executionTime": timespan((job.finished or now()) - job.started) if job.started else None,
        "priority": job.priority,
    }


def paged(items: list[dict[str, Any]], offset: int, size: int, total: int) -> dict[str, Any]:
    """One page of a list, as the newer V3 swagger's ``PagedResponse`` holds it: the items and ``PaginationInfo``.

    :param offset: how many items come before the page; :param size: the page size; :param total: all items.
    """
    return {
        "data": items,
        "pagination": {
            "currentPage": offset // size + 1,
            "pageSize": size,
            "totalItems": total,
            "totalPages": -(-total // size),
            "hasNextPage": offset + size < total,
            "hasPreviousPage": offset > 0,
        },
    }


def user_id(owner: str) -> str:
    """The Server's id (24 hex characters) of the user a job belongs to, derived from its API key."""
    return hashlib.sha1(f"user:{owner}".encode(), usedforsecurity=False).hexdigest()[:24]


def control_view(job: Job) -> dict[str, Any]:
    """Everything about a job, for ``GET /__emulator/jobs``."""
    return {
        "id": job.id,
        "workflowId": job.workflow.id,
        "workflowName": job.workflow.name,
        "owner": job.owner,
        "questions": dict(job.answers),
        "priority": job.priority,
        "workerTag": job.worker_tag,
        "credentialId": job.credential_id,
        "status": job.status,
        "disposition": job.disposition,
        "createdAt": iso_millis(job.created),
        "startedAt": iso_millis(job.started),
        "finishedAt": iso_millis(job.finished),
        "deleted": job.deleted,
    }


# ---- questions -----------------------------------------------------------------------------------
def question_view(question: Question, api: Api) -> dict[str, Any]:
    items = [{"key": item.key, "value": item.value} for item in question.items]
    if api is Api.V3:
        return {
            "name": question.name,
            "questionType": question.type,
            "description": question.description,
            "value": question.default,
            "multiple": question.multiple,
            "items": items,
        }
    view: dict[str, Any] = {"name": question.name, "type": question.type, "description": question.description}
    if question.type in CHOICE_TYPES:
        view |= {"multiple": str(question.multiple), "items": items}
    return view


# ---- workflows -----------------------------------------------------------------------------------
def subscription_view(workflow: Workflow, api: Api, v1_form: PackageTypeForm) -> dict[str, Any]:
    """A workflow in the legacy and ``/webapi/v1`` subscription list.

    ``packageType`` is an integer on the legacy API, as real legacy answers have it (though its api-docs model
    says a string); ``/webapi/v1`` writes it as ``v1_form`` says, its own serializer being unverified.
    """
    numbered = api is Api.LEGACY or v1_form is PackageTypeForm.INTEGER
    return {
        "id": workflow.id,
        "subscriptionId": "5b0d1a2b3c4d5e6f7a8b9c0d",
        "public": False,
        "runDisabled": False,
        "packageType": (PACKAGE_TYPE_NUMBERS if numbered else PACKAGE_TYPE_NAMES)[workflow.package_type],
        "uploadDate": PUBLISHED,
        "fileName": f"{workflow.name}.yxzp",
        "metaInfo": _meta_info(workflow),
        "isChained": False,
        "version": 1,
        "runCount": 0,
        "workerTag": "",
        "isE2": True,
    }


def _meta_info(workflow: Workflow) -> dict[str, Any]:
    return {
        "name": workflow.name,
        "description": "",
        "author": "Emulator",
        "copyright": "",
        "url": "",
        "urlText": "",
        "outputMessage": "",
        "noOutputFilesMessage": "",
    }


def v3_workflow_summary(workflow: Workflow) -> dict[str, Any]:
    """A workflow in ``GET /v3/workflows`` (``view=Default``)."""
    return {
        "id": workflow.id,
        "sourceAppId": workflow.id,
        "name": workflow.name,
        "ownerId": OWNER_ID,
        "dateCreated": PUBLISHED,
        "publishedVersionNumber": 1,
        "isAmp": True,
        "executionMode": "Standard",
    }


def v3_workflow_view(workflow: Workflow) -> dict[str, Any]:
    """A workflow as ``GET /v3/workflows/{id}`` (and ``view=Full``) answers it."""
    return {
        "id": workflow.id,
        "sourceAppId": workflow.id,
        "name": workflow.name,
        "ownerId": OWNER_ID,
        "dateCreated": PUBLISHED,
        "runCount": 0,
        "workerTag": "",
        "districtTags": [],
        "comments": "",
        "isPublic": False,
        "isReadyForMigration": False,
        "othersMayDownload": True,
        "othersCanExecute": workflow.others_can_execute,
        "othersCanViewHistory": False,
        "hasPrivateDataExemption": False,
        "executionMode": "Standard",
        # Top level too in the newer V3 swagger's WorkflowView.
        "packageWorkflowType": PACKAGE_TYPE_NAMES[workflow.package_type],
        "publishedVersionId": workflow.id,
        "versions": [_v3_version(workflow)],
    }


def _v3_version(workflow: Workflow) -> dict[str, Any]:
    return {
        "versionId": workflow.id,
        "versionNumber": 1,
        "dateCreated": PUBLISHED,
        "uploadSource": "Designer",
        "uploadDate": PUBLISHED,
        # App, Module or Macro: the enum of the V3 swagger's WorkflowVersionView.
        "packageWorkflowType": PACKAGE_TYPE_NAMES[workflow.package_type],
        "published": True,
        "comments": "",
        "runDisabled": False,
        "executionMode": "Standard",
        "workflowCredentialType": "Default",
        "credentialId": None,
        "hasPrivateDataExemption": False,
        "othersMayDownload": True,
        "othersCanViewHistory": False,
        "details": {"isAmp": True, "fileName": f"{workflow.name}.yxmd", **_meta_info(workflow)},
    }


# ---- schedules -----------------------------------------------------------------------------------
def reduced_schedule_view(schedule: Schedule, variants: Variants) -> dict[str, Any]:
    """A schedule as ``GET /v3/schedules`` lists it (``ReducedScheduleView``, which has ``timeZone`` too)."""
    return {
        "id": schedule.id,
        "name": schedule.name,
        "workflowId": schedule.workflow_id,
        "ownerId": OWNER_ID,
        "runDateTime": iso_seconds(schedule.start),
        "timeZone": _zone_name(schedule, variants),
    }


def schedule_view(schedule: Schedule, variants: Variants) -> dict[str, Any]:
    """A schedule as ``GET /v3/schedules/{id}`` answers it (``ScheduleView``)."""
    return {
        **reduced_schedule_view(schedule, variants),
        "versionId": schedule.workflow_id,
        "comment": schedule.comment,
        "enabled": schedule.enabled,
        "priority": schedule.priority,
        "workerTag": schedule.worker_tag,
        "status": "Active" if schedule.enabled else "Disabled",
        "credentialId": "",
        "creationTime": SCHEDULE_CREATED,
        "lastRunTime": None,
        "state": "Scheduled" if schedule.enabled else "Disabled",
        "runCount": 0,
        "iteration": _iteration(schedule, variants),
        "frequency": schedule.frequency.value,
        "lastError": "",
        "cpuName": "",
        "lastModifiedId": OWNER_ID,
        "lastModifiedDate": SCHEDULE_CREATED,
        "canEdit": True,
        "questions": [{"name": name, "value": value} for name, value in schedule.questions.items()],
    }


def _iteration(schedule: Schedule, variants: Variants) -> dict[str, Any]:
    times = {
        "startTime": _schedule_time(schedule.start, schedule, variants),
        "endTime": _schedule_time(schedule.end, schedule, variants) if schedule.end else None,
    }
    if variants.schedule_iteration is ScheduleIteration.SWAGGER:
        return times
    return {"iterationType": schedule.frequency.value, **times, **schedule.contract}


def _schedule_time(moment: datetime, schedule: Schedule, variants: Variants) -> str:
    if variants.schedule_times is ScheduleTimes.LOCAL:
        # A .NET DateTime of unspecified kind, as wall times are kept, is written without an offset.
        return moment.astimezone(ZoneInfo(schedule.time_zone)).strftime("%Y-%m-%dT%H:%M:%S")
    return iso_seconds(moment)


def _zone_name(schedule: Schedule, variants: Variants) -> str:
    if variants.schedule_time_zones is ScheduleZones.WINDOWS:
        return windows_zone(schedule.time_zone)
    return schedule.time_zone
