"""starrules: star-rating schemes as checkable text, evaluated exactly and explained.

>>> import starrules
>>> scheme = starrules.loads('''
... scheme "示例" version "1"
... levels stars 0..2
... input 得分 : score 0..100 step 0.5
... band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }
... ''')
>>> scheme.evaluate({"得分": "89.5"}).level
1
"""

from starrules.api import Scheme, load, loads
from starrules.apportion import ApportionmentError, apportion
from starrules.checker import check, lower
from starrules.diagnostics import Diagnostic, render
from starrules.errors import (
    EvaluationError,
    InputError,
    InputProblem,
    PeriodError,
    StarCheckError,
    StarError,
    StarSyntaxError,
)
from starrules.parser import parse
from starrules.population import Move, Outcome, QuotaReport, Rating
from starrules.result import Past, Result, TraceStep

__version__ = "0.1.0"

__all__ = [
    "ApportionmentError",
    "Diagnostic",
    "EvaluationError",
    "InputError",
    "InputProblem",
    "Move",
    "Outcome",
    "Past",
    "PeriodError",
    "QuotaReport",
    "Rating",
    "Result",
    "Scheme",
    "StarCheckError",
    "StarError",
    "StarSyntaxError",
    "TraceStep",
    "apportion",
    "check",
    "load",
    "loads",
    "lower",
    "parse",
    "render",
]
