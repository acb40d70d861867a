"""What native code writes to file descriptor 1 goes to standard error inside the guard."""

from __future__ import annotations

import os

import pytest

from cba.io.native_output import native_stdout_to_stderr


def test_descriptor_1_goes_to_stderr_and_comes_back(capfd: pytest.CaptureFixture[str]) -> None:
    os.write(1, b"before\n")
    with native_stdout_to_stderr():
        os.write(1, b"HighsMipSolverData stray line\n")
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert out == "before\nafter\n"
    assert err == "HighsMipSolverData stray line\n"
