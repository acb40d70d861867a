"""Generate a synthetic table of English neighbourhoods (issue 16).

Each row is an invented neighbourhood about the size of a Middle layer Super Output Area (MSOA)
or a ward, such as Balsall Heath: residents, households, an Index of Multiple Deprivation (IMD)
decile, police-recorded residential burglary and anti-social behaviour (ASB) rates, the share of
adults who volunteer formally each month, and a local labour-cost index. Every column is drawn
from a published distribution; the crime and volunteering rates follow deprivation as the
evidence says (more deprived: more burglary and ASB, less formal volunteering). The places are
not real and the table is illustrative; it is for running area-level templates, such as the
Balsall Heath community-safety scenario, across many neighbourhoods at once.

Sources and grades for every parameter are in the comments below and in
``docs/research/area-distributions-issue-16.md``. Grades, as in ``docs/research/``:
READ-PRIMARY (read in the publisher's own text or data), READ-SECONDARY (read in a third party
quoting it), RECALLED/VERIFY (from memory: check before relying on it), ASSUMPTION (no published
figure found; an illustrative choice, labelled as such).

The same ``--areas`` and ``--seed`` give the same bytes: one ``numpy.random.default_rng(seed)``,
split into one stream per column, fixed decimal places, UTF-8, ``\\n`` line endings.

    python scenarios/areas/generate_neighbourhoods.py [--areas 300] [--seed 16] [-o PATH]
                                                      [--summary]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

DEFAULT_AREAS = 300
DEFAULT_SEED = 16
HERE = Path(__file__).resolve().parent

COLUMNS = (
    "area_id",
    "name",
    "population",
    "households",
    "imd_decile",
    "burglary_per_1000_households",
    "asb_per_1000_people",
    "volunteering_rate",
    "area_cost_index",
)
"""The CSV's columns, in order."""

DECIMALS = {
    "population": 0,
    "households": 0,
    "imd_decile": 0,
    "burglary_per_1000_households": 1,
    "asb_per_1000_people": 1,
    "volunteering_rate": 3,
    "area_cost_index": 3,
}
"""Decimal places written for each numeric column."""

# --- Population [residents] -------------------------------------------------------------------
# Lognormal fitted to the English MSOA distribution, mean 8,288 and median 7,985 residents
# (ONS mid-2019 small-area population estimates, as summarised in "Hey, what's an MSOA?",
# statsmapsnpix.com, Oct 2020: "the average (mean) population of an MSOA in England was 8,288.
# The median was 7,985"). READ-SECONDARY. For a lognormal, mean/median = exp(sigma^2 / 2).
# Consistent with ONS, "Super Output Area mid-year population estimates, mid-2012": 7,201 MSOAs
# with "a mean population of 7,860" (READ-PRIMARY), and with electoral wards, "mean population
# size of ... 7,000 in England" (ONS ward mid-year estimates, mid-2012, READ-PRIMARY).
POPULATION_MEDIAN = 7_985
POPULATION_MEAN = 8_288
POPULATION_SIGMA = math.sqrt(2.0 * math.log(POPULATION_MEAN / POPULATION_MEDIAN))  # 0.273
# Truncated to the MSOA design range: "a usually resident population between 5,000 and 15,000
# persons" (ONS, "2001 Census geographies", section 3; READ-PRIMARY). Balsall Heath ("an inner
# city neighbourhood of up to 15,000 inhabitants", Balsall Heath Is Our Planet, READ-SECONDARY)
# sits in the upper tail. Real MSOAs exceed 15,000 after growth (max 26,513 in mid-2019).
POPULATION_BOUNDS = (5_000, 15_000)

# --- Households [households] = population / household size ------------------------------------
# Average household size 2.4: Census 2021, 59,597,300 usual residents and 24,782,800 households
# in England and Wales (ONS, "Population and household estimates, England and Wales: Census
# 2021", 28 Jun 2022, main points; READ-PRIMARY) -> 2.40; "The average household size in
# England and Wales in 2021 was 2.4 people per household" (ONS, 2 Nov 2022, READ-SECONDARY).
HOUSEHOLD_SIZE_MEAN = 2.4
# Spread between neighbourhoods: no published distribution found. ASSUMPTION: normal, sd 0.2,
# truncated to 1.9-3.3. The largest local-authority averages are 3.0 (Newham, Slough, Redbridge;
# ONS 2022, READ-SECONDARY); neighbourhoods vary more than whole authorities.
HOUSEHOLD_SIZE_SD = 0.2
HOUSEHOLD_SIZE_BOUNDS = (1.9, 3.3)

# --- IMD decile [1 = most deprived 10%] -------------------------------------------------------
# Deciles are equal tenths of small areas ranked by IMD score ("Index of Multiple Deprivation
# (IMD) Decile (where 1 is most deprived 10% of LSOAs)", MHCLG English Indices of Deprivation
# 2019, File 1 column heading as read in a public repository; READ-SECONDARY), so each decile
# is equally likely. A neighbourhood's decile is read as that of its typical small area.
DECILES = 10

# Deprivation gradients are log-linear in the decile and stated as the ratio between the most
# deprived fifth (deciles 1-2) and the least deprived fifth (deciles 9-10), the comparison the
# sources make. Each column's mean over the ten deciles equals its national mean.

# --- Residential burglary [recorded offences per 1,000 households per year] ------------------
# National mean about 7 (derived): police-recorded burglary, all premises, 266,489 offences in
# 2023/24 (Home Office data as reported by Statista via Google Dataset Search; READ-SECONDARY)
# over 24,782,800 households (Census 2021, READ-PRIMARY) = 10.8 per 1,000; about two-thirds of
# recorded burglary is residential (RECALLED/VERIFY). Checks: Avon and Somerset recorded 3,648
# residential burglaries in 2024 (force FOI 13836464, READ-PRIMARY) and West Midlands 14,401
# dwelling burglaries in 2019 (force FOI 936A/20, READ-PRIMARY); per 1,000 households these are
# about 5 and 12 with households RECALLED/VERIFY (about 0.74m and 1.15m).
BURGLARY_MEAN = 7.0
# Most / least deprived fifth = 2: "Poorer households are twice as likely to be burgled" (IPPR,
# reported by BBC News 2006; READ-SECONDARY); households in inner-city areas 2.0 times and
# social renters 1.9 times the base risk in the 2008/09 British Crime Survey (Tseloni et al.,
# "Equity, justice and the crime drop", Crime Science, Table 2; READ-PRIMARY). These are
# household comparisons; an area-decile ratio of 2 is a judgement from them (RECALLED/VERIFY
# against the CSEW burglary rate by IMD quintile, ONS property-crime appendix tables).
BURGLARY_FIFTH_RATIO = 2.0
# Spread within a decile: ASSUMPTION, lognormal sigma 0.35, chosen so that ranges look like
# real ones: the 21 Trafford wards ran from 9.6 to 32.3 burglaries (all premises) per 1,000
# households in 2017-18 (Trafford Data Lab, ward_data, from police.uk; READ-SECONDARY), with the
# highest rate in an affluent ward: burglary follows deprivation only loosely.
BURGLARY_SIGMA = 0.35

# --- Anti-social behaviour [recorded incidents per 1,000 residents per year] ------------------
# National mean about 17 (derived): "just above 1 million" police-recorded ASB incidents in
# England and Wales in the year to March 2024 (Home Office figures as reported by the
# Doncaster Free Press and Bucks Herald, Oct 2024; READ-SECONDARY) over 59,597,300 residents
# (Census 2021, READ-PRIMARY) = 16.8. Forces ranged from 7 (Thames Valley) to 19 (South
# Yorkshire) per 1,000 in the same reports.
ASB_MEAN = 17.0
# Most / least deprived fifth = 3: RECALLED/VERIFY (no published ratio by IMD found). Trafford
# wards ran from 5.3 to 26.7 incidents per 1,000 residents in 2017-18 (Trafford Data Lab,
# READ-SECONDARY), higher in its more deprived wards (which wards are deprived: RECALLED).
ASB_FIFTH_RATIO = 3.0
# Spread within a decile: ASSUMPTION, lognormal sigma 0.40 (checked against the Trafford range).
ASB_SIGMA = 0.40

# --- Formal volunteering at least once a month [share of adults, 0-1] -------------------------
# National mean 16%: "In 2021/22, 16% of respondents ... took part in formal volunteering at
# least once a month" (DCMS, Community Life Survey 2021/22: Volunteering and charitable giving;
# READ-PRIMARY). It was 23% in 2019/20 (DCMS, CLS 2019/20; READ-PRIMARY).
VOLUNTEERING_MEAN = 0.16
# Least / most deprived fifth = 2: Scottish Household Survey 2019, formal volunteering in the
# last year 33% in the 20% least deprived areas and 16% in the 20% most deprived (Scottish
# Government key findings; READ-SECONDARY). England's direction is the same: "people living in
# the most deprived areas are less likely to volunteer formally" (NCVO UK Civil Society Almanac
# 2024, citing the Community Life Survey; READ-SECONDARY). The English CLS monthly rates by
# IMD decile or quintile were not read (RECALLED/VERIFY: roughly 10-12% most deprived decile,
# 20% least).
VOLUNTEERING_FIFTH_RATIO = 2.0
# Spread within a decile: ASSUMPTION, lognormal (mean one) sigma 0.20, truncated to 0.02-0.50.
VOLUNTEERING_SIGMA = 0.20
VOLUNTEERING_BOUNDS = (0.02, 0.50)

# --- Area cost index [labour-cost multiplier, 1.000 = England] --------------------------------
# Region drawn in proportion to its population, mid-2017 estimates (ONS, as listed by
# statinvestor.com; READ-SECONDARY); the index is the region's median gross weekly pay over
# England's, all employee jobs by place of residence, April 2024 (revised): ONS ASHE via the
# ONS "Explore local statistics" data, ONSdigital/explore-local-statistics-data,
# gross-median-weekly-pay.csv, England 619.6 (READ-PRIMARY: the publisher's own data file).
# The Area Cost Adjustment's labour cost adjustment is also built on ASHE wage rates, with
# controls for the mix of jobs (London Councils, "Area Cost Adjustment"; READ-SECONDARY); the
# raw regional median here is a proxy for it.
ENGLAND_WEEKLY_PAY = 619.6
REGIONS: tuple[tuple[str, int, float], ...] = (
    # (region, residents mid-2017, median gross weekly pay April 2024 [GBP])
    ("North East", 2_644_727, 562.9),
    ("North West", 7_258_627, 593.1),
    ("Yorkshire and The Humber", 5_450_130, 577.8),
    ("East Midlands", 4_771_666, 576.5),
    ("West Midlands", 5_860_706, 583.0),
    ("East of England", 6_168_432, 634.3),
    ("London", 8_825_001, 728.3),
    ("South East", 9_080_825, 655.9),
    ("South West", 5_559_316, 585.8),
)
# Variation within a region: lognormal sigma 0.07, derived from the same file. Across the 294
# English local authorities, sd of log(pay / England) = 0.115; between regions (population
# weighted) 0.084; within = sqrt(0.115^2 - 0.084^2) = 0.078, taken down to 0.07 because local
# ASHE estimates carry sampling error (a judgement). Truncated to the authorities' range,
# 502.9-843.3 a week, i.e. 0.81-1.36 of England.
COST_WITHIN_REGION_SIGMA = 0.07
COST_BOUNDS = (0.81, 1.36)


@dataclass(frozen=True)
class NeighbourhoodTable:
    """One synthetic neighbourhood per element; float columns already rounded as written."""

    area_id: tuple[str, ...]
    """"N001", "N002", ... zero-padded to the width of the count."""
    name: tuple[str, ...]
    """"Neighbourhood 001", ... (no real places)."""
    population: NDArray[np.int64]
    """Residents [people]."""
    households: NDArray[np.int64]
    """Households [households]."""
    imd_decile: NDArray[np.int64]
    """IMD decile, 1 (most deprived 10%) to 10."""
    burglary_per_1000_households: NDArray[np.float64]
    """Recorded residential burglaries per 1,000 households per year."""
    asb_per_1000_people: NDArray[np.float64]
    """Recorded anti-social behaviour incidents per 1,000 residents per year."""
    volunteering_rate: NDArray[np.float64]
    """Share of adults volunteering formally at least once a month [0-1]."""
    area_cost_index: NDArray[np.float64]
    """Local labour-cost multiplier, 1.000 = England."""

    def numeric(self, column: str) -> NDArray[np.float64]:
        """A numeric column as float64 [its unit]."""
        values: NDArray[np.float64] = np.asarray(getattr(self, column), dtype=np.float64)
        return values


def _rounded(values: NDArray[np.float64], decimals: int) -> NDArray[np.float64]:
    """Values rounded exactly as they are written (Python's correctly rounded formatting)."""
    return np.array([float(f"{v:.{decimals}f}") for v in values], dtype=np.float64)


def _redraw_outside(
    rng: np.random.Generator,
    centre: NDArray[np.float64],
    spread: float,
    bounds: tuple[float, float],
    *,
    multiplicative: bool,
) -> NDArray[np.float64]:
    """Normal (or, if ``multiplicative``, lognormal) draws around ``centre``, each one drawn
    again until it lies within ``bounds``: a truncated distribution, with no pile-up at the
    bounds that clipping would make. Deterministic for a given generator state.

    Shapes: ``centre`` (n,) -> (n,).
    """

    def draw(size: int, around: NDArray[np.float64]) -> NDArray[np.float64]:
        z = rng.standard_normal(size)
        out: NDArray[np.float64] = (
            around * np.exp(spread * z) if multiplicative else around + spread * z
        )
        return out

    values = draw(centre.size, centre)
    outside = (values < bounds[0]) | (values > bounds[1])
    while outside.any():
        values[outside] = draw(int(outside.sum()), centre[outside])
        outside = (values < bounds[0]) | (values > bounds[1])
    return values


def _deprivation_multiplier(decile: NDArray[np.int64], fifth_ratio: float) -> NDArray[np.float64]:
    """Multiplier, mean 1 over the ten deciles, falling log-linearly from decile 1 to 10.

    Notes
    -----
    ``m(d) = exp(-k (d - 5.5)) / mean_d exp(-k (d - 5.5))`` with ``k = ln(R) / 8``, so the mean
    of deciles 1-2 over the mean of deciles 9-10 is ``R`` (the fifths' centres are 8 deciles
    apart). ``R < 1`` makes the multiplier rise with the decile (less deprived, more).
    """
    slope = math.log(fifth_ratio) / 8.0
    all_deciles = np.arange(1, DECILES + 1, dtype=np.float64)
    norm = float(np.mean(np.exp(-slope * (all_deciles - 5.5))))
    multiplier: NDArray[np.float64] = np.exp(-slope * (decile - 5.5)) / norm
    return multiplier


def _mean_one_noise(rng: np.random.Generator, n: int, sigma: float) -> NDArray[np.float64]:
    """Lognormal factors with mean 1: ``exp(sigma z - sigma^2 / 2)``."""
    noise: NDArray[np.float64] = np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)
    return noise


def generate(n_areas: int = DEFAULT_AREAS, seed: int = DEFAULT_SEED) -> NeighbourhoodTable:
    """Draw ``n_areas`` synthetic neighbourhoods from the published distributions above.

    Parameters
    ----------
    n_areas : int
        Number of neighbourhoods (rows), at least 1.
    seed : int
        Seed for ``numpy.random.default_rng``; each column draws from its own child stream.

    Returns
    -------
    NeighbourhoodTable
        Columns as documented on :class:`NeighbourhoodTable`, rounded as written to the CSV.
    """
    if n_areas < 1:
        raise ValueError(f"n_areas must be at least 1; got {n_areas}.")
    streams = np.random.default_rng(seed).spawn(8)
    pop_rng, size_rng, imd_rng, burg_rng, asb_rng, vol_rng, region_rng, cost_rng = streams

    width = len(str(n_areas))
    area_id = tuple(f"N{i:0{width}d}" for i in range(1, n_areas + 1))
    name = tuple(f"Neighbourhood {i:0{width}d}" for i in range(1, n_areas + 1))

    population_draws = _redraw_outside(
        pop_rng,
        np.full(n_areas, float(POPULATION_MEDIAN)),
        POPULATION_SIGMA,
        POPULATION_BOUNDS,
        multiplicative=True,
    )
    population = np.rint(population_draws).astype(np.int64)
    household_size = _redraw_outside(
        size_rng,
        np.full(n_areas, HOUSEHOLD_SIZE_MEAN),
        HOUSEHOLD_SIZE_SD,
        HOUSEHOLD_SIZE_BOUNDS,
        multiplicative=False,
    )
    households = np.rint(population / household_size).astype(np.int64)

    imd_decile = imd_rng.integers(1, DECILES + 1, size=n_areas).astype(np.int64)

    burglary = (
        BURGLARY_MEAN
        * _deprivation_multiplier(imd_decile, BURGLARY_FIFTH_RATIO)
        * _mean_one_noise(burg_rng, n_areas, BURGLARY_SIGMA)
    )
    asb = (
        ASB_MEAN
        * _deprivation_multiplier(imd_decile, ASB_FIFTH_RATIO)
        * _mean_one_noise(asb_rng, n_areas, ASB_SIGMA)
    )
    volunteering = _redraw_outside(
        vol_rng,
        VOLUNTEERING_MEAN
        * _deprivation_multiplier(imd_decile, 1.0 / VOLUNTEERING_FIFTH_RATIO)
        * math.exp(-0.5 * VOLUNTEERING_SIGMA**2),
        VOLUNTEERING_SIGMA,
        VOLUNTEERING_BOUNDS,
        multiplicative=True,
    )

    weights = np.array([residents for _, residents, _ in REGIONS], dtype=np.float64)
    regional_index = np.array([pay for _, _, pay in REGIONS]) / ENGLAND_WEEKLY_PAY
    region = region_rng.choice(len(REGIONS), size=n_areas, p=weights / weights.sum())
    cost_index = _redraw_outside(
        cost_rng, regional_index[region], COST_WITHIN_REGION_SIGMA, COST_BOUNDS, multiplicative=True
    )

    return NeighbourhoodTable(
        area_id=area_id,
        name=name,
        population=population,
        households=households,
        imd_decile=imd_decile,
        burglary_per_1000_households=_rounded(burglary, 1),
        asb_per_1000_people=_rounded(asb, 1),
        volunteering_rate=_rounded(volunteering, 3),
        area_cost_index=_rounded(cost_index, 3),
    )


def to_csv(table: NeighbourhoodTable) -> str:
    """The table as CSV text: a header row, ``\\n`` line endings, fixed decimal places."""
    lines = [",".join(COLUMNS)]
    for i, area in enumerate(table.area_id):
        cells = [area, table.name[i]]
        for column in COLUMNS[2:]:
            value = getattr(table, column)[i]
            decimals = DECIMALS[column]
            cells.append(str(int(value)) if decimals == 0 else f"{value:.{decimals}f}")
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def write_csv(
    path: Path, n_areas: int = DEFAULT_AREAS, seed: int = DEFAULT_SEED
) -> NeighbourhoodTable:
    """Generate the table and write it to ``path`` as UTF-8 bytes; returns the table."""
    table = generate(n_areas, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_csv(table).encode("utf-8"))
    return table


def _group_mean(values: NDArray[np.float64], decile: NDArray[np.int64], lo: int, hi: int) -> float:
    """Mean of ``values`` over areas with ``lo <= decile <= hi`` (NaN when there are none)."""
    mask = (decile >= lo) & (decile <= hi)
    return float(np.mean(values[mask])) if mask.any() else math.nan


def summary(table: NeighbourhoodTable, seed: int | None = None) -> str:
    """Summary statistics of the table as written: min, median, mean and max of each numeric
    column; Pearson correlation of each rate with the IMD decile; and each rate's mean in the
    most deprived (deciles 1-3), middle (4-7) and least deprived (8-10) areas."""
    n = len(table.area_id)
    head = f"{n} neighbourhoods" + ("" if seed is None else f", seed {seed}")
    lines = [head, f"{'column':<30}{'min':>10}{'median':>11}{'mean':>11}{'max':>10}"]
    for column in COLUMNS[2:]:
        values = table.numeric(column)
        d = DECIMALS[column]
        lines.append(
            f"{column:<30}{values.min():>10,.{d}f}{np.median(values):>11,.{d + 1}f}"
            f"{values.mean():>11,.{d + 1}f}{values.max():>10,.{d}f}"
        )
    decile = table.imd_decile
    rates = ("burglary_per_1000_households", "asb_per_1000_people", "volunteering_rate")
    lines.append("")
    lines.append("Pearson correlation with imd_decile (1 = most deprived):")
    for column in rates:
        values = table.numeric(column)
        r = float(np.corrcoef(decile.astype(np.float64), values)[0, 1]) if n > 1 else math.nan
        lines.append(f"  {column:<30}{r:>+7.2f}")
    lines.append("")
    groups_head = ("deciles 1-3", "deciles 4-7", "deciles 8-10")
    lines.append(f"{'Mean by IMD decile group:':<32}" + "".join(f"{h:>13}" for h in groups_head))
    for column in rates:
        values = table.numeric(column)
        d = DECIMALS[column] + 1
        groups = [_group_mean(values, decile, lo, hi) for lo, hi in ((1, 3), (4, 7), (8, 10))]
        lines.append(f"  {column:<30}" + "".join(f"{g:>13.{d}f}" for g in groups))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the CSV (and with ``--summary`` print its summary); exit code 0."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Grades and sources: docs/research/area-distributions-issue-16.md",
    )
    parser.add_argument(
        "--areas", type=int, default=DEFAULT_AREAS, help=f"rows (default {DEFAULT_AREAS})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default %(default)s")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="CSV path (default scenarios/areas/neighbourhoods_<areas>.csv)",
    )
    parser.add_argument("--summary", action="store_true", help="print summary statistics")
    args = parser.parse_args(argv)
    if args.areas < 1:
        parser.error(f"--areas must be at least 1; got {args.areas}")
    if args.seed < 0:
        parser.error(f"--seed must be 0 or more; got {args.seed}")
    output: Path = args.output or HERE / f"neighbourhoods_{args.areas}.csv"
    table = write_csv(output, args.areas, args.seed)
    print(f"wrote {output} ({args.areas} neighbourhoods, seed {args.seed})")
    if args.summary:
        print(summary(table, args.seed), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
