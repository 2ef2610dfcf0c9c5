"""The emulator's catalogue: the workflows it serves and how each of their runs ends.

A catalogue is a YAML or JSON file::

    workflows:
      - name: Regional sales
        id: 5f0c3a1b2c3d4e5f6a7b8c9d        # optional: 24 hex characters, derived from the name
        others_can_execute: false           # optional (default true): only Curators may run it or read its questions
        package_type: app                   # optional: app (default), workflow or macro
        questions:
          - {name: region, type: text, description: Sales region, default: EMEA, required: true}
          - name: channel
            type: QuestionListBox                 # short names or the Server's own type names
            multiple: true                        # list boxes only
            items: [{key: web, value: Web shop}, store]   # {key, value} or a plain string for both
        run:
          seconds: 2                          # how long a run takes (times --time-scale)
          disposition: Success                # Success, Warning or Error
          error_when: {region: [Mars]}        # question values that end a run in Error
          error_message: "No sales data for {region}"
          messages:
            - {level: info, text: "Loaded sales for {region}", tool: 3}   # tool: the toolId, default its position
          outputs:
            - {name: sales.csv, formats: [Csv, Raw], content: "region,total\\n{region},42\\n"}

``{question}`` placeholders in messages, the error message and output content take the run's
question values.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# Short names and the Server's own question type names; the API answers with the Server's.
QUESTION_TYPES = {
    "text": "QuestionTextBox",
    "number": "QuestionNumericUpDown",
    "boolean": "QuestionBooleanGroup",
    "checkbox": "QuestionCheckBox",
    "radio": "QuestionRadioButton",
    "dropdown": "QuestionDropDown",
    "list": "QuestionListBox",
    "date": "QuestionDate",
}
SERVER_QUESTION_TYPES = frozenset(QUESTION_TYPES.values())
# Question types that offer a choice of items.
CHOICE_TYPES = frozenset({"QuestionDropDown", "QuestionListBox"})
DISPOSITIONS = ("Success", "Warning", "Error")
MESSAGE_LEVELS = {"info": 1, "warning": 2, "error": 3}
OUTPUT_FORMATS = (
    "Raw", "Yxdb", "Shp", "Kml", "Tab", "Mif", "Dbf", "Csv", "Pdf", "Docx", "Xlsx", "Html", "Tde", "Zip",
)  # fmt: skip
_WORKFLOW_ID = re.compile(r"^[0-9a-f]{24}$")


class PackageType(StrEnum):
    """What a published package holds: an analytic app, a plain workflow or a macro."""

    APP = "app"
    WORKFLOW = "workflow"
    MACRO = "macro"


class CatalogueError(ValueError):
    """A catalogue file that cannot be served; the message names the file, the field and the problem."""


@dataclass(frozen=True)
class QuestionItem:
    key: str
    value: str


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    description: str = ""
    default: str = ""
    required: bool = False
    multiple: bool = False
    items: tuple[QuestionItem, ...] = ()


@dataclass(frozen=True)
class Message:
    level: int
    text: str
    tool: int | None = None


@dataclass(frozen=True)
class Output:
    name: str
    formats: tuple[str, ...]
    content: str


@dataclass(frozen=True)
class RunSpec:
    seconds: float = 1.0
    disposition: str = "Success"
    error_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    error_message: str = "The workflow failed."
    messages: tuple[Message, ...] = ()
    outputs: tuple[Output, ...] = ()

    def disposition_for(self, answers: dict[str, str]) -> str:
        """The run's outcome for these question values."""
        if any(answers.get(name) in values for name, values in self.error_when.items()):
            return "Error"
        return self.disposition


@dataclass(frozen=True)
class Workflow:
    """A workflow of the catalogue.

    :param others_can_execute: whether users other than its owner may run it (V3's ``othersCanExecute``);
        the emulator's owner is a Curator, so without it only Curators may run it or read its questions.
    :param package_type: what the package holds, as subscription lists and V3 workflows report it.
    """

    id: str
    name: str
    questions: tuple[Question, ...]
    run: RunSpec
    others_can_execute: bool = True
    package_type: PackageType = PackageType.APP


def render(template: str, answers: dict[str, str]) -> str:
    """Fill ``{question}`` placeholders; unknown placeholders stay as they are."""
    return string.Formatter().vformat(template, (), _KeepMissing(answers))


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def default_catalogue_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("demo_catalogue.yaml")))


def load_catalogue(path: str | Path | None = None) -> tuple[Workflow, ...]:
    """Read and check a catalogue file (the bundled demo catalogue when ``path`` is None)."""
    source = Path(path) if path is not None else default_catalogue_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError(f"{source}: cannot read the catalogue: {error.strerror}") from None
    try:
        document = json.loads(text) if source.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise CatalogueError(f"{source}: not valid {source.suffix.lstrip('.').upper()}: {error}") from None
    return _Parser(str(source)).catalogue(document)


class _Parser:
    """Turns a parsed document into workflows, naming the field at fault in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.source}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, value: Any, where: str, *, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            raise self.fail(where, "expected a non-empty string")
        return str(value)

    def flag(self, value: Any, where: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {value!r}")
        return value

    def catalogue(self, document: Any) -> tuple[Workflow, ...]:
        root = self.mapping(document, "top level")
        entries = self.items(root.get("workflows"), "workflows")
        if not entries:
            raise self.fail("workflows", "the catalogue lists no workflows")
        workflows = tuple(self.workflow(entry, f"workflows[{i}]") for i, entry in enumerate(entries))
        seen: set[str] = set()
        for i, workflow in enumerate(workflows):
            if workflow.id in seen:
                raise self.fail(f"workflows[{i}].id", f"duplicate workflow id {workflow.id}")
            seen.add(workflow.id)
        return workflows

    def workflow(self, entry: Any, where: str) -> Workflow:
        spec = self.mapping(entry, where)
        name = self.text(spec.get("name"), f"{where}.name")
        workflow_id = spec.get("id") or hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:24]
        if not isinstance(workflow_id, str) or not _WORKFLOW_ID.match(workflow_id):
            raise self.fail(f"{where}.id", f"{workflow_id!r} is not 24 lowercase hex characters")
        questions = tuple(
            self.question(q, f"{where}.questions[{i}]")
            for i, q in enumerate(self.items(spec.get("questions"), f"{where}.questions"))
        )
        names = [q.name for q in questions]
        if len(set(names)) != len(names):
            raise self.fail(f"{where}.questions", "question names must be unique")
        run = self.run(spec.get("run") or {}, f"{where}.run", set(names))
        return Workflow(
            id=workflow_id,
            name=name,
            questions=questions,
            run=run,
            others_can_execute=self.flag(spec.get("others_can_execute"), f"{where}.others_can_execute", True),
            package_type=self.package_type(
                spec.get("package_type", PackageType.APP), f"{where}.package_type"
            ),
        )

    def package_type(self, value: Any, where: str) -> PackageType:
        try:
            return PackageType(value)
        except ValueError:
            raise self.fail(where, f"{value!r} is not one of {', '.join(PackageType)}") from None

    def question(self, entry: Any, where: str) -> Question:
        spec = self.mapping(entry, where)
        kind = spec.get("type", "text")
        server_type = QUESTION_TYPES.get(kind, kind if kind in SERVER_QUESTION_TYPES else None)
        if server_type is None:
            raise self.fail(
                f"{where}.type",
                f"{kind!r} is not one of {', '.join([*QUESTION_TYPES, *sorted(SERVER_QUESTION_TYPES)])}",
            )
        items = tuple(
            self.item(item, f"{where}.items[{i}]")
            for i, item in enumerate(self.items(spec.get("items"), f"{where}.items"))
        )
        if items and server_type not in CHOICE_TYPES:
            raise self.fail(
                f"{where}.items",
                f"only {' and '.join(sorted(CHOICE_TYPES))} questions have items, not {server_type}",
            )
        multiple = spec.get("multiple", False)
        if not isinstance(multiple, bool) or (multiple and server_type != "QuestionListBox"):
            raise self.fail(
                f"{where}.multiple",
                "expected true or false, and true only for a QuestionListBox (list) question",
            )
        default = spec.get("default", "")
        return Question(
            name=self.text(spec.get("name"), f"{where}.name"),
            type=server_type,
            description=str(spec.get("description", "")),
            default=str(default).lower() if isinstance(default, bool) else str(default),
            required=bool(spec.get("required", False)),
            multiple=multiple,
            items=items,
        )

    def item(self, entry: Any, where: str) -> QuestionItem:
        if isinstance(entry, dict):
            key = self.text(entry.get("key"), f"{where}.key")
            return QuestionItem(key=key, value=self.text(entry.get("value"), f"{where}.value", default=key))
        text = self.text(entry, where)
        return QuestionItem(key=text, value=text)

    def run(self, entry: Any, where: str, question_names: set[str]) -> RunSpec:
        spec = self.mapping(entry, where)
        seconds = spec.get("seconds", 1.0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise self.fail(f"{where}.seconds", "expected a number of seconds >= 0")
        disposition = spec.get("disposition", "Success")
        if disposition not in DISPOSITIONS:
            raise self.fail(
                f"{where}.disposition", f"{disposition!r} is not one of {', '.join(DISPOSITIONS)}"
            )
        error_when: dict[str, tuple[str, ...]] = {}
        for name, values in self.mapping(spec.get("error_when") or {}, f"{where}.error_when").items():
            if name not in question_names:
                raise self.fail(f"{where}.error_when.{name}", "names no question of this workflow")
            listed = values if isinstance(values, list) else [values]
            error_when[name] = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in listed)
        return RunSpec(
            seconds=float(seconds),
            disposition=disposition,
            error_when=error_when,
            error_message=self.text(
                spec.get("error_message"), f"{where}.error_message", default=RunSpec.error_message
            ),
            messages=tuple(
                self.message(m, f"{where}.messages[{i}]")
                for i, m in enumerate(self.items(spec.get("messages"), f"{where}.messages"))
            ),
            outputs=tuple(
                self.output(o, f"{where}.outputs[{i}]")
                for i, o in enumerate(self.items(spec.get("outputs"), f"{where}.outputs"))
            ),
        )

    def message(self, entry: Any, where: str) -> Message:
        spec = self.mapping(entry, where)
        level = spec.get("level", "info")
        if level not in MESSAGE_LEVELS:
            raise self.fail(f"{where}.level", f"{level!r} is not one of {', '.join(MESSAGE_LEVELS)}")
        tool = spec.get("tool")
        if tool is not None and (isinstance(tool, bool) or not isinstance(tool, int)):
            raise self.fail(f"{where}.tool", "expected a whole number (the toolId; -1 for the engine)")
        return Message(
            level=MESSAGE_LEVELS[level], text=self.text(spec.get("text"), f"{where}.text"), tool=tool
        )

    def output(self, entry: Any, where: str) -> Output:
        spec = self.mapping(entry, where)
        formats = tuple(self.items(spec.get("formats") or ["Csv"], f"{where}.formats"))
        for fmt in formats:
            if fmt not in OUTPUT_FORMATS:
                raise self.fail(f"{where}.formats", f"{fmt!r} is not one of {', '.join(OUTPUT_FORMATS)}")
        return Output(
            name=self.text(spec.get("name"), f"{where}.name"),
            formats=formats,
            content=str(spec.get("content", "")),
        )
