"""Pure numerical kernels on numpy arrays: no file I/O, no pydantic, no openpyxl.

Every function works on float64 arrays with **time on the last axis** (``(..., year)``) and
broadcasts over any leading axes, so one code path serves a single run, a scale sweep and
Monte Carlo draws. Undefined results are NaN inside the engine; the results layer turns them
into an explicit "undefined" with a reason.
"""
