"""The plugin's FastAPI app: the job view, its refresh and downloads, and the page of jobs in flight.

Every route asks Airflow's auth manager first (``requires_access_dag``): a request without an Airflow
session gets 401, a user who may not read the DAG 403, before anything is read. The Server's key and
secret stay in the API server: the browser gets HTML and output bytes only.
"""

from __future__ import annotations

import re
import tempfile
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxInputError
from airflow_provider_alteryx.hooks.downloads import output_file_names
from airflow_provider_alteryx.models import AlteryxJob, JobOutput
from airflow_provider_alteryx.plugins import pages
from airflow_provider_alteryx.plugins.lookup import SERVER, TaskJob, TaskRef, task_instance, task_job
from airflow_provider_alteryx.plugins.lookup import unfinished_task_jobs as in_flight
from airflow_provider_alteryx.utils.server_text import display
from airflow_provider_alteryx.validation import server_id

# Scripts only from the API server itself, none inline; pages only inside the Airflow UI's own frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
SCRIPT = Path(__file__).with_name("job_view.js")
_MAP_INDEX = re.compile(r"-?\d+")

app = FastAPI(title="Alteryx Server views", docs_url=None, redoc_url=None, openapi_url=None)
# Every route of the job view names its task; reading the task's XComs and state is reading the DAG's task instances.
ReadTask = Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.TASK_INSTANCE))


def task_ref(
    dag_id: Annotated[str, Query()],
    run_id: Annotated[str, Query()],
    task_id: Annotated[str, Query()],
    map_index: Annotated[str, Query()] = "-1",
) -> TaskRef:
    """The task instance the query names; a task that is not mapped comes with ``{MAP_INDEX}`` unreplaced."""
    return TaskRef(dag_id, run_id, task_id, int(map_index) if _MAP_INDEX.fullmatch(map_index) else -1)


Ref = Annotated[TaskRef, Depends(task_ref)]


def _html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def _task(session: SessionDep, ref: TaskRef) -> TaskJob:
    ti = task_instance(session, ref)
    if ti is None:
        raise HTTPException(
            404,
            f"No task instance {ref.task_id} (map index {ref.map_index}) in run {ref.run_id} of DAG {ref.dag_id}",
        )
    return task_job(session, ti)


@app.get("/job", dependencies=[ReadTask], response_class=HTMLResponse)
def job_view(ref: Ref, session: SessionDep) -> HTMLResponse:
    """The "Alteryx job" tab: the panel, refreshed by job_view.js while the job is unfinished."""
    task = _task(session, ref)
    if not task.is_alteryx:
        return _html(pages.not_alteryx())
    panel_url = f"job/panel?{'&'.join(f'{k}={quote(v)}' for k, v in pages.query_of(ref).items())}"
    body = f'<div id="panel" data-src="{escape(panel_url)}">{_panel(ref, task)}</div>'
    return _html(pages.page("Alteryx job", body, script="static/job_view.js"))


@app.get("/job/panel", dependencies=[ReadTask], response_class=HTMLResponse)
def job_panel(ref: Ref, session: SessionDep) -> HTMLResponse:
    """The panel alone, which the open tab fetches every few seconds."""
    task = _task(session, ref)
    return _html(_panel(ref, task) if task.is_alteryx else pages.not_alteryx())


def _panel(ref: TaskRef, task: TaskJob) -> str:
    if task.job_id is None:
        return pages.no_job_yet(task)
    try:
        job, since = SERVER.job(task.conn_id, task.job_id)
    except AlteryxError as error:
        return f'<p class="error" data-testid="server-error">Cannot read Alteryx job {escape(task.job_id)}: {escape(display(error))}</p>'
    return pages.job_panel(ref, task, job, since, SERVER.queue(task.conn_id, job))


@app.get("/job/outputs/{output_id}", dependencies=[ReadTask])
def download_output(
    output_id: str,
    ref: Ref,
    session: SessionDep,
    output_format: Annotated[str | None, Query(alias="format")] = None,
) -> Response:
    """One output of this task's own job, streamed from the Server through the hook (never another job's)."""
    try:
        output_id = server_id(output_id, "output_id")
    except AlteryxInputError as error:
        raise HTTPException(400, str(error)) from None
    task = _task(session, ref)
    if not task.is_alteryx or task.job_id is None:
        raise HTTPException(404, "This task has no Alteryx job, so no outputs.")
    try:
        job, _ = SERVER.job(task.conn_id, task.job_id)
    except AlteryxError as error:
        raise HTTPException(502, f"Cannot read Alteryx job {task.job_id}: {display(error)}") from None
    output, chosen = _output_of(job, output_id, output_format)
    return _download(task, job, output, chosen)


def _output_of(job: AlteryxJob, output_id: str, output_format: str | None) -> tuple[JobOutput, str]:
    """Which of the job's outputs is asked for, and in which of its formats (its first by default)."""
    output = next((o for o in job.outputs if o.id == output_id), None)
    if output is None:
        raise HTTPException(
            404, f"Alteryx job {job.id} has no output {output_id}; the job view lists its outputs."
        )
    if output_format is None:
        return output, output.formats[0] if output.formats else "Raw"
    if output_format not in output.formats:
        raise HTTPException(
            400,
            f"Output {output_id} comes as {', '.join(output.formats) or 'no format'}, not {display(output_format)!r}.",
        )
    return output, output_format


def _download(task: TaskJob, job: AlteryxJob, output: JobOutput, output_format: str) -> Response:
    """The output saved by the hook into a private temporary folder, sent, then deleted."""
    folder = tempfile.TemporaryDirectory(prefix="alteryx-output-")
    target = Path(folder.name) / "output"
    try:
        SERVER.hook(task.conn_id).download_job_output(job.id, output.id, output_format, target)
    except AlteryxError as error:
        folder.cleanup()
        raise HTTPException(
            502, f"Cannot download output {output.id} of job {job.id}: {display(error)}"
        ) from None
    return FileResponse(
        target,
        media_type="application/octet-stream",
        headers={**SECURITY_HEADERS, "Content-Disposition": content_disposition(job, output)},
        background=BackgroundTask(folder.cleanup),
    )


def content_disposition(job: AlteryxJob, output: JobOutput) -> str:
    """The download's ``Content-Disposition``: the file name the operator saves the output under
    (:func:`~airflow_provider_alteryx.hooks.downloads.output_file_names`), or its id for an output the operator
    would not save, percent-encoded whole (RFC 6266 ``filename*``), so the header holds nothing but ASCII letters,
    digits, ``%``, ``.``, ``_``, ``-`` and ``~`` of the name, whatever the Server called it."""
    names = {named.id: name for named, name in output_file_names(job)}
    return f"attachment; filename*=UTF-8''{quote(names.get(output.id) or output.id, safe='')}"


@app.get("/jobs", dependencies=[Depends(requires_access_dag(method="GET"))], response_class=HTMLResponse)
def jobs_in_flight(session: SessionDep, user: GetUserDep) -> HTMLResponse:
    """Alteryx jobs that tasks of DAGs this user may read started and that are still queued or running."""
    dag_ids = get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session)
    rows = []
    for task in in_flight(session, dag_ids):
        if task.job_id is None:
            continue
        try:
            job, _ = SERVER.job(task.conn_id, task.job_id)
        except AlteryxError:
            continue  # the job view of that task says why
        if job.is_terminal:
            continue
        workflow_id = job.workflow_id or "unknown workflow"
        name = SERVER.workflow_name(task.conn_id, job.workflow_id) if job.workflow_id else None
        rows.append((workflow_id, name, task, job))
    rows.sort(key=lambda row: (row[1] or row[0], row[0]))
    return _html(pages.jobs_page(rows))


@app.get("/static/job_view.js", dependencies=[Depends(requires_access_dag(method="GET"))])
def job_view_script() -> Response:
    return Response(
        SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript", headers=SECURITY_HEADERS
    )
