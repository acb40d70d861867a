"""What moved the figures between two versions of a scenario, split across the changes by an
order-free method (Shapley values; docs/methods.md §16).

The changed inputs are found by parameter path (``cba params``): an input in both versions
whose value differs. Each such input that an evaluation can vary is a player; everything else
that differs (a line, option or agency added or removed, a structural input such as a price
base or who pays what share, names and sources) is one more player, "structural and other
changes". With k players, every one of the 2**k coalitions (each player at its new value or
its old one) is evaluated through the compiled model as one batched evaluation per version of
the structure: the old scenario's model for coalitions without the structural player, the new
scenario's model for coalitions with it. The Shapley values then add up to the new figure less
the old one, exactly but for rounding.

The figures attributed, per option against its counterfactual, are the headline figures
(``FIGURES``: NPSV, PV benefits, PV costs, PV community inputs, both BCRs) and each agency's
net position (``net_position:<agency id>``, for every agency in either version; undefined on
the side that lacks the agency, where its shares are undefined too).

With more than ``MAX_PLAYERS`` changed inputs, the inputs are grouped by the line (or block)
they belong to, and each group is a player. With more than ``MAX_PLAYERS`` players even so, the
Shapley values are estimated by permutation sampling (Castro, Gomez and Tejada 2009;
``cba.engine.shapley``): ``SAMPLED_ORDERS`` random orders of the players (the structural player
among them), in antithetic pairs and from a fixed seed, so the same two versions give the same
estimates. Each order walks from every player at its old value to every player at its new one,
switching on one player at a time; each player's estimate is the mean of the change its
switching made, and its standard error is reported beside it. As each order's changes add up
to the whole change, so do the estimates, exactly but for rounding. The distinct coalitions
visited are evaluated once each, in batches of at most ``CHUNK``, on the old or the new model
as for the exact attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from cba.engine.shapley import (
    FloatArray,
    coalition_masks,
    path_masks,
    permutation_orders,
    sampled_shapley_values,
    shapley_values,
)
from cba.model.evaluation import CompiledScenario
from cba.spec.numeric_inputs import NumericInput
from cba.spec.parameters import apply_values, key_of
from cba.spec.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

MAX_PLAYERS = 12
"""Most players of an exact attribution (4,096 coalitions); beyond, inputs are grouped by line,
and beyond that again the shares are estimated by sampling orders."""

SAMPLED_ORDERS = 1_000
"""Orders of the players sampled for an estimated attribution (500 antithetic pairs)."""

SEED = 20_090_501
"""Seed of the sampled orders: the same two versions give the same estimates."""

CHUNK = 2**MAX_PLAYERS
"""Most coalitions per batched evaluation: no more than an exact attribution evaluates at once,
so an estimate over many players takes no more memory."""

STRUCTURAL = "structural and other changes"
"""The player standing for everything but changed input values."""

FIGURES = (
    ("npsv", "NPSV", "GBP, present value"),
    ("pv_benefits", "PV benefits", "GBP, present value"),
    ("pv_costs", "PV costs (public and other)", "GBP, present value"),
    ("pv_community_inputs", "PV community inputs", "GBP, present value"),
    ("bcr_public", "BCR over public costs", "ratio"),
    ("bcr_public_and_community", "BCR with community inputs", "ratio"),
)
"""Figures attributed, each option against its counterfactual: (name, label, unit); each
agency's net position follows (``agency_figures``)."""

NET_POSITION = "net_position:"
"""Prefix of an agency's net-position figure: ``net_position:<agency id>``."""


NEEDED = {
    "incremental": (
        "npsv",
        "pv_benefits",
        "pv_public_costs",
        "pv_non_public_costs",
        "pv_community_inputs",
        "bcr_public",
        "bcr_public_and_community",
        "net_by_agency",
    )
}
"""The measures each coalition's evaluation computes (the compiled model skips the rest)."""


@dataclass(frozen=True)
class InputChange:
    """An input whose value differs between the versions."""

    path: str
    old: float | str
    new: float | str
    unit: str
    source_changed: bool
    """Whether the source given next to it changed too."""


@dataclass(frozen=True)
class Attribution:
    """One figure of one option: old, new, and each player's share of the change."""

    option_id: str
    figure: str
    unit: str
    old: float | None
    new: float | None
    contributions: tuple[tuple[str, float | None], ...]
    """(player, share) in the order of ``ScenarioDiff.players``; None where undefined."""
    standard_error: tuple[float | None, ...] | None = None
    """The standard error of each share, aligned with ``contributions``, when the shares are
    estimated by sampling; None when they are exact."""

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old


@dataclass(frozen=True)
class ScenarioDiff:
    """The changes between two versions of a scenario and what each moved."""

    changes: tuple[InputChange, ...]
    only_old: tuple[str, ...]
    """Input paths only the old version has (removed lines, options, defaults now stated)."""
    only_new: tuple[str, ...]
    structural: bool
    """Whether anything but input values differs (a player of its own)."""
    players: tuple[str, ...]
    """Who shares the changes: input paths, line groups, and the structural player."""
    attributions: tuple[Attribution, ...]
    method: str
    """How the shares were computed, in words, with the number of evaluations."""
    figures: tuple[tuple[str, str, str], ...] = FIGURES
    """The figures attributed per option, (name, label, unit): ``FIGURES``, then each agency's
    net position (``agency_figures``)."""

    def frame(self) -> pd.DataFrame:  # cba.diff(old, new).frame()
        """One row per option, figure and player: old, new, change and share."""
        import pandas as pd

        rows = [
            {
                "option_id": a.option_id,
                "figure": a.figure,
                "unit": a.unit,
                "player": player,
                "share": share,
                "old": a.old,
                "new": a.new,
                "change": a.change,
            }
            for a in self.attributions
            for player, share in a.contributions
        ]
        return pd.DataFrame(rows)

    def attribution(self, option_id: str, figure: str = "npsv") -> Attribution:
        for a in self.attributions:
            if a.option_id == option_id and a.figure == figure:
                return a
        raise KeyError((option_id, figure))


def _differs(a: NumericInput, b: NumericInput) -> bool:
    return a.value != b.value


def _line_of(path: str) -> str:
    """The group an input belongs to: its line (``options.x.costs.y``) or its block."""
    key = key_of(path)
    head = path[: path.index("." + key)] if "." + key in path else path
    parts = head.split(".")
    if parts[0] == "options" and len(parts) >= 4:
        return ".".join(parts[:4])
    return head or path


def agency_figures(old: Scenario, new: Scenario) -> tuple[tuple[str, str, str], ...]:
    """Each agency's net position as a figure, (name, label, unit), for every agency in either
    version: the old version's agencies in order, then those only the new one has; the label
    names the agency as the new version does (the old, for an agency removed).

    An agency's net position is what it gains (fiscal and other benefits accruing to it) less
    what it pays and the community inputs it gives [GBP, present value], the option's against
    the counterfactual's (docs/methods.md §3.5).
    """
    names = {a.id: a.name for a in old.agencies} | {a.id: a.name for a in new.agencies}
    return tuple(
        (f"{NET_POSITION}{agency_id}", f"Net position: {name}", "GBP, present value")
        for agency_id, name in names.items()
    )


def _figures(
    compiled: CompiledScenario,
    values: dict[str, Any],
    options: Sequence[str],
    agencies: Sequence[str],
) -> Any:
    """(coalitions, options, figures) of one batched evaluation: ``FIGURES``, then the net
    position of each of ``agencies`` (NaN for an agency this version does not have)."""
    evaluation = compiled.evaluate(values, figures=NEEDED)
    position = {a.id: i for i, a in enumerate(compiled.scenario.agencies)}
    out = []
    for oid in options:
        inc = evaluation.options[oid].incremental
        columns = []
        for name, _, _ in FIGURES:
            if name == "pv_costs":
                value = np.asarray(inc.pv_public_costs) + np.asarray(inc.pv_non_public_costs)
            else:
                value = np.asarray(getattr(inc, name), dtype=np.float64)
            columns.append(value)
        net = np.asarray(inc.net_by_agency, dtype=np.float64)  # (..., A)
        for agency_id in agencies:
            index = position.get(agency_id)
            missing = np.full(net.shape[:-1], np.nan)
            columns.append(missing if index is None else net[..., index])
        out.append(np.stack(np.broadcast_arrays(*columns), axis=-1))
    return np.stack(out, axis=-2)


def _number(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


class _Coalitions:
    """Figures of coalitions of players (changed inputs or their lines, then the structural
    player), through the compiled models: the old scenario's for coalitions without the
    structural player, the new scenario's for those with it."""

    def __init__(
        self,
        old_model: CompiledScenario,
        new_model: CompiledScenario,
        groups: dict[str, list[InputChange]],
        structural: bool,
        options: Sequence[str],
        figures: Sequence[str],
    ) -> None:
        self.models = (old_model, new_model)
        self.groups = list(groups.values())
        self.structural = structural
        self.options = options
        self.width = len(figures)
        self.agencies = [
            n.removeprefix(NET_POSITION) for n in figures if n.startswith(NET_POSITION)
        ]
        self.batches = 0
        """Batched evaluations of a compiled model so far."""

    def figures(self, masks: NDArray[np.bool_]) -> FloatArray:
        """(coalitions, options, figures) for the coalitions ``masks`` (rows; column i: player
        i at its new value), ``CHUNK`` coalitions or fewer per batched evaluation."""
        rows = masks.shape[0]
        table = np.empty((rows, len(self.options), self.width))
        k_inputs = len(self.groups)
        on_new = masks[:, k_inputs] if self.structural else np.zeros(rows, dtype=bool)
        for model, side in zip(self.models, (~on_new, on_new), strict=True):
            chosen = np.flatnonzero(side)
            for start in range(0, chosen.size, CHUNK):
                batch = chosen[start : start + CHUNK]
                values: dict[str, Any] = {}
                for index, members in enumerate(self.groups):
                    for change in members:
                        kind = object if isinstance(change.new, str) else np.float64
                        values[change.path] = np.where(
                            masks[batch, index],
                            np.asarray(change.new, dtype=kind),
                            np.asarray(change.old, dtype=kind),
                        )
                found = _figures(model, values, self.options, self.agencies)
                table[batch] = np.broadcast_to(found, (batch.size, *table.shape[1:]))
                self.batches += 1
        return table


def diff(old: Scenario, new: Scenario) -> ScenarioDiff:
    """Attribute the change in each option's figures between ``old`` and ``new`` to the
    changed inputs (and, as one player, to everything else that differs)."""
    old_model = CompiledScenario(old)
    new_model = CompiledScenario(new)
    old_inputs, new_inputs = old_model.inputs, new_model.inputs
    changes = tuple(
        InputChange(
            path=path,
            old=old_inputs[path].value,
            new=new_inputs[path].value,
            unit=old_inputs[path].unit,
            source_changed=old_inputs[path].source != new_inputs[path].source,
        )
        for path in old_inputs
        if path in new_inputs and _differs(old_inputs[path], new_inputs[path])
    )
    only_old = tuple(p for p in old_inputs if p not in new_inputs)
    only_new = tuple(p for p in new_inputs if p not in old_inputs)
    evaluable = [
        c for c in changes if c.path in old_model.parameters and c.path in new_model.parameters
    ]
    # anything else differs when the old file with the new values set is not the new file
    set_over = apply_values(
        old.to_data(), {c.path: c.new for c in evaluable}, defaults=old.model_dump(mode="python")
    )
    structural = set_over != new.to_data()
    # players: each evaluable input, or their lines when there are too many, then structure
    groups: dict[str, list[InputChange]] = {}
    room = MAX_PLAYERS - (1 if structural else 0)
    for change in evaluable:
        key = change.path if len(evaluable) <= room else _line_of(change.path)
        groups.setdefault(key, []).append(change)
    players = list(groups) + ([STRUCTURAL] if structural else [])
    cf_old, cf_new = old.counterfactual, new.counterfactual
    options = [
        o.id
        for o in old.options
        if o.id != cf_old and o.id in {n.id for n in new.options} and o.id != cf_new
    ]
    figures = FIGURES + agency_figures(old, new)
    coalitions = _Coalitions(
        old_model, new_model, groups, structural, options, [n for n, _, _ in figures]
    )
    errors: Any = None
    if len(players) <= MAX_PLAYERS:
        table = coalitions.figures(coalition_masks(len(players)))
        shares = shapley_values(table)
        old_figures, new_figures = table[0], table[-1]
        method = (
            f"exact Shapley values over {len(players)} "
            f"{'player' if len(players) == 1 else 'players'} "
            f"({table.shape[0]:,} coalitions in {coalitions.batches} batched "
            f"{'evaluation' if coalitions.batches == 1 else 'evaluations'} of the compiled model)"
        )
    else:
        orders = permutation_orders(len(players), SAMPLED_ORDERS, np.random.default_rng(SEED))
        paths = path_masks(orders)  # (m, k + 1, k)
        flat = paths.reshape(-1, len(players))
        # each coalition evaluated once (the empty and the full one start and end every path),
        # found by its bits packed into one key per coalition
        packed = np.ascontiguousarray(np.packbits(flat, axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, where = np.unique(keys, return_index=True, return_inverse=True)
        table = coalitions.figures(flat[first])
        along = table[where.reshape(paths.shape[:2])]  # (m, k + 1, options, figures)
        shares, errors = sampled_shapley_values(along, orders)
        old_figures, new_figures = along[0, 0], along[0, -1]
        method = (
            f"estimated Shapley values by permutation sampling over {len(players)} players "
            f"({SAMPLED_ORDERS:,} orders, {table.shape[0]:,} evaluations; standard errors shown)"
        )
    attributions = []
    for j, oid in enumerate(options):
        for f, (name, _, unit) in enumerate(figures):
            attributions.append(
                Attribution(
                    option_id=oid,
                    figure=name,
                    unit=unit,
                    old=_number(old_figures[j, f]),
                    new=_number(new_figures[j, f]),
                    contributions=tuple(
                        (player, _number(shares[i, j, f])) for i, player in enumerate(players)
                    ),
                    standard_error=None
                    if errors is None
                    else tuple(_number(errors[i, j, f]) for i in range(len(players))),
                )
            )
    if any(len(m) > 1 for m in groups.values()):
        method += f"; the {len(evaluable)} changed inputs grouped by line"
    return ScenarioDiff(
        changes=changes,
        only_old=only_old,
        only_new=only_new,
        structural=structural,
        players=tuple(players),
        attributions=tuple(attributions),
        method=method,
        figures=figures,
    )
