"""The user docs stay true: the event reference is generated from the contract, every
environment variable is documented, and no doc or comment points outside the repository.

``python -m tests.test_docs`` rewrites the generated part of docs/events.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from metrics import events, settings

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DOC = ROOT / "docs" / "events.md"
START = ("<!-- generated from metrics/events.py: run `python -m tests.test_docs` after "
         "changing it -->")
END = "<!-- end of generated -->"


def _generated(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_event_reference_is_generated_from_the_contract():
    assert _generated(EVENTS_DOC.read_text(encoding="utf-8")) == events.markdown().strip(), (
        "docs/events.md is out of date: run `python -m tests.test_docs`")


def test_every_environment_variable_read_is_declared_and_documented():
    declared = {s.name for s in settings.SETTINGS}
    used = set()
    for path in [*ROOT.glob("metrics/**/*.py"), *ROOT.glob("dashboard/**/*.py")]:
        used |= set(re.findall(r"MLKPI_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert used <= declared, f"read but not declared in metrics/settings.py: {used - declared}"
    readme_and_docs = "\n".join(p.read_text(encoding="utf-8")
                                for p in [ROOT / "README.md", *ROOT.glob("docs/*.md")])
    assert {n for n in declared if n not in readme_and_docs} == set()


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"\.\./shared\b|\bshared/(notes|spec|seeds|house)")
    files = [p for p in ROOT.rglob("*") if p.suffix in (".py", ".md", ".toml", ".cfg")
             and ".git" not in p.parts and not any(part.startswith(".") and part != ".ci"
                                                   for part in p.relative_to(ROOT).parts)]
    hits = [str(p.relative_to(ROOT)) for p in files if outside.search(p.read_text("utf-8"))]
    assert hits == []


def test_readme_links_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)\)", text):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), f"README links to {target}, which is not there"


if __name__ == "__main__":
    text = EVENTS_DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    EVENTS_DOC.write_text(f"{head}{START}\n\n{events.markdown()}{END}{tail}", encoding="utf-8")
    print(f"rewrote {EVENTS_DOC}")
