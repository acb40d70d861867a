"""cba: cost-benefit analysis for neighbourhood community budgets.

The public API::

    import cba
    scenario = cba.load_scenario("scenarios/balsall_heath_safety.yaml")
    results = cba.run(scenario)
    results.to_frame()
"""

__version__ = "0.1.0"

from cba.io.problems import ScenarioError
from cba.io.scenario_file import load_scenario
from cba.pipeline import run
from cba.results import Results

__all__ = ["Results", "ScenarioError", "__version__", "load_scenario", "run"]
