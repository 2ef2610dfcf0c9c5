"""Every bad input and odd Server answer ends in one clear AlteryxError, fast, leak-free.

Run: ``.venv/bin/pytest tests/bad_input -q -p no:cacheprovider``. The table lists every case; ``test_table.py``
checks it against the cases in code.

Paths. ``sync``: the hook method and the operator (``deferrable=False``, ``execute()`` called directly) or, for
``job_id``, the sensor's ``poke()``. ``trig``: the deferrable operator/sensor about to defer, plus
``AlteryxJobTrigger.run()`` on its own event loop wherever the trigger itself sees the input (job_id, poll_interval,
connection extras); it must yield exactly one ``{"status": "error"}`` event. ``get``/``wait``/``test``: the hook's
``get_job()``, ``wait_for_job()``, ``test_connection()`` (which must return ``(False, message)``, never raise);
``poke``: the sensor's ``poke()``.
Every case also asserts that the connection password and every token the fake issued appear in no error, event,
log record or console line; input cases assert the emulator served 0 requests and created 0 jobs; redirect cases
assert the other host received nothing at all.

case                               | paths               | expected
-----------------------------------+---------------------+----------------------------------------------------------------
job-200-html-sso-page              | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-plain-text                 | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-truncated-json             | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-list-not-object            | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-without-id                 | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-without-status             | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-empty-body                 | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-50MB                       | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-status-never-seen              | wait/trig           | ProtocolError naming it after UNKNOWN_STATUS_LIMIT + warning
job-200-outputs-not-a-list         | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-message-level-not-a-number | get/wait/poke/trig  | ProtocolError 'expected'/'found', 1 request
job-200-id-is-a-path               | get/wait/poke/trig  | ProtocolError 'not an Alteryx Server id', 1 request
job-200-output-id-is-a-query       | get/wait/poke/trig  | ProtocolError "an output's id", 1 request
job-503-retry-after-nan            | get/wait/poke/trig  | ApiError 503 after the retry limit; the nan ignored
job-500-echoes-the-token           | get/wait/poke/trig  | ApiError 500 (<= 2 tries); echoed token scrubbed
job-400-echoes-the-token           | get/wait/poke/trig  | ApiError 400, 1 try; echoed token scrubbed
job-301-to-another-host            | get/wait/poke/trig  | ApiError 'redirect' + origin; other host gets nothing
token-200-without-access_token     | ProtocolError, 1 token request| Authentication
token-200-html-sso-page            | ProtocolError, 1 token request| Authentication
token-200-expires_in-not-a-number  | ProtocolError, 1 token request| Authentication
token-307-to-another-host          | get/test/trig       | ApiError 'redirect' + origin; other host gets nothing
token-308-to-another-host          | get/test/trig       | ApiError 'redirect' + origin; other host gets nothing
token-200-with-a-line-break        | get/test/trig       | ProtocolError naming access_token, 1 token request
workflows-200-html-sso-page        | test                | test_connection() -> (False, 'expected'/'found')
workflows-200-item-without-id      | test                | test_connection() -> (False, 'expected'/'found')
workflows-200-object-not-list      | test                | test_connection() -> (False, 'expected'/'found')
workflow_id-dotdot                 | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
workflow_id-None                   | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
workflow_id-int                    | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
workflow_id-empty                  | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
workflow_id-query                  | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
workflow_id-percent                | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
job_id-None                        | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
job_id-int                         | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
job_id-dotdot                      | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
job_id-slash                       | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
job_id-empty                       | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-None                      | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-None-list                 | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
questions-str                      | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
questions-int                      | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-list-value                | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-dict-value                | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-object-value              | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-int-name                  | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
question-item-no-name              | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
priority-Urgent                    | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
priority-int                       | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
poll_interval-0                    | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
poll_interval-negative             | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
poll_interval-nan                  | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
poll_interval-inf                  | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
poll_interval-below-floor          | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
timeout-0                          | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
timeout-negative                   | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
timeout-nan                        | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
timeout-inf                        | sync/trig           | InputError naming the parameter, 0 requests, 0 jobs
extra-timeout-nan                  | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-timeout-inf                  | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-timeout-0                    | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-timeout-negative             | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-timeout-abc                  | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-verify-missing-file          | sync/trig/test      | InputError 'extra timeout'/'extra verify', 0 requests
extra-proxy-socks                  | sync/trig/test      | InputError 'extra proxy', shown without its password, 0 requests
extra-proxy-without-a-scheme       | sync/trig/test      | InputError 'extra proxy', shown without its password, 0 requests
extra-proxy-password-with-a-slash  | sync/trig/test      | InputError 'extra proxy', shown without its password, 0 requests
extra-proxy-with-a-path            | sync/trig/test      | InputError 'extra proxy', 0 requests
extra-proxy-without-a-host         | sync/trig/test      | InputError 'extra proxy', 0 requests
extra-proxy-not-a-url              | sync/trig/test      | InputError 'extra proxy', 0 requests
token-400-echoes-the-form          | get/test/trig       | AuthenticationError 400; echoed secret scrubbed

Beside the cases, tests of their own in ``test_server_answers.py``:

port-refused                       | get/test/trig       | ConnectionError, received=NO
host-without-scheme                | get/test/trig       | ConnectionError 'https was assumed', not retried
host-does-not-exist                | get/test/trig       | ConnectionError, not retried, received=NO
answer-trickled-10s-timeout-1s     | get/trig            | ConnectionError within 3 x tries x timeout
"""
