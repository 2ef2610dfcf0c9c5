"""``make package-check``: build the wheel and sdist as a release would, check what they hold and declare, and
install the wheel into a fresh virtualenv with the locked Airflow to see Airflow find the provider.

The virtualenv (``.venv-package/``) is made again on every run, from uv's cache, so nothing of the development
environment leaks into it; the build goes to ``dist/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "dist"
VENV = REPO / ".venv-package"
LOCK = REPO / "constraints" / "airflow3.txt"
UV = [sys.executable, "-m", "uv"]
# What a user's install must not receive: the project's own tooling.
NEVER_SHIPPED = ("tests/", "dev/", "bench/", "example_dags/", "constraints/", ".ci/")
PACKAGE = "airflow_provider_alteryx/"
# Airflow's view of the installed provider, printed as JSON by the fresh virtualenv's Python.
PROBE = """
import json
import warnings
from importlib.metadata import distributions

from airflow.providers_manager import ProvidersManager

warnings.simplefilter("ignore")  # deprecation notices of Airflow's own, printed where the answer goes

manager = ProvidersManager()
provider = manager.providers["airflow-provider-alteryx"]
hook = manager.hooks["alteryx"]
print(json.dumps({
    "provider": provider.version,
    "connection type": [hook.connection_type, hook.hook_class_name] if hook else None,
    "extra links": sorted(link for link in manager.extra_links_class_names if "alteryx" in link),
    "triggers": sorted(t.trigger_class_name for t in manager.trigger if "alteryx" in t.trigger_class_name),
    "integration tags": [i.get("tags") for i in provider.data["integrations"]],
    # Airflow itself needs YAML; the provider must not, outside its emulator extra.
    "pyyaml required by": sorted(
        d.metadata["Name"] for d in distributions()
        if any(r.lower().startswith("pyyaml") and "extra ==" not in r for r in d.requires or [])
    ),
}))
"""


def run(*command: str | Path, capture: bool = False) -> str:
    completed = subprocess.run([str(part) for part in command], check=True, text=True, capture_output=capture)
    return completed.stdout if capture else ""


def build() -> tuple[Path, Path]:
    """Wheel and sdist; uv builds the wheel from the sdist, so a file missing from the sdist breaks the wheel."""
    shutil.rmtree(DIST, ignore_errors=True)
    # From a copy of what git tracks: untracked files and build leftovers in the working tree stay out.
    with tempfile.TemporaryDirectory(prefix="alteryx-package-") as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        tracked = run("git", "-C", REPO, "ls-files", "-z", capture=True).split("\0")
        for name in filter(None, tracked):
            if (REPO / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, source / name)
        run(*UV, "build", "--quiet", "--out-dir", DIST, source)
    (wheel,) = DIST.glob("*.whl")
    (sdist,) = DIST.glob("*.tar.gz")
    return wheel, sdist


def check_contents(wheel: Path, sdist: Path) -> list[str]:
    problems = []
    wheel_names = zipfile.ZipFile(wheel).namelist()
    outside = [n for n in wheel_names if not n.startswith(PACKAGE) and ".dist-info/" not in n]
    problems += [f"wheel holds {name}, outside the package" for name in outside]
    with tarfile.open(sdist) as archive:
        # Every member sits under the sdist's own top folder (name-version/).
        sdist_names = [name.partition("/")[2] for name in archive.getnames()]
    problems += [
        f"sdist holds {name}"
        for name in sdist_names
        if name.startswith(NEVER_SHIPPED) or "__pycache__" in name
    ]
    for required in (f"{PACKAGE}py.typed", f"{PACKAGE}emulator/demo_catalogue.yaml", "licenses/LICENSE"):
        if not any(name.endswith(required) for name in wheel_names):
            problems.append(f"wheel lacks {required}")
    print(f"{wheel.name}: {len(wheel_names)} files; {sdist.name}: {len(sdist_names)} entries")
    return problems


def development_tools() -> set[str]:
    """The projects pyproject.toml's dependency groups name: what developing the provider needs, never its users."""
    groups = tomllib.loads((REPO / "pyproject.toml").read_text())["dependency-groups"]
    return {canonicalize_name(Requirement(line).name) for lines in groups.values() for line in lines}


def check_metadata(wheel: Path) -> list[str]:
    """The wheel's declared dependencies and entry points: YAML only with the emulator, none of the development
    tools (they would reach users through an extra), no pytest plugin."""
    archive = zipfile.ZipFile(wheel)
    info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(archive.read(info).decode())
    entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    requirements = metadata.get_all("Requires-Dist") or []
    problems = [
        f"pyyaml is a dependency without the emulator extra: {req}"
        for req in requirements
        if req.lower().startswith("pyyaml") and 'extra == "emulator"' not in req
    ]
    tools = development_tools()
    problems += [
        f"the wheel requires {req}, a development tool (pyproject.toml's dependency groups), which users never need"
        for req in requirements
        if canonicalize_name(Requirement(req).name) in tools
    ]
    if "pytest11" in entry_points:
        problems.append("the wheel registers a pytest plugin every pytest session would load")
    urls = sorted(url.partition(",")[0] for url in metadata.get_all("Project-URL") or [])
    print(f"extras: {', '.join(metadata.get_all('Provides-Extra') or [])}; project URLs: {', '.join(urls)}")
    return problems


def check_installed(wheel: Path) -> list[str]:
    """The wheel in a fresh virtualenv with the locked Airflow: what Airflow's providers manager lists."""
    shutil.rmtree(VENV, ignore_errors=True)
    started = time.monotonic()
    run(*UV, "venv", "--quiet", "--python", sys.executable, VENV)
    python = VENV / "bin" / "python"
    run(*UV, "pip", "install", "--quiet", "--python", python, "-c", LOCK, wheel)
    print(f"fresh virtualenv with the wheel and the locked Airflow in {time.monotonic() - started:.1f} s")
    # Airflow may log to stdout first: the answer is the last line.
    found = json.loads(run(python, "-c", PROBE, capture=True).strip().splitlines()[-1])
    print(json.dumps(found, indent=2))
    expected = {
        "connection type": ["alteryx", "airflow_provider_alteryx.hooks.alteryx.AlteryxServerHook"],
        "extra links": ["airflow_provider_alteryx.operators.alteryx.AlteryxWorkflowLink"],
        "triggers": [
            "airflow_provider_alteryx.triggers.alteryx",
            "airflow_provider_alteryx.triggers.workflow_events",
        ],
        "integration tags": [["software"]],
    }
    problems = [
        f"{key}: Airflow lists {found[key]}, not {want}"
        for key, want in expected.items()
        if found[key] != want
    ]
    if "airflow-provider-alteryx" in found["pyyaml required by"]:
        problems.append("the installed provider requires pyyaml")
    return problems


def main() -> int:
    wheel, sdist = build()
    problems = check_contents(wheel, sdist) + check_metadata(wheel)
    print(
        run(
            sys.executable, "-m", "twine", "--no-color", "check", "--strict", wheel, sdist, capture=True
        ).strip()
    )
    problems += check_installed(wheel)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
