"""The table in this package's docstring lists exactly the cases in code, so it cannot drift from them."""

from __future__ import annotations

import tests.bad_input as package
from tests.bad_input import test_server_answers, test_user_inputs


def listed_cases() -> list[str]:
    """The first column of the main table (the tests of their own, after it, are not cases)."""
    table = (package.__doc__ or "").split("Beside the cases")[0]
    rows = [line.split("|")[0].strip() for line in table.splitlines() if line.count("|") == 2]
    return rows[1:]  # the header


def test_the_table_lists_every_case_once() -> None:
    in_code = [case.id for case in test_server_answers.CASES] + [case.id for case in test_user_inputs.CASES]
    assert sorted(listed_cases()) == sorted(in_code)
