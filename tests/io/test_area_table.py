"""Reading area tables (``cba batch``): what a user's CSV or Parquet file can look like, and
the located message for each file that cannot be read as a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from cba.io.area_table import AreaTableError, read_area_table


def write(tmp_path: Path, text: str, name: str = "areas.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_table_or_a_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(AreaTableError, match=r"nope\.csv: .*not found|nope\.csv: no such"):
        read_area_table(tmp_path / "nope.csv")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(AreaTableError) as caught:
        read_area_table(tmp_path / "d.csv")
    assert str(caught.value).startswith(f"{tmp_path / 'd.csv'}: ")
    assert "folder" in str(caught.value)


def test_a_header_without_rows_is_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(AreaTableError, match="has no areas"):
        read_area_table(write(tmp_path, "area_id,population\n\n\n"))


def test_blank_lines_are_skipped_and_rows_keep_their_lines(tmp_path: Path) -> None:
    table = read_area_table(
        write(tmp_path, 'area_id,name\nA,Alpha\n\n , \nB,"Beta\nnorth"\nC,Gamma\n')
    )
    assert [row[0] for row in table.rows] == ["A", "B", "C"]
    assert [table.row_number(k) for k in range(3)] == [2, 5, 7]


def test_consecutive_rows_are_numbered_from_line_2(tmp_path: Path) -> None:
    table = read_area_table(write(tmp_path, "area_id\nA\nB\n"))
    assert table.lines is None and [table.row_number(k) for k in range(2)] == [2, 3]


@pytest.mark.parametrize(("separator", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_table_separated_by_something_else_says_so(
    tmp_path: Path, separator: str, word: str
) -> None:
    text = separator.join(["area_id", "population"]) + "\n" + separator.join(["A", "1"]) + "\n"
    with pytest.raises(AreaTableError, match=f"separated by {word}; cba reads comma-separated"):
        read_area_table(write(tmp_path, text))
