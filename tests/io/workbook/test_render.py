"""Render an example workbook the way a partner's spreadsheet program would print it: to PDF
with LibreOffice, then to PNG pages; the charts must be drawn."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests import libreoffice as lo


def test_example_renders_to_pdf_and_png_with_charts(
    example_workbooks: dict[str, Path], tmp_path: Path
) -> None:
    soffice = lo.require_libreoffice()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = example_workbooks["balsall_heath_community_safety"]
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=300,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    pdf = tmp_path / f"{source.stem}.pdf"
    assert pdf.exists(), done.stderr.decode()
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:"))
    )
    assert pages >= 8  # the cover and at least a page per sheet
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    images = sorted(tmp_path.glob("page*.png"))
    assert images
    assert all(image.stat().st_size > 2000 for image in images)
