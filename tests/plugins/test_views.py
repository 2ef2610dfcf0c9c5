"""The views' pieces without a browser: what the pages show (made safe, escaped) and how downloads are named.

The whole plugin inside Airflow's API server, with its authentication, is tested in tests/ui.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest

from airflow_provider_alteryx.plugins.alteryx import HAS_EXTERNAL_VIEWS

if not HAS_EXTERNAL_VIEWS:
    pytest.skip("the views need Airflow 3.1 or later (external views)", allow_module_level=True)

from airflow_provider_alteryx.hooks.downloads import output_locations
from airflow_provider_alteryx.models import MESSAGE_LIMIT, AlteryxJob, JobOutput
from airflow_provider_alteryx.plugins import pages
from airflow_provider_alteryx.plugins.lookup import Queue, Since, TaskJob, TaskRef
from airflow_provider_alteryx.plugins.routes import content_disposition, task_ref

HOSTILE = '<img src=x onerror="alert(1)"> & </td>'
JOB_ID, OUTPUT_ID = "0123456789abcdef01234567", "89abcdef0123456789abcdef"
WORKFLOW_ID = "00000000000000000000abcd"
# "Umsätze", then "paypal" in Cyrillic letters, a division slash and a full-width "e".
LOOKALIKES = "\u00dcms\u00e4tze \u0440\u0430\u0443\u0440\u0430l \u2215 \uff45"
# Texts a workflow author or a Server could write, and how a page shows them: one line, nothing hidden, bounded,
# escaped. Look-alike and other non-ASCII characters are visible, so they are shown as written.
SHOWN = {
    "ANSI escape": ("\x1b[31mred\x1b]0;title\x07", "\\x1b[31mred\\x1b]0;title\\x07"),
    "bidi override": ("photo\u202egpj.exe", "photo\\u202egpj.exe"),
    "NUL": ("a\x00b", "a\\x00b"),
    "line breaks": ("one\ntwo\r\n<p>forged</p>\u2028", "one\\ntwo\\r\\n&lt;p&gt;forged&lt;/p&gt;\\u2028"),
    "triple quotes": ("\"\"\"q'''", "&quot;&quot;&quot;q&#x27;&#x27;&#x27;"),
    "script": ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    "10,000 characters": ("y" * 10_000, "y" * 473 + " [... 9527 more characters]"),
    "non-ASCII and look-alikes": (LOOKALIKES, LOOKALIKES),
}


def finished_job(**overrides: Any) -> AlteryxJob:
    return AlteryxJob.from_api(
        {
            "id": JOB_ID,
            "status": "Completed",
            "disposition": "Success",
            "priority": "High",
            "workerTag": HOSTILE,
            "messages": [{"status": 3, "text": HOSTILE, "toolId": 4}],
            "outputs": [{"id": OUTPUT_ID, "name": HOSTILE, "formats": ["Csv"]}],
            **overrides,
        }
    )


def task(state: str = "success") -> TaskJob:
    ti: Any = SimpleNamespace(state=state, dag_id="d", run_id="r", task_id="t", map_index=-1)
    return TaskJob(ti=ti, is_alteryx=True, job_id=JOB_ID, conn_id="alteryx_default")


def panel(job: AlteryxJob, queue: Queue | None = None) -> str:
    moment = datetime.now(UTC) - timedelta(seconds=75)
    since = Since(job.status, moment, job.disposition, moment, as_of=moment + timedelta(seconds=75))
    ref = TaskRef("d", "run & <co>", "t")
    return pages.job_panel(ref, task(), job, since, queue or Queue(unknown_because="not in the queue"))


def test_server_text_is_shown_as_text_never_as_markup() -> None:
    html = panel(finished_job())
    assert "<img" not in html and "</td>'" not in html
    assert (
        html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/td&gt;") == 3
    )  # tag, message, output


def assert_safe_page(html: str) -> None:
    """One line of visible characters, no markup but the page's own, and no Server text over the longest bound
    (engine messages'; names are held to DISPLAY_LIMIT, see SHOWN)."""
    assert html.isprintable(), "a control, formatting or line-break character reached the page"
    assert "<script" not in html and "<p>forged" not in html
    assert "y" * (MESSAGE_LIMIT + 1) not in html


@pytest.mark.parametrize("case", list(SHOWN))
def test_hostile_server_text_in_the_job_panel_is_shown_safely(case: str) -> None:
    text, shown = SHOWN[case]
    html = panel(
        finished_job(
            disposition=text,
            priority=text,
            workerTag=text,
            messages=[{"status": 2, "text": text, "toolId": 1}],
            outputs=[{"id": OUTPUT_ID, "name": text, "formats": [text]}],
        )
    )
    assert_safe_page(html)
    assert f"<li>{shown}: <a " in html  # the output's name, as the Server wrote it, made safe


@pytest.mark.parametrize("case", list(SHOWN))
def test_hostile_workflow_names_on_the_jobs_page_are_shown_safely(case: str) -> None:
    text, shown = SHOWN[case]
    running = finished_job(status=text, disposition="None", workerTag=text)
    html = pages.jobs_page([(WORKFLOW_ID, text, task("running"), running)])
    assert_safe_page(html)
    assert f"<h3>{shown} ({WORKFLOW_ID}): 1</h3>" in html


@pytest.mark.parametrize("case", list(SHOWN))
def test_a_download_is_named_as_the_operator_saves_it_in_a_header_of_plain_ascii(case: str) -> None:
    text, _ = SHOWN[case]
    job = finished_job(outputs=[{"id": OUTPUT_ID, "name": text, "formats": ["Csv"]}])
    header = content_disposition(job, job.outputs[0])
    assert re.fullmatch(r"attachment; filename\*=UTF-8''[A-Za-z0-9%._~-]+", header), header
    ((_, saved_as),) = output_locations("/out", job)
    assert unquote(header.split("''", 1)[1]) == saved_as.rsplit("/", 1)[1]


def test_a_download_keeps_its_name_when_an_output_without_formats_shares_it() -> None:
    """The operator names only the outputs it can download: an earlier output without a format takes no name."""
    job = AlteryxJob(
        id=JOB_ID,
        outputs=(
            JobOutput(id="0" * 24, name="sales.csv", formats=()),
            JobOutput(id=OUTPUT_ID, name="sales.csv", formats=("Csv",)),
        ),
    )
    assert content_disposition(job, job.outputs[1]) == "attachment; filename*=UTF-8''sales.csv"
    assert content_disposition(job, job.outputs[0]) == f"attachment; filename*=UTF-8''{'0' * 24}"


def test_the_panel_says_status_disposition_and_how_long() -> None:
    html = panel(finished_job())
    for shown in ("Completed for 1 min 15 s", "Success for 1 min 15 s", ">High<", 'data-final="true"'):
        assert shown in html


def test_outputs_link_to_this_tasks_download_route() -> None:
    html = panel(finished_job())
    assert (
        f'href="job/outputs/{OUTPUT_ID}?dag_id=d&amp;run_id=run+%26+%3Cco%3E&amp;task_id=t&amp;map_index=-1&amp;format=Csv"'
        in html
    )


def test_an_unfinished_job_offers_no_downloads_and_keeps_refreshing() -> None:
    html = panel(
        finished_job(status="Running", disposition="None"), Queue(position=None, unknown_because="x")
    )
    assert 'data-final="false"' in html and "job/outputs" not in html


def test_the_queue_position_or_why_not() -> None:
    assert "position 2 of 5 in the Server&#x27;s queue" in panel(finished_job(), Queue(position=2, length=5))


def test_a_task_that_is_not_mapped_keeps_its_map_index_placeholder() -> None:
    assert task_ref("d", "r", "t", "{MAP_INDEX}").map_index == -1
    assert task_ref("d", "r", "t", "3").map_index == 3
