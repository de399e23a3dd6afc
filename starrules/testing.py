"""Hypothesis strategies built from a scheme's declarations, for property tests.

Takes a loaded :class:`~starrules.Scheme`; gives strategies of valid input mappings,
built by construction (no filtering), shrinking towards simple values: the lowest
score, no occurrences, the first choice, the empty set. Needs the ``testing`` extra
(``pip install starrules[testing]``).

>>> import starrules
>>> from hypothesis import given
>>> scheme = starrules.load("schemes/anyang.star")
>>> @given(record=inputs(scheme))
... def test_every_generated_record_is_rated(record):
...     assert scheme.evaluate(record, trace=False).status == "rated"
>>> test_every_generated_record_is_rated()
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from starrules import model as m
from starrules import nodes as n
from starrules.api import Scheme
from starrules.values import fmt_number

__all__ = ["inputs", "value_of"]

_TRUE = ("是", "yes", "true", "1")
_FALSE = ("否", "no", "false", "0")


def value_of(inp: m.Input, max_count: int = 20) -> st.SearchStrategy[Any]:
    """Valid raw values of one input, as a spreadsheet would give them (texts)."""
    spec = inp.spec
    if isinstance(spec, n.ScoreType):
        step = spec.step if spec.step is not None else Decimal("0.01")
        steps = int((spec.high - spec.low) / step)
        return st.integers(0, steps).map(lambda k: fmt_number(spec.low + k * step))
    if isinstance(spec, n.CountType):
        top = spec.high if spec.high is not None else spec.low + max_count
        return st.integers(spec.low, top).map(str)
    if isinstance(spec, n.PercentType):
        return st.integers(0, 1000).map(lambda k: fmt_number(Decimal(k) / 10) + "%")
    if isinstance(spec, n.BoolType):
        return st.sampled_from(_FALSE + _TRUE)
    if isinstance(spec, n.EnumType):
        return st.sampled_from(inp.type.members)
    if isinstance(spec, n.SetType):
        members = inp.type.members
        return st.lists(st.sampled_from(members), unique=True, max_size=len(members)).map("、".join)
    if spec.role == "group":
        return st.sampled_from(["甲", "乙", "丙"])
    return st.text(alphabet="支部党委村社区一二三四五", min_size=1, max_size=6)


def inputs(scheme: Scheme, **pinned: Any) -> st.SearchStrategy[Mapping[str, Any]]:
    """Valid input records of the scheme; ``pinned`` fixes some fields (a value or a
    strategy). Validity preconditions (``require``) may still fail on generated data:
    such a record is rated ``invalid``, which is a valid outcome."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for inp in scheme.inputs:
        if inp.name in pinned:
            value = pinned[inp.name]
            fields[inp.name] = value if isinstance(value, st.SearchStrategy) else st.just(value)
        else:
            fields[inp.name] = value_of(inp)
    unknown = set(pinned) - {i.name for i in scheme.inputs}
    if unknown:
        names = ", ".join(i.name for i in scheme.inputs)
        raise ValueError(f"{', '.join(sorted(unknown))} is not an input of {scheme.title}; its inputs are {names}")
    return st.fixed_dictionaries(fields)
