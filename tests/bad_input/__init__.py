"""Issue 10's table as code: every bad input and odd Server answer ends in one clear AlteryxError, fast, leak-free.

Run: ``.venv/bin/pytest tests/bad_input -q -p no:cacheprovider`` (168 tests, about 20 s when the provider is right).

Paths. ``sync``: the hook method and the operator (``deferrable=False``, ``execute()`` called directly) or, for
``job_id``, the sensor's ``poke()``. ``trig``: the deferrable operator/sensor about to defer, plus
``AlteryxJobTrigger.run()`` on its own event loop wherever the trigger itself sees the input (job_id, poll_interval,
connection extras); it must yield exactly one ``{"status": "error"}`` event. ``get``/``wait``/``test``: the hook's
``get_job()``, ``wait_for_job()``, ``test_connection()`` (which must return ``(False, message)``, never raise);
``poke``: the sensor's ``poke()``.
Every case also asserts that the connection password and every token the fake issued appear in no error, event,
log record or console line; input cases assert the emulator served 0 requests and created 0 jobs; redirect cases
assert the other host received nothing at all.

Verdicts: "now" = the working tree at 2026-11-29 03:36 UTC (lead mid-way through issues 8/10); "HEAD" = ``git
archive HEAD`` with two import shims (an empty AlteryxProtocolError, constants.Received) and, for input cases,
"nothing sent" measured as 0 tokens issued (the HEAD emulator has no request counter).

case                               | expected                                                       | now                      | HEAD
-----------------------------------+----------------------------------------------------------------+--------------------------+--------------------------
job-200-html-sso-page              | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-plain-text                 | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-truncated-json             | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-list-not-object            | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-without-id                 | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-without-status             | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-empty-body                 | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-50MB                       | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-status-never-seen              | ProtocolError naming it after UNKNOWN_STATUS_LIMIT + warning   | wait/trig: ok            | wait/trig: FAIL
job-200-outputs-not-a-list         | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-200-message-level-not-a-number | ProtocolError 'expected'/'found', 1 request                    | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-500-echoes-the-token           | ApiError 500 (<= 2 tries); echoed token scrubbed               | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-400-echoes-the-token           | ApiError 400, 1 try; echoed token scrubbed                     | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
job-301-to-another-host            | ApiError 'redirect' + origin; other host gets nothing          | get/wait/poke/trig: ok   | get/wait/poke/trig: FAIL
token-200-without-access_token     | Authentication|ProtocolError, 1 token request                  | get/test/trig: ok        | get/test/trig: FAIL
token-200-html-sso-page            | Authentication|ProtocolError, 1 token request                  | get/test/trig: ok        | get/test/trig: FAIL
token-200-expires_in-not-a-number  | Authentication|ProtocolError, 1 token request                  | get/test/trig: ok        | get/test/trig: FAIL
token-307-to-another-host          | ApiError 'redirect' + origin; other host gets nothing          | get/test/trig: ok        | get/test/trig: FAIL
token-308-to-another-host          | ApiError 'redirect' + origin; other host gets nothing          | get/test/trig: ok        | get/test/trig: FAIL
workflows-200-html-sso-page        | test_connection() -> (False, 'expected'/'found')               | test: ok                 | test: FAIL
workflows-200-item-without-id      | test_connection() -> (False, 'expected'/'found')               | test: ok                 | test: FAIL
workflows-200-object-not-list      | test_connection() -> (False, 'expected'/'found')               | test: ok                 | test: FAIL
port-refused                       | ConnectionError, received=NO                                   | get/test/trig: ok        | get:FAIL test:ok trig:ok
host-without-scheme                | ConnectionError 'https was assumed', not retried               | get/test/trig: ok        | get/test/trig: FAIL
host-does-not-exist                | ConnectionError, not retried, received=NO                      | get/test/trig: ok        | get/test/trig: FAIL
answer-trickled-10s-timeout-1s     | ConnectionError within 3 x tries x timeout                     | get/trig: ok             | get:FAIL trig:ok
workflow_id-dotdot                 | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
workflow_id-None                   | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
workflow_id-int                    | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
workflow_id-empty                  | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
workflow_id-query                  | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
workflow_id-percent                | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
job_id-None                        | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
job_id-int                         | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
job_id-dotdot                      | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
job_id-slash                       | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
job_id-empty                       | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
question-None                      | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
question-None-list                 | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
questions-str                      | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
questions-int                      | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
question-list-value                | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
question-dict-value                | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
question-object-value              | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
question-int-name                  | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
question-item-no-name              | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
priority-Urgent                    | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: ok
priority-int                       | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
poll_interval-0                    | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
poll_interval-negative             | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
poll_interval-nan                  | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
poll_interval-inf                  | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
poll_interval-below-floor          | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
timeout-0                          | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
timeout-negative                   | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
timeout-nan                        | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
timeout-inf                        | InputError naming the parameter, 0 requests, 0 jobs            | sync/trig: ok            | sync/trig: FAIL
extra-timeout-nan                  | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: FAIL
extra-timeout-inf                  | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: FAIL
extra-timeout-0                    | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: FAIL
extra-timeout-negative             | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: ok
extra-timeout-abc                  | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: ok
extra-verify-missing-file          | InputError 'extra timeout'/'extra verify', 0 requests          | sync/trig/test: ok       | sync/trig/test: FAIL
token-400-echoes-the-form          | AuthenticationError 400; echoed secret scrubbed                | get/test/trig: ok        | get/test/trig: FAIL

All cases pass (verdict "now" as of the final run; the floor of poll_interval is 0.05 s, MIN_POLL_INTERVAL).
"""
