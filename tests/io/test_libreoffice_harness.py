"""The LibreOffice recalculation harness (tests/libreoffice.py) checked on workbooks made here.

These prove the harness can be trusted before it is used on cba's own workbooks: it really
recalculates (stale cached values are caught), it agrees with numpy to 1e-12, it batches, and
it reports errors and missing outputs clearly.
"""

from __future__ import annotations

import re
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from tests import libreoffice as lo


@pytest.fixture
def soffice() -> str:
    return lo.require_libreoffice()


def _inject_cached(path: Path, cached: dict[str, float | str]) -> None:
    """Give formula cells of the first sheet a cached value, as a writer like cba would.

    openpyxl writes ``<c r="B2"><f>...</f><v /></c>``; this rewrites the empty ``<v />`` (and
    marks text results ``t="str"``) inside the saved zip.
    """
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info)) for info in zin.infolist()]
    out: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info, data in items:
        if info.filename == member:
            xml = data.decode("utf-8")
            for ref, value in cached.items():
                pattern = re.compile(rf'<c r="{ref}"([^>]*)>(<f[^>]*>[^<]*</f>)<v\s*/>')
                if isinstance(value, str):
                    text = value.replace("&", "&amp;").replace("<", "&lt;").replace("\\", "\\\\")
                    repl = rf'<c r="{ref}"\g<1> t="str">\g<2><v>{text}</v>'
                else:
                    repl = rf'<c r="{ref}"\g<1>>\g<2><v>{float(value)!r}</v>'
                xml, n = pattern.subn(repl, xml)
                assert n == 1, f"no empty formula cell {ref} in {member}"
            data = xml.encode("utf-8")
        out.append((info, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in out:
            zout.writestr(info, data)


def _simple_book(path: Path, k: float = 3.0) -> Path:
    """B1 = 2, B2 = B1*k, B3 = B2+1, C1 = "a"&"b" (a text result)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "input"
    ws["B1"] = 2
    ws["B2"] = f"=B1*{k!r}"
    ws["B3"] = "=B2+1"
    ws["C1"] = '="a"&"b"'
    wb.save(path)
    return path


# --- (a) wrong cached values are caught, right ones pass -----------------------------------------


def test_wrong_cached_values_are_reported_and_right_ones_pass(soffice: str, tmp_path: Path) -> None:
    wrong = _simple_book(tmp_path / "wrong.xlsx")
    _inject_cached(wrong, {"B2": 123, "B3": 7, "C1": "ax"})  # right: B2 = 6, B3 = 7, C1 = "ab"
    right = _simple_book(tmp_path / "right.xlsx")
    _inject_cached(right, {"B2": 6, "B3": 7, "C1": "ab"})
    # The cached values really are in the files (a reader without an engine sees them) ...
    assert lo.values(wrong)[("Sheet", "B2")] == 123
    assert lo.values(right)[("Sheet", "C1")] == "ab"

    outputs = lo.recalculate([wrong, right], tmp_path / "lo", soffice=soffice)

    # ... and LibreOffice replaced them: its recalculation is not the stale cache.
    assert lo.values(outputs[wrong])[("Sheet", "B2")] == 6
    problems = lo.compare_recalculated(wrong, outputs[wrong])
    assert problems == [
        "Sheet!C1: cached 'ax' vs LibreOffice 'ab' (formula =\"a\"&\"b\")",
        "Sheet!B2: cached 123.0 vs LibreOffice 6 (formula =B1*3.0)",
    ]
    assert lo.compare_recalculated(right, outputs[right]) == []


def test_missing_cached_value_is_a_mismatch(soffice: str, tmp_path: Path) -> None:
    book = _simple_book(tmp_path / "bare.xlsx")  # openpyxl stores no cached values
    outputs = lo.recalculate([book], tmp_path / "lo", soffice=soffice)
    problems = lo.compare_recalculated(book, outputs[book])
    assert [p.split(":")[0] for p in problems] == ["Sheet!C1", "Sheet!B2", "Sheet!B3"]
    assert all("cached None vs LibreOffice" in p for p in problems)


# --- (b) SUMPRODUCT over a discount-factor row agrees with numpy -------------------------------


def test_sumproduct_over_chained_discount_factors_matches_numpy(
    soffice: str, tmp_path: Path
) -> None:
    years = 61
    rates = np.where(np.arange(years) <= 30, 0.035, 0.03)  # the Green Book's first step down
    flows = np.random.default_rng(20240607).normal(1e6, 4e5, years)
    factors = np.empty(years)
    factors[0] = 1.0
    for t in range(1, years):
        factors[t] = factors[t - 1] / (1.0 + rates[t])
    npv = float(np.sum(factors * flows))

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    cols = [openpyxl.utils.get_column_letter(t + 2) for t in range(years)]
    ws["A1"], ws["A2"], ws["A3"], ws["A5"] = "factor", "rate", "flow", "NPV"
    for t, col in enumerate(cols):
        ws[f"{col}1"] = 1 if t == 0 else f"={cols[t - 1]}1/(1+{col}2)"
        ws[f"{col}2"] = float(rates[t])
        ws[f"{col}3"] = float(flows[t])
    ws["B5"] = f"=SUMPRODUCT(B1:{cols[-1]}1,B3:{cols[-1]}3)"
    book = tmp_path / "npv.xlsx"
    wb.save(book)
    _inject_cached(book, {f"{col}1": factors[t] for t, col in enumerate(cols) if t} | {"B5": npv})

    out = lo.recalculate([book], tmp_path / "lo", soffice=soffice)[book]

    got = lo.values(out)
    assert got[("Sheet", "B5")] == pytest.approx(npv, rel=1e-12)
    for t, col in enumerate(cols):
        assert got[("Sheet", f"{col}1")] == pytest.approx(factors[t], rel=1e-12)
    assert lo.compare_recalculated(book, out) == []
    # A cached NPV off by one part in 1e9 is caught at the default tolerance.
    off = tmp_path / "off.xlsx"
    wb.save(off)
    _inject_cached(off, {f"{col}1": factors[t] for t, col in enumerate(cols) if t})
    _inject_cached(off, {"B5": npv * (1 + 1e-9)})
    problems = lo.compare_recalculated(off, out)
    assert len(problems) == 1
    assert problems[0].startswith("Sheet!B5: cached ")
    assert problems[0].endswith(f"(formula =SUMPRODUCT(B1:{cols[-1]}1,B3:{cols[-1]}3))")


# --- (c) one soffice call for a batch --------------------------------------------------------


def test_batch_of_five_in_one_soffice_call(
    soffice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = []
    for i in range(5):
        folder = tmp_path / f"in{i}"
        folder.mkdir()
        books.append(_simple_book(folder / f"book{i}.xlsx", k=float(i + 1)))
    calls: list[list[str]] = []
    real_popen = subprocess.Popen

    def counting_popen(cmd: list[str], **kwargs: object) -> subprocess.Popen[str]:
        calls.append(cmd)
        return real_popen(cmd, **kwargs)

    monkeypatch.setattr(lo.subprocess, "Popen", counting_popen)
    start = time.perf_counter()
    outputs = lo.recalculate(books, tmp_path / "lo", soffice=soffice)
    elapsed = time.perf_counter() - start

    assert len(calls) == 1, calls
    assert sorted(outputs) == sorted(books)
    for i, book in enumerate(books):
        assert outputs[book] == tmp_path / "lo" / f"book{i}.xlsx"
        assert lo.values(outputs[book])[("Sheet", "B2")] == pytest.approx(2.0 * (i + 1))
    print(f"one soffice call for {len(books)} workbooks: {elapsed:.2f} s")


def test_batch_names_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = _simple_book(tmp_path / "a" / "same.xlsx")
    two = _simple_book(tmp_path / "b" / "same.xlsx")
    with pytest.raises(ValueError, match="share the name 'same'"):
        lo.recalculate([one, two], tmp_path / "lo")


def test_output_must_not_overwrite_input(tmp_path: Path) -> None:
    book = _simple_book(tmp_path / "book.xlsx")
    with pytest.raises(ValueError, match="would overwrite the input"):
        lo.recalculate([book], tmp_path)


def test_empty_batch_runs_nothing(tmp_path: Path) -> None:
    assert lo.recalculate([], tmp_path / "lo") == {}


# --- (d) formula errors are reported ------------------------------------------------------------


def test_formula_errors_are_reported(soffice: str, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Cash flows"
    ws["B1"] = "=1/0"
    ws["B2"] = "=NOSUCHFUNCTION(1)"
    ws["B3"] = '="x"+1'
    ws["B4"] = "=2+2"
    book = tmp_path / "errors.xlsx"
    wb.save(book)
    _inject_cached(book, {"B1": 0, "B2": 0, "B3": 0, "B4": 4})

    out = lo.recalculate([book], tmp_path / "lo", soffice=soffice)[book]

    problems = lo.compare_recalculated(book, out)
    assert problems == [
        "'Cash flows'!B1: LibreOffice gives error #DIV/0! (cached 0.0, formula =1/0)",
        "'Cash flows'!B2: LibreOffice gives error #NAME? (cached 0.0, formula =NOSUCHFUNCTION(1))",
        "'Cash flows'!B3: LibreOffice gives error #VALUE! (cached 0.0, formula =\"x\"+1)",
    ]


def test_error_values_recognised() -> None:
    for value in ("#DIV/0!", "#NAME?", "#VALUE!", "#N/A", "#REF!", "#NUM!", "Err:502"):
        assert lo.is_error_value(value)
    for value in ("#1 option", "Error", 0, None, "n/a"):
        assert not lo.is_error_value(value)


# --- (e) a missing output is a clear error ----------------------------------------------------


def test_missing_output_is_reported_with_soffice_output(soffice: str, tmp_path: Path) -> None:
    good = _simple_book(tmp_path / "good.xlsx")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a workbook\n")
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip file")
    out_dir = tmp_path / "lo"
    out_dir.mkdir()
    (out_dir / "fake.xlsx").write_bytes(b"stale")  # a stale copy must not count as an output

    with pytest.raises(lo.LibreOfficeError) as caught:
        lo.recalculate([good, notes, fake], out_dir, soffice=soffice)

    message = str(caught.value)
    assert "no recalculated copy of 2 of 3 workbook(s)" in message
    assert str(notes) in message
    assert str(fake) in message
    assert str(good) not in message.split("stdout:")[0]
    assert "stderr:" in message
    assert "could not be loaded" in message  # soffice's own words are passed on
    assert caught.value.converted == {good: out_dir / "good.xlsx"}


def test_missing_input_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.xlsx"):
        lo.recalculate([tmp_path / "nowhere.xlsx"], tmp_path / "lo")


# --- require_libreoffice ------------------------------------------------------------------------


def test_require_libreoffice_skips_or_fails_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: None)
    monkeypatch.delenv(lo.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        lo.require_libreoffice()
    monkeypatch.setenv(lo.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="CBA_REQUIRE_LIBREOFFICE=1"):
        lo.require_libreoffice()


def test_timeout_is_reported_and_the_profile_stays_usable(soffice: str, tmp_path: Path) -> None:
    book = _simple_book(tmp_path / "slow.xlsx")
    with pytest.raises(lo.LibreOfficeError, match="did not finish within"):
        lo.recalculate([book], tmp_path / "lo", soffice=soffice, timeout=0.2)
    outputs = lo.recalculate([book], tmp_path / "lo", soffice=soffice)
    assert lo.values(outputs[book])[("Sheet", "B2")] == 6
