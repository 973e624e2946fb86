import argparse
import base64
import io
import re
import shutil

import pandas as pd
import pytest
from PIL import Image

from fiqa.commands import report as report_command
from reports.html import Section, format_value, render_html, table_block
from reports.report import write_report


@pytest.fixture(scope="module")
def page(synthetic_report):
    return synthetic_report.read_text(encoding="utf-8")


def _section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', page)


def test_report_has_every_section_summary_first(page):
    assert _section_ids(page) == ["summary", "edc", "verification", "outcomes", "images",
                                  "thumbnails", "failures", "metadata"]


def test_summary_ranks_measures_by_pauc_with_references_last(page, synthetic_run):
    summary = page[page.index('<section id="summary">'):page.index('<section id="edc">')]
    order = [name for name in re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>", summary)]
    pauc = pd.read_csv(synthetic_run / "edc_pauc.csv").set_index("measure")["pauc"]
    assert pauc["Sharpness"] < pauc["Noise"]  # the synthetic data makes Sharpness useful
    assert order[:4] == ["Sharpness", "Noise", "random", "perfect"]
    assert summary.count('class="reference"') == 2


def test_verification_shows_rates_and_fold_accuracy(page):
    verification = page[page.index('<section id="verification">'):
                        page.index('<section id="outcomes">')]
    assert "FNMR at fixed FMR" in verification
    assert re.search(r"2-fold accuracy: \d+\.\d\d% \+- \d+\.\d\d%", verification)
    assert "needs at least 1000 non-mated comparisons" in verification  # too few for 1e-3


def test_user_strings_are_escaped_not_markup(page, markup_name):
    escaped = markup_name.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in page  # the failed file is listed ...
    assert "<script" not in page.lower()  # ... and never becomes an element
    assert "alert(1)</script>" not in page


def test_page_is_self_contained(page):
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith(("data:image/", "#")) for s in sources)
    assert not re.search(r"https?://|@import|url\(", page)


def test_every_figure_is_a_decodable_image(page):
    images = re.findall(r'src="data:(image/(?:png|jpeg));base64,([^"]+)"', page)
    assert len(images) >= 6  # EDC (FNMR, FMR), ROC/DET, scores, outcomes, 2 thumbnail grids
    for mime, data in images:
        picture = Image.open(io.BytesIO(base64.b64decode(data)))
        assert picture.format == mime.split("/")[1].upper()
        assert picture.width > 100 and picture.height > 100


def test_tidy_tables_are_saved_beside_the_report(synthetic_report):
    folder = synthetic_report.with_name("report_tables")
    assert {p.name for p in folder.iterdir()} == {"quality.csv", "pairs.csv", "roc.csv",
                                                   "edc.csv", "pauc.csv"}
    quality = pd.read_csv(folder / "quality.csv")
    assert len(quality) == 33 * 2 and set(quality.measure) == {"Sharpness", "Noise"}
    pairs = pd.read_csv(folder / "pairs.csv")
    assert set(pairs.outcome) <= {"match", "false non-match", "non-match", "false match"}
    assert (pairs.pair_quality <= pairs[["quality_a", "quality_b"]].max(axis=1)).all()


def test_sections_without_inputs_are_left_out(tmp_path, synthetic_run):
    shutil.copy(synthetic_run / "edc_pauc.csv", tmp_path)
    out = write_report(tmp_path, tmp_path / "r.html", tables_format="parquet")
    assert _section_ids(out.read_text()) == ["summary", "metadata"]
    assert (tmp_path / "r_tables" / "pauc.parquet").is_file()


def test_scores_alone_give_image_sections(tmp_path, synthetic_run):
    shutil.copy(synthetic_run / "scores.csv", tmp_path)
    out = write_report(tmp_path, tmp_path / "r.html", tables_format=None, thumbnails=2)
    assert _section_ids(out.read_text()) == ["images", "thumbnails", "failures", "metadata"]
    assert not (tmp_path / "r_tables").exists()


def test_write_report_checks_its_options(synthetic_run, tmp_path):
    with pytest.raises(ValueError, match="unknown table format 'xlsx'"):
        write_report(synthetic_run, tmp_path / "r.html", tables_format="xlsx")
    with pytest.raises(ValueError, match="thumbnails must be at least 1"):
        write_report(synthetic_run, tmp_path / "r.html", thumbnails=0)


def test_render_html_escapes_every_field():
    block = table_block(pd.DataFrame({"<b>col</b>": ["<i>x</i>"]}), caption="<u>c</u>")
    section = Section("s", "<em>T</em>", notes=["a & b"], blocks=[block])
    page = render_html([section], title="<title>", run_folder="<dir>", generated="now")
    for raw in ("<b>", "<i>", "<u>", "<em>", "<dir>"):
        assert raw not in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page and "a &amp; b" in page


def test_format_value():
    assert [format_value(v) for v in (3.0, 0.123456, 1e-5, None, True, "a")] == [
        "3", "0.1235", "1e-05", "-", "True", "a"]


def test_report_command(synthetic_run, tmp_path, capsys):
    shutil.copy(synthetic_run / "edc_pauc.csv", tmp_path)
    parser = argparse.ArgumentParser()
    report_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["report", str(tmp_path), "-o", str(tmp_path / "x.html"),
                              "--tables", "none", "--thumbnails", "1", "--title", "My <run>"])
    assert args.run(args) == 0
    assert "wrote" in capsys.readouterr().out
    assert "<title>My &lt;run&gt;</title>" in (tmp_path / "x.html").read_text()
