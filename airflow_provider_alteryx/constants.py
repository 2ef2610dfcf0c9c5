"""Names shared by the hook, the operator, the sensor and the trigger: one definition each, no bare strings."""

from __future__ import annotations

from enum import StrEnum

# The Airflow connection every operator, sensor, trigger and hook uses unless told otherwise.
DEFAULT_CONN_ID = "alteryx_default"


class ApiFamily(StrEnum):
    """Which of the Server's APIs a request goes to; errors are explained from this, not guessed from URLs."""

    TOKEN = "OAuth 2.0 token endpoint"  # noqa: S105 - a name, not a password
    LEGACY = "legacy Gallery API"
    V1 = "Web API v1"
    V3 = "Web API v3"


class CallKind(StrEnum):
    """What repeating a request would do, which decides how a failure is handled."""

    READ = "read"  # safe to repeat
    REPEATABLE = "repeatable"  # changes state, but repeating is harmless (a token request, a cancel)
    CREATE = "create"  # repeating may create a second job: resend only when the Server surely never got it


class Received(StrEnum):
    """What a failed request tells about whether the Server received (and acted on) it."""

    NO = "surely not received"  # refused connection, DNS failure, 429, 503: resending is safe
    MAYBE = "may have been received"  # reset or timeout after sending, 500, 502, 504: a job may exist


class AuthType(StrEnum):
    """How requests are authenticated, chosen by the connection extra ``auth_type``."""

    OAUTH2 = "oauth2"  # client-credentials tokens, Server 2021.4 and later
    OAUTH1 = "oauth1"  # signed requests to the legacy Gallery API, Server up to 2021.4


class JobStatus(StrEnum):
    """A job's ``status``. Real Servers also report statuses not listed here; those count as unfinished."""

    CREATED = "Created"
    INITIALIZING = "Initializing"
    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class Disposition(StrEnum):
    """A job's ``disposition``: its outcome once finished, ``None`` (the string) while it runs."""

    NONE = "None"
    SUCCESS = "Success"
    WARNING = "Warning"
    ERROR = "Error"
    CANCELLED = "Cancelled"


class EventStatus(StrEnum):
    """The trigger's event vocabulary: every event carries exactly one of these as its ``status``."""

    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    ERROR = "error"


class XComKey(StrEnum):
    """XCom keys the operator and sensor push. Renaming one breaks DAGs that pull it."""

    JOB_ID = "job_id"
    JOB_URL = "job_url"
    JOB = "job"
    WORKFLOW_URL = "workflow_url"
    OUTPUT_FILES = "output_files"
    # The connection the task reads the job through, so the UI's Alteryx job view asks the same Server.
    CONN_ID = "alteryx_conn_id"
    # Jobs that may belong to a creation whose answer was lost; other task instances must not adopt them.
    JOB_CANDIDATES = "job_candidates"


class StateKey(StrEnum):
    """Task-state keys kept across tries (Airflow 3.3+). Renaming one breaks in-flight retries."""

    JOB_ID = "alteryx_job_id"
    JOB_CANDIDATES = "alteryx_job_candidates"


class Priority(StrEnum):
    """A job's priority; the Server ignores it unless the key's user may prioritise jobs."""

    DEFAULT = "Default"
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


# The legacy and V1 APIs take and give priorities as numbers, and have no "Default" (leaving it out means default).
LEGACY_PRIORITIES = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}
