"""The module contract: the installed modules declare what they bring, the spine
mounts it knowing none of them by name, and a new module is one folder and one line."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from afterward import job_handlers, jobs, modules, privacy
from afterward.events import Event
from afterward.worker import Worker, load_handlers

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "afterward"
SPINE = ("app.py", "worker.py", "privacy.py", "storage/registry.py", "web/admin/__init__.py",
         "web/pages/__init__.py", "cli/main.py", "jobs.py", "events.py")
OUTER = ("afterward.api", "afterward.web", "afterward.cli")
ADAPTERS = {"module.py"}  # a module's declaration names outer-layer objects as strings only


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def package_files(package: str) -> Iterator[Path]:
    yield from (SRC / package.removeprefix("afterward.").replace(".", "/")).rglob("*.py")


def test_every_reference_an_installed_module_gives_resolves():
    fields = ("tables", "api", "pages", "admin", "jobs", "periodic", "consumers", "privacy",
              "templates", "hold_probes", "facts", "message_parts",
              "journey_steps", "texts")

    unresolved = []
    for field in fields:
        for reference in modules.each(field):
            try:
                modules.resolve(reference)
            except (ImportError, AttributeError) as exc:
                unresolved.append(f"{field}: {reference}: {exc}")

    assert unresolved == []
    assert [m.name for m in modules.installed()] == ["commerce", "tracking", "messaging",
                                                     "journeys", "returns", "loyalty",
                                                     "feedback", "insights", "assistant"]


def test_a_module_s_facts_root_names_its_fields_and_a_loader():
    for provider in modules.resolved("facts"):
        assert isinstance(provider.NAME, str) and provider.NAME
        assert isinstance(provider.FIELDS, frozenset) and provider.FIELDS
        assert callable(provider.load)


def test_the_spine_names_no_module():
    named = {}
    for name in SPINE:
        text = (SRC / name).read_text(encoding="utf-8")
        named[name] = [package for package in modules.INSTALLED if package in text]

    assert named == {name: [] for name in SPINE}


@pytest.mark.parametrize("package", modules.INSTALLED)
def test_a_module_s_own_files_never_import_the_api_web_or_cli_layers(package):
    offenders = [f"{path.name}: {name}" for path in package_files(package)
                 if path.name not in ADAPTERS
                 for name in imports_of(path) if name.startswith(OUTER)]

    assert offenders == []


def test_messaging_imports_no_module_that_sends_through_it():
    offenders = [f"{path.name}: {name}" for path in package_files("afterward.messaging")
                 for name in imports_of(path) if name.startswith("afterward.journeys")]

    assert offenders == []


def test_the_admin_navigation_comes_from_the_modules_in_order():
    assert [(e.label, e.path) for e in modules.navigation()] == [
        ("Orders", "/admin/orders"), ("Shipments", "/admin/shipments"),
        ("Customers", "/admin/customers"), ("Returns", "/admin/returns"),
        ("Loyalty", "/admin/loyalty"), ("Reviews", "/admin/reviews"),
        ("Journeys", "/admin/journeys"), ("Conversations", "/admin/conversations"),
        ("Surveys", "/admin/surveys"),
        ("What customers say", "/admin/insights/words"),
        ("Cohorts and KPIs", "/admin/insights"), ("Programs", "/admin/insights/programs"),
        ("Messages", "/admin/messages"),
        ("Deliveries set aside", "/admin/deliveries")]


@pytest.fixture
def hello_installed(monkeypatch) -> Iterator[None]:
    """modules.INSTALLED with one more line, as a developer adding a module writes it."""
    monkeypatch.setattr(modules, "INSTALLED", (*modules.INSTALLED,
                                               "tests.modules_example.hello"))
    for cached in (modules.installed, modules.resolved):
        cached.cache_clear()
    yield
    for cached in (modules.installed, modules.resolved):
        cached.cache_clear()
    # What the example registered when it was imported goes with it, so the other
    # tests in this process see the installed modules only.
    privacy._SECTIONS.pop("hello", None)
    job_handlers._HANDLERS.pop("hello.count", None)


def test_a_new_module_is_one_folder_and_one_line(hello_installed, settings, db, make_store):
    from fastapi.testclient import TestClient

    from afterward.app import create_app

    store = make_store("hi")
    load_handlers()
    client = TestClient(create_app(settings, db))

    greeted = client.post("/api/v1/hello", headers=store.auth)
    Worker(db).run(until_idle=True)

    assert greeted.status_code == 200
    assert "/api/v1/hello" in client.get("/openapi.json").json()["paths"]
    assert jobs.handler_for("hello.count") is not None
    assert "hello" in {s.name for s in privacy.sections()}
    assert ("Hello", "/admin/hello") in [(e.label, e.path) for e in modules.navigation()]
    assert "hello.greeted" in modules.event_names()
    with db.reading() as session:
        names = list(session.scalars(select(Event.name).where(Event.store_id == store.id)
                                     .order_by(Event.id)))
    assert names[-2:] == ["hello.greeted", "hello.counted"]


def test_a_new_module_s_command_group_joins_the_cli():
    # The CLI is assembled when it is imported: a fresh process with one more line.
    program = ("import afterward.modules as m; "
               "m.INSTALLED += ('tests.modules_example.hello',); "
               "from afterward.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", program, "hello", "wave"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})

    assert (result.returncode, result.stdout) == (0, "hello\n")
