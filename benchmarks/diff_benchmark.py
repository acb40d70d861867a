"""``cba diff`` benchmark (part of ``make bench``): two versions of the 50-line, 30-year
scenario of :mod:`whatif_benchmark`, ten inputs changed (five cost amounts up 10%, five
deadweights up 0.05, on ten lines), attributed by exact Shapley values (1,024 coalitions, one
batched evaluation of the compiled model). Target (issue 12): ``cba.diff`` takes at most 3x one
``cba.run`` in-process. Both the bare run (no sensitivity, no uncertainty) and the default run
(with the sensitivity analysis ``cba run`` does) are quoted; medians of 7 after a warm-up.

Then every cost amount and deadweight changed (more lines than an exact attribution takes: the
shares are estimated by permutation sampling), timed the same way.

Run alone with ``python benchmarks/diff_benchmark.py``.
"""

from __future__ import annotations

from whatif_benchmark import median_of, synthetic_scenario

import cba

TARGET = 3.0
RUNS = 7


def main() -> None:
    scenario = synthetic_scenario()
    compiled = cba.compile_scenario(scenario)
    scheme = [p for p in compiled.parameters if p.startswith("options.scheme.")]
    costs = [p for p in scheme if p.endswith("amount_per_year")][:5]
    shares = [p for p in scheme if p.endswith("deadweight")][:5]
    values: dict[str, float] = {p: float(compiled.parameters[p].value) * 1.1 for p in costs}
    values.update({p: min(0.9, float(compiled.parameters[p].value) + 0.05) for p in shares})
    new = cba.with_values(scenario, values)
    found = cba.diff(scenario, new)
    bare_s, _ = median_of(lambda: cba.run(scenario, sensitivity=False, uncertainty=False), RUNS)
    full_s, _ = median_of(lambda: cba.run(scenario), RUNS)
    diff_s, _ = median_of(lambda: cba.diff(scenario, new), RUNS)
    ratio = diff_s / bare_s
    print(f"cba diff: 50 lines, 30 years, {len(values)} changed inputs; {found.method}")
    print(f"  cba.diff                                      {diff_s * 1e3:8.1f} ms")
    print(f"  cba.run, no sensitivity or uncertainty        {bare_s * 1e3:8.1f} ms")
    print(f"  cba.run, default (with the sensitivity tests) {full_s * 1e3:8.1f} ms")
    verdict = "target met" if ratio <= TARGET else "target NOT met"
    print(f"  diff / bare run  [target <= {TARGET:g}]            {ratio:8.2f}x  {verdict}")
    print(f"  diff / default run                            {diff_s / full_s:8.2f}x")
    npsv = found.attribution("scheme")
    total = sum(s for _, s in npsv.contributions if s is not None)
    print(f"  shares add up: {total:,.6f} vs change {npsv.change:,.6f} GBP")
    # every cost amount and deadweight changed: more lines than an exact attribution takes
    many = {p: float(compiled.parameters[p].value) * 1.1 for p in scheme if p.endswith("per_year")}
    many.update(
        {
            p: min(0.9, float(compiled.parameters[p].value) + 0.05)
            for p in scheme
            if p.endswith("deadweight")
        }
    )
    changed = cba.with_values(scenario, many)
    estimated = cba.diff(scenario, changed)
    sampled_s, _ = median_of(lambda: cba.diff(scenario, changed), RUNS)
    print(f"cba diff: {len(many)} changed inputs; {estimated.method}")
    print(f"  cba.diff, estimated                           {sampled_s * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
