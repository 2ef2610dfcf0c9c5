"""The views' HTML. Every text that is not this module's own goes through :func:`_text`: shown as the
project shows Server text (:func:`~airflow_provider_alteryx.utils.server_text.display`: one line, control
characters, ANSI escapes and bidi overrides written as escapes, bounded), then escaped; Server text is data,
and so are DAG, run and task ids. The markup is plain, for the UI's iframe, with no script inline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

from airflow_provider_alteryx.models import MESSAGE_LIMIT, AlteryxJob
from airflow_provider_alteryx.plugins.lookup import Queue, Since, TaskJob, TaskRef
from airflow_provider_alteryx.utils.server_text import DISPLAY_LIMIT, display

NOT_ALTERYX = "Not an Alteryx task."
_STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:14px;margin:12px;color:#1a202c}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:left}"
    "th{background:#edf2f7}.error{color:#c53030}.warning{color:#b7791f}"
)


def page(title: str, body: str, *, script: str | None = None) -> str:
    """A whole page; ``script`` is the path of the one script it loads (from the API server itself)."""
    loader = f'<script src="{escape(script)}" defer></script>' if script else ""
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style>{loader}</head><body>{body}</body></html>"
    )


def _text(value: object, limit: int = DISPLAY_LIMIT) -> str:
    """A text that is not this module's own, as a page may hold it: made safe to show, then escaped for HTML."""
    return escape(display(value, limit))


def not_alteryx() -> str:
    return page("Alteryx job", f'<p data-testid="not-alteryx">{NOT_ALTERYX}</p>')


def no_job_yet(task: TaskJob) -> str:
    return f'<p data-testid="no-job">No Alteryx job yet: the task is {_text(task.ti.state or "not started")}.</p>'


def job_panel(ref: TaskRef, task: TaskJob, job: AlteryxJob, since: Since, queue: Queue) -> str:
    """The refreshed part of the job view: status, queue, messages and outputs (durations as of the reading)."""
    now = since.as_of
    rows = [
        ("Job", job.id, "job-id"),
        ("Task state", str(task.ti.state or "none"), "task-state"),
        ("Status", f"{job.status} for {_duration(now - since.status_since)}", "status"),
        ("Disposition", f"{job.disposition} for {_duration(now - since.disposition_since)}", "disposition"),
        ("Priority", job.priority or "Default", "priority"),
        ("Worker tag", job.worker_tag or "none (any worker)", "worker-tag"),
        ("Queue", _queue_text(queue), "queue"),
    ]
    table = "".join(
        f'<tr><th>{label}</th><td data-testid="{test_id}">{_text(value)}</td></tr>'
        for label, value, test_id in rows
    )
    return (
        f'<div id="job" data-testid="job" data-status="{_text(job.status)}" '
        f'data-final="{"true" if job.is_terminal else "false"}">'
        f"<table>{table}</table>{_messages(job)}{_outputs(ref, job)}</div>"
    )


def _queue_text(queue: Queue) -> str:
    if queue.position is None:
        return f"position unknown: {queue.unknown_because}"
    return f"position {queue.position} of {queue.length} in the Server's queue"


def _messages(job: AlteryxJob) -> str:
    if not job.messages:
        return '<h3>Engine messages</h3><p data-testid="messages">None yet.</p>'
    rows = "".join(
        f'<tr class="{"error" if m.is_error else "warning" if m.is_warning else "info"}">'
        f"<td>{'Error' if m.is_error else 'Warning' if m.is_warning else 'Info'}</td>"
        f"<td>{'' if m.tool_id is None else m.tool_id}</td><td>{_text(m.text, MESSAGE_LIMIT)}</td></tr>"
        for m in job.messages
    )
    return (
        '<h3>Engine messages</h3><table data-testid="messages"><tr><th>Level</th><th>Tool</th>'
        f"<th>Message</th></tr>{rows}</table>"
    )


def _outputs(ref: TaskRef, job: AlteryxJob) -> str:
    if not job.is_terminal:
        return '<h3>Outputs</h3><p data-testid="outputs">Once the job has finished.</p>'
    if not job.outputs:
        return '<h3>Outputs</h3><p data-testid="outputs">The job saved no outputs.</p>'
    items = []
    for output in job.outputs:
        links = " ".join(
            f'<a href="{escape(download_href(ref, output.id, fmt))}" download>{_text(fmt)}</a>'
            for fmt in output.formats
        )
        items.append(f"<li>{_text(output.name)}: {links}</li>")
    return f'<h3>Outputs</h3><ul data-testid="outputs">{"".join(items)}</ul>'


def download_href(ref: TaskRef, output_id: str, output_format: str) -> str:
    """The download route of one output, relative to the job view (both live under the plugin's prefix)."""
    query = {**query_of(ref), "format": output_format}
    return f"job/outputs/{output_id}?{urlencode(query)}"


def query_of(ref: TaskRef) -> dict[str, str]:
    return {
        "dag_id": ref.dag_id,
        "run_id": ref.run_id,
        "task_id": ref.task_id,
        "map_index": str(ref.map_index),
    }


def jobs_page(rows: Sequence[tuple[str, str | None, TaskJob, AlteryxJob]]) -> str:
    """The in-flight jobs, by workflow: (workflow id, its name, owning task, job)."""
    if not rows:
        body = '<p data-testid="no-jobs">No Alteryx job that Airflow started is queued or running.</p>'
        return page("Alteryx jobs", "<h2>Alteryx jobs in flight</h2>" + body)
    sections = []
    for workflow_id in dict.fromkeys(row[0] for row in rows):
        of_workflow = [row for row in rows if row[0] == workflow_id]
        name = of_workflow[0][1]
        title = f"{_text(name)} ({_text(workflow_id)})" if name else _text(workflow_id)
        lines = "".join(
            f"<tr><td>{_text(job.id)}</td><td>{_text(job.status)}</td><td>{_text(task.ti.dag_id)}</td>"
            f"<td>{_text(task.ti.run_id)}</td><td>{_text(_task_name(task))}</td></tr>"
            for _, _, task, job in of_workflow
        )
        sections.append(
            f'<h3>{title}: {len(of_workflow)}</h3><table data-testid="workflow-{_text(workflow_id)}">'
            f"<tr><th>Job</th><th>Status</th><th>DAG</th><th>DAG run</th><th>Task</th></tr>{lines}</table>"
        )
    return page("Alteryx jobs", "<h2>Alteryx jobs in flight</h2>" + "".join(sections))


def _task_name(task: TaskJob) -> str:
    return task.ti.task_id if task.ti.map_index < 0 else f"{task.ti.task_id}[{task.ti.map_index}]"


def _duration(elapsed: timedelta) -> str:
    seconds = max(int(elapsed.total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    )
