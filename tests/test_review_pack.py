"""The review pack read back from its files: the PDF at A4 and Letter (text and the boxes
of everything drawn, with pdfplumber), the CSV's encoding, the HTML's self-containment."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.cli.main import main
from metrics.ingest.run import ingest
from metrics.kpi.report import kpi_report
from metrics.periods import parse_period
from metrics.review import wording
from metrics.review.html import MARGIN_MM

pdfplumber = pytest.importorskip("pdfplumber")

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
Q = "2026Q3"
PT_PER_MM = 72 / 25.4
PAPER_PT = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
SLACK = 1.0  # pt: anti-aliasing of a stroke's half-width at the very edge


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("review") / "mlkpi.duckdb"
    for path in sorted(SAMPLE.iterdir()):
        result = ingest(db, path.name.split(".")[0], [str(path)])
        assert result.exit_code == 0, path
    return db


@pytest.fixture(scope="module")
def report(sample_db: Path) -> dict:
    return kpi_report(sample_db, parse_period(Q))


def write(db: Path, out: Path, *extra: str) -> Path:
    assert main(["--db", str(db), "report", "--period", Q, "--out", str(out), *extra]) == 0
    return out


def squash(text: str) -> str:
    """Text without white space: SVG text in a PDF carries its spaces as gaps, which a
    reader finds or not depending on the font size."""
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_has_every_kpi_inside_the_margins(sample_db, report, tmp_path, paper) -> None:
    pdf_path = write(sample_db, tmp_path / "review.pdf", "--paper", paper)
    width, height = PAPER_PT[paper]
    margin = MARGIN_MM * PT_PER_MM
    with pdfplumber.open(pdf_path) as pdf:
        pages = pdf.pages
        texts = [squash(p.extract_text() or "") for p in pages]
        everything = " ".join(texts)
        for page in pages:
            assert page.width == pytest.approx(width, abs=0.5)
            assert page.height == pytest.approx(height, abs=0.5)
        # every KPI: its name, and its chart's headline with value and status word
        headlines = 0
        for kpi in report["kpis"]:
            assert squash(kpi["name"]) in everything, kpi["id"]
            headline = (f"{Q}: {wording.number(kpi['value'], kpi['unit'])} · "
                        f"{wording.status(kpi['status'])}")
            assert squash(headline) in everything, headline
            assert squash(wording.status_mark(kpi["status"])) in everything
            headlines += everything.count(squash(headline))
        assert headlines >= len(load_catalog())
        chart_pages = [i for i, t in enumerate(texts) if f"{Q}:" in t]
        assert chart_pages, "no chart page found"
        for i, page in enumerate(pages):
            _inside_margins(page, width, height, margin, i + 1, len(pages))
            if i in chart_pages:  # the reviewed quarter's label, on the page, every time
                labels = [w for w in page.extract_words(x_tolerance=1)
                          if w["text"].startswith(Q) and w["top"] < height - margin]
                assert labels, f"page {i + 1} has a chart but no {Q} label"
                for w in labels:
                    assert margin - SLACK <= w["x0"] and w["x1"] <= width - margin + SLACK
                    assert margin - SLACK <= w["top"] and w["bottom"] <= height - margin


def _inside_margins(page, width: float, height: float, margin: float, number: int,
                    total: int) -> None:
    """Everything drawn lies inside the margins, but the page number in the bottom one."""
    footer_top = height - margin
    footer = "".join(c["text"] for c in page.chars if c["top"] >= footer_top)
    assert f"page{number}of{total}" in squash(footer)
    drawn = [*page.chars, *page.rects, *page.lines, *page.curves, *page.images]
    assert drawn
    for obj in drawn:
        if obj.get("text") is not None and obj["top"] >= footer_top:
            assert obj["x0"] >= 0 and obj["x1"] <= width and obj["bottom"] <= height
            continue
        where = f"page {number}: {obj.get('object_type')} {obj.get('text', '')!r} at " \
                f"x {obj['x0']:.1f}–{obj['x1']:.1f}, y {obj['top']:.1f}–{obj['bottom']:.1f}"
        assert obj["x0"] >= margin - SLACK and obj["x1"] <= width - margin + SLACK, where
        assert obj["top"] >= margin - SLACK and obj["bottom"] <= footer_top + SLACK, where


def test_csv_opens_in_excel_with_unrounded_numbers(sample_db, report, tmp_path) -> None:
    raw = write(sample_db, tmp_path / "review.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads "≥" and "–" right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["kpi_id"] for r in rows] == list(load_catalog())
    by_id = {r["kpi_id"]: r for r in rows}
    for kpi in report["kpis"]:
        row = by_id[kpi["id"]]
        if kpi["value"] is None:
            assert row["value"] == ""
        else:
            assert float(row["value"]) == kpi["value"]  # unrounded: equal, not approx
        assert row["status"] == wording.status(kpi["status"])
        assert row["data"] in ("fresh", "stale")
        assert row["restated"] == "no"
    assert "False" not in raw.decode("utf-8-sig") and "None" not in raw.decode("utf-8-sig")


def test_html_is_self_contained_and_worded(sample_db, report, tmp_path) -> None:
    page = write(sample_db, tmp_path / "review.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
    assert not re.search(r"url\((?!#)", page)  # only the charts' own clip paths, url(#…)
    assert "@import" not in page and "<script" not in page
    assert page.count("<svg") == len(load_catalog())
    assert "False" not in page and "None" not in page and "nan" not in page.lower().split()
    for kpi in report["kpis"]:
        assert wording.number(kpi["value"], kpi["unit"]) in page


def test_markdown_has_the_table_and_summary(sample_db, report, tmp_path) -> None:
    text = write(sample_db, tmp_path / "review.md").read_text(encoding="utf-8")
    good = sum(k["status"] in ("on_track", "ahead") for k in report["kpis"])
    assert f"{good} of {len(report['kpis'])} KPIs on track or ahead." in text
    assert text.count("\n| ") == len(report["kpis"]) + 1  # header and one row per KPI


@pytest.mark.parametrize("argv, words", [
    (["--period", "2026Q9", "--out", "x.pdf"], "is not a period"),
    (["--period", "2026-08", "--out", "x.pdf"], "covers a whole quarter"),
    (["--period", Q, "--out", "x.docx"], "cannot tell the format"),
    (["--period", Q, "--out", "/no/such/folder/x.pdf"], "does not exist"),
    (["--period", Q, "--out", "x.pdf", "--paper", "a3"], "invalid choice"),
    (["--period", Q, "--team", "nobody", "--out", "x.pdf"], "nobody"),
])
def test_bad_options_say_one_sentence(sample_db, tmp_path, capsys, argv, words,
                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["--db", str(sample_db), "report", *argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()
