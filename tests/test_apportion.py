"""Tests of starrules.apportion.

a. Published worked examples for each method, with their sources (and the arithmetic,
   so a reader can check them by hand).
b. Hypothesis properties: sums, minimums, the quota property of largest remainder, house
   monotonicity of the divisor methods, independence of the mapping's order.
c. Every error case raises ApportionmentError with a message naming the numbers.

Inputs of the property tests are built valid by construction (no filtering).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules.apportion import ALIASES, METHODS, ApportionmentError, apportion, method_name
from starrules.errors import StarError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIVISOR_METHODS = ("dhondt", "sainte-lague", "huntington-hill", "adams", "dean", "danish", "imperiali",
                   "modified-sainte-lague", "swedish-sainte-lague")
ZERO_FIRST = ("huntington-hill", "adams", "dean")  # a seat for every nonzero group before a second


# ---- (a) published worked examples -------------------------------------------------------

# Wikipedia, "D'Hondt method", section Example: 230,000 voters, 8 seats, 4 parties.
# Quotients votes/1, /2, /3, /4:
#   A 100,000  50,000  33,333  25,000
#   B  80,000  40,000  26,667  20,000
#   C  30,000  15,000
#   D  20,000
# The 8 largest: 100,000 80,000 50,000 40,000 33,333 30,000 26,667 25,000 -> A4 B3 C1 D0.
WIKI_VOTES = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}


def test_dhondt_wikipedia_example() -> None:
    assert apportion(WIKI_VOTES, 8, method="dhondt") == {"A": 4, "B": 3, "C": 1, "D": 0}


# Wikipedia, "Sainte-Laguë method", section Example (same votes, 8 seats).
# Quotients votes/1, /3, /5, /7:
#   A 100,000  33,333  20,000  14,286
#   B  80,000  26,667  16,000
#   C  30,000  10,000
#   D  20,000   6,667
# The 8 largest: 100,000 80,000 33,333 30,000 26,667 20,000(A) 20,000(D) 16,000 -> A3 B3 C1 D1.
def test_sainte_lague_wikipedia_example() -> None:
    assert apportion(WIKI_VOTES, 8, method="sainte-lague") == {"A": 3, "B": 3, "C": 1, "D": 1}


# Electoral Reform wiki, "Sainte-Laguë Method": 10 seats, votes 25,000 / 19,000 / 12,000 / 8,000
# -> 4, 3, 2, 1, and "in this case the results do not differ" from D'Hondt.
#   /1: 25000 19000 12000 8000   /3: 8333 6333 4000 2667   /5: 5000 3800 2400   /7: 3571 ...
#   top 10 (Sainte-Laguë): 25000 19000 12000 8333 8000 6333 5000 4000 3800 3571 -> A4 B3 C2 D1
#   D'Hondt: 25000 19000 12500 12000 9500 8333 8000 6333 6250 6000 -> A4 B3 C2 D1
def test_sainte_lague_and_dhondt_electoral_reform_wiki_example() -> None:
    votes = {"A": 25_000, "B": 19_000, "C": 12_000, "D": 8_000}
    assert apportion(votes, 10, method="sainte-lague") == {"A": 4, "B": 3, "C": 2, "D": 1}
    assert apportion(votes, 10, method="dhondt") == {"A": 4, "B": 3, "C": 2, "D": 1}


# staatsrecht.honikel.de (English), "Calculation examples — solutions": 10 seats, votes
# A 6,100, B 5,000, C 900 (12,000 in all).
#   Largest remainder: quotas 10*6100/12000 = 5.08, 4.17, 0.75 -> 5, 4, 0 + the one seat left
#     to the largest fraction .75 (C) -> 5, 4, 1.
#   Sainte-Laguë: /1 6100 5000 900, /3 2033 1667, /5 1220 1000, /7 871 714, /9 678 -> 5, 4, 1.
#   D'Hondt: /1 6100 5000, /2 3050 2500, /3 2033 1667, /4 1525 1250, /5 1220, /6 1017 -> 6, 4, 0
#     (C's 900 is below the 10th quotient 1017).
def test_honikel_three_party_example() -> None:
    votes = {"A": 6_100, "B": 5_000, "C": 900}
    assert apportion(votes, 10, method="largest-remainder") == {"A": 5, "B": 4, "C": 1}
    assert apportion(votes, 10, method="sainte-lague") == {"A": 5, "B": 4, "C": 1}
    assert apportion(votes, 10, method="dhondt") == {"A": 6, "B": 4, "C": 0}


# Electowiki, "Sainte-Laguë method", 35-seat example: 503 / 304 / 193 votes -> 17, 11, 7.
# Last seats given: A 503/33 = 15.24, B 304/21 = 14.48, C 193/13 = 14.85; next in line:
# A 503/35 = 14.37 < 14.48, so the 35 seats are 17 + 11 + 7.
def test_sainte_lague_electowiki_35_seats() -> None:
    assert apportion({"A": 503, "B": 304, "C": 193}, 35, method="sainte-lague") == {"A": 17, "B": 11, "C": 7}


# The first apportionment of the U.S. House, 1790 census (apportionment populations; total
# 3,615,920), as tabulated in COMAP, "For All Practical Purposes", 10th ed., ch. 14, Example 6
# and Table 14.5, and in many other textbooks.
US_1790 = {
    "Connecticut": 236_841,
    "Delaware": 55_540,
    "Georgia": 70_835,
    "Kentucky": 68_705,
    "Maryland": 278_514,
    "Massachusetts": 475_327,
    "New Hampshire": 141_822,
    "New Jersey": 179_570,
    "New York": 331_589,
    "North Carolina": 353_523,
    "Pennsylvania": 432_879,
    "Rhode Island": 68_446,
    "South Carolina": 206_236,
    "Vermont": 85_533,
    "Virginia": 630_560,
}


def test_us_1790_hamilton_120_seats() -> None:
    # The bill Washington vetoed on 5 April 1792 (text in Founders Online, "To John Adams from
    # Jonathan Trumbull, Jr., 5 April 1792"; FAPP Table 14.5): Hamilton's method, 120 seats.
    # Standard divisor 3,615,920/120 = 30,132.67; lower quotas sum to 111; the 9 seats left go to
    # NJ .959, VA .926, CT .860, SC .844, DE .843, VT .839, MA .774, NC .732, NH .707.
    assert sum(US_1790.values()) == 3_615_920
    assert apportion(US_1790, 120, method="largest-remainder") == {
        "Connecticut": 8,
        "Delaware": 2,
        "Georgia": 2,
        "Kentucky": 2,
        "Maryland": 9,
        "Massachusetts": 16,
        "New Hampshire": 5,
        "New Jersey": 6,
        "New York": 11,
        "North Carolina": 12,
        "Pennsylvania": 14,
        "Rhode Island": 2,
        "South Carolina": 7,
        "Vermont": 3,
        "Virginia": 21,
    }


# The Apportionment Act of 14 April 1792 (1 Stat. 253, Statutes at Large vol. 1, 2nd Congress,
# 1st session, ch. 23): "one member for every thirty-three thousand persons" — Jefferson's
# method with divisor 33,000, 105 seats; e.g. VA 630,560/33,000 = 19.1 -> 19, DE 1.68 -> 1.
JEFFERSON_1792 = {
    "Connecticut": 7,
    "Delaware": 1,
    "Georgia": 2,
    "Kentucky": 2,
    "Maryland": 8,
    "Massachusetts": 14,
    "New Hampshire": 4,
    "New Jersey": 5,
    "New York": 10,
    "North Carolina": 10,
    "Pennsylvania": 13,
    "Rhode Island": 2,
    "South Carolina": 6,
    "Vermont": 2,
    "Virginia": 19,
}


def test_us_1790_jefferson_105_seats() -> None:
    assert apportion(US_1790, 105, method="dhondt") == JEFFERSON_1792


def test_us_1790_hamilton_105_seats_differs_from_jefferson_only_for_virginia_and_delaware() -> None:
    # MAA Convergence, "Apportioning Representatives in the United States Congress — Jefferson's
    # Method": with Hamilton's method at 105 seats "13 of the 15 states would have been assigned
    # the same number"; Delaware would have gained the seat Virginia got under Jefferson.
    expected = dict(JEFFERSON_1792, Virginia=18, Delaware=2)
    assert apportion(US_1790, 105, method="largest-remainder") == expected


# The 2010 apportionment of the U.S. House by Huntington–Hill (U.S. Census Bureau, 2010 Census
# apportionment results: apportionment population and number of representatives by state).
# The populations sum to the published apportionment population of the U.S., 309,183,463.
US_2010 = {
    "Alabama": (4_802_982, 7),
    "Alaska": (721_523, 1),
    "Arizona": (6_412_700, 9),
    "Arkansas": (2_926_229, 4),
    "California": (37_341_989, 53),
    "Colorado": (5_044_930, 7),
    "Connecticut": (3_581_628, 5),
    "Delaware": (900_877, 1),
    "Florida": (18_900_773, 27),
    "Georgia": (9_727_566, 14),
    "Hawaii": (1_366_862, 2),
    "Idaho": (1_573_499, 2),
    "Illinois": (12_864_380, 18),
    "Indiana": (6_501_582, 9),
    "Iowa": (3_053_787, 4),
    "Kansas": (2_863_813, 4),
    "Kentucky": (4_350_606, 6),
    "Louisiana": (4_553_962, 6),
    "Maine": (1_333_074, 2),
    "Maryland": (5_789_929, 8),
    "Massachusetts": (6_559_644, 9),
    "Michigan": (9_911_626, 14),
    "Minnesota": (5_314_879, 8),
    "Mississippi": (2_978_240, 4),
    "Missouri": (6_011_478, 8),
    "Montana": (994_416, 1),
    "Nebraska": (1_831_825, 3),
    "Nevada": (2_709_432, 4),
    "New Hampshire": (1_321_445, 2),
    "New Jersey": (8_807_501, 12),
    "New Mexico": (2_067_273, 3),
    "New York": (19_421_055, 27),
    "North Carolina": (9_565_781, 13),
    "North Dakota": (675_905, 1),
    "Ohio": (11_568_495, 16),
    "Oklahoma": (3_764_882, 5),
    "Oregon": (3_848_606, 5),
    "Pennsylvania": (12_734_905, 18),
    "Rhode Island": (1_055_247, 2),
    "South Carolina": (4_645_975, 7),
    "South Dakota": (819_761, 1),
    "Tennessee": (6_375_431, 9),
    "Texas": (25_268_418, 36),
    "Utah": (2_770_765, 4),
    "Vermont": (630_337, 1),
    "Virginia": (8_037_736, 11),
    "Washington": (6_753_369, 10),
    "West Virginia": (1_859_815, 3),
    "Wisconsin": (5_698_230, 8),
    "Wyoming": (568_300, 1),
}
US_2010_POP = {state: pop for state, (pop, _) in US_2010.items()}
US_2010_SEATS = {state: seats for state, (_, seats) in US_2010.items()}


def test_us_2010_huntington_hill_435_seats() -> None:
    assert sum(US_2010_POP.values()) == 309_183_463
    assert sum(US_2010_SEATS.values()) == 435
    assert apportion(US_2010_POP, 435, method="huntington-hill") == US_2010_SEATS
    # The constitutional minimum of one seat each changes nothing: Huntington–Hill gives it anyway.
    assert apportion(US_2010_POP, 435, method="huntington-hill", minimum=1) == US_2010_SEATS


def test_us_2010_webster_differs_only_in_the_435th_seat() -> None:
    # COMAP, "For All Practical Purposes", 10th ed., ch. 14, Example 22 "The 435th Seat": on the
    # 2010 census Webster and Hill–Huntington differ only in the last seat, which Webster gives to
    # North Carolina (14 seats, RI 1) and Hill–Huntington to Rhode Island (NC 13, RI 2).
    expected = dict(US_2010_SEATS, **{"North Carolina": 14, "Rhode Island": 1})
    assert apportion(US_2010_POP, 435, method="sainte-lague") == expected


def test_hamilton_tie_goes_to_the_larger_group() -> None:
    # COMAP, "For All Practical Purposes", 10th ed., ch. 14, exercise 9 (question 14.39): 102 seats,
    # votes 254,000 / 153,000 / 103,000 (510,000 in all) by Hamilton's method. Quotas are exactly
    # 50.8, 30.6, 20.6; the lower quotas sum to 100; the first spare seat goes to .8, and the two
    # .6 are tied for the 102nd seat. Our documented tie rule gives it to the larger party.
    votes = {"Pro-UFO": 254_000, "Anti-UFO": 153_000, "Who Cares": 103_000}
    assert apportion(votes, 102) == {"Pro-UFO": 51, "Anti-UFO": 31, "Who Cares": 20}


# ---- tie rules and exactness -------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_equal_groups_tie_goes_to_the_name_that_sorts_first(method: str) -> None:
    sizes = {"乙": 5, "b": 5, "a": 5}
    # 4 seats among 3 equal groups: each gets 1, and the 4th goes to "a" ("a" < "b" < "乙").
    assert apportion(sizes, 4, method=method) == {"乙": 1, "b": 1, "a": 2}


def test_huntington_hill_exact_tie_is_seen_exactly() -> None:
    # Sizes 1 and 6: at 1 seat the small group's priority is 1/√(1·2); at 8 seats the large one's is
    # 6/√(8·9) = 6/√72 = 1/√2. Squares: 1/2 and 36/72 = 1/2, an exact tie for the 10th seat, which
    # goes to the larger group by the tie rule; the 11th then goes to the small group
    # (6/√(9·10) = 6/√90 < 1/√2, as 36/90 < 1/2).
    assert apportion({"small": 1, "large": 6}, 10, method="huntington-hill") == {"small": 1, "large": 9}
    assert apportion({"small": 1, "large": 6}, 11, method="huntington-hill") == {"small": 2, "large": 9}


def test_huntington_hill_huge_sizes_compare_exactly() -> None:
    # Two sizes far beyond float precision that differ by one: the bigger one must win the seat.
    big = 10**40
    assert apportion({"x": big, "y": big + 1}, 3, method="huntington-hill") == {"x": 1, "y": 2}


def test_minimum_for_largest_remainder_is_a_lower_bound() -> None:
    # C has size 0: it is held at the minimum, 1. The 9 seats left give B the quota
    # 9*10/100 = 0.9 < 1, so B is held at 1 as well, and A gets the 8 left.
    assert apportion({"A": 90, "B": 10, "C": 0}, 10, minimum=1) == {"A": 8, "B": 1, "C": 1}
    # No zero group: quotas 9 and 1 both reach the minimum, so the minimum changes nothing.
    # (Handing out the minimum first and splitting the other 8 seats 90 : 10 would give
    # 1 + 7.2 -> 8 and 1 + 0.8 -> 2 instead.)
    assert apportion({"A": 90, "B": 10}, 10, minimum=1) == {"A": 9, "B": 1}
    # Holding repeats: minimum 2 of 10 seats, sizes 70 / 21 / 9. Round 1 quotas 7, 2.1, 0.9:
    # C is held at 2. Round 2, 8 seats for A and B: B's quota 8*21/91 = 1.85 < 2, so B is held
    # at 2 too. A gets the 6 left.
    assert apportion({"A": 70, "B": 21, "C": 9}, 10, minimum=2) == {"A": 6, "B": 2, "C": 2}


def test_minimum_for_divisor_methods_starts_every_group_there() -> None:
    # D'Hondt with minimum 1: every group holds 1, then priorities size/(n+1) from n = 1:
    # A 90/2 = 45, 30, 22.5, 18, 15, 12.86, 11.25, 10 ... B 10/2 = 5. Seven seats left -> A gets all.
    assert apportion({"A": 90, "B": 10, "C": 0}, 10, method="dhondt", minimum=1) == {"A": 8, "B": 1, "C": 1}


def test_zero_total_and_zero_sizes() -> None:
    assert apportion({}, 0) == {}
    for method in METHODS:
        assert apportion({"a": 0, "b": 0}, 0, method=method) == {"a": 0, "b": 0}
        assert apportion({"a": 0, "b": 0}, 4, method=method, minimum=2) == {"a": 2, "b": 2}
        assert apportion({"a": 3, "b": 0}, 5, method=method) == {"a": 5, "b": 0}


def test_result_keeps_the_input_key_order() -> None:
    sizes = {"z": 1, "a": 3, "m": 2}
    assert list(apportion(sizes, 6, method="dhondt")) == ["z", "a", "m"]


# The same four parties and 8 seats under the methods R's `apportion` / Julia's
# Apportionment.jl add, worked by hand (priorities size / d(n), the 8 largest win):
#   Adams, d(n) = n: every party's first seat has an infinite priority (4 seats), then
#     A 100,000  B 80,000  A 50,000  B 40,000 (C 30,000 next)          -> A3 B3 C1 D1
#   Dean, d = 0, 4/3, 2.4, ...: first seats for all four, then A 75,000 (100,000 / (4/3)),
#     B 60,000, A 41,667 (/2.4), B 33,333 (C 22,500 next)              -> A3 B3 C1 D1
#   Danish, d = 1/3, 4/3, 7/3, ... (size × 3 / (3n + 1)): A 300,000  B 240,000  C 90,000
#     A 75,000  B 60,000  D 60,000  A 42,857  B 34,286                 -> A3 B3 C1 D1
#   Imperiali, d = 2, 3, 4, ...: A 50,000  B 40,000  A 33,333  B 26,667  A 25,000
#     A 20,000  B 20,000  A 16,667 (B 16,000 next)                     -> A5 B3 C0 D0
#   Sainte-Laguë with first divisor 1.4 (then 3, 5, 7): A 71,429  B 57,143  A 33,333
#     B 26,667  C 21,429  A 20,000  B 16,000, and for the 8th A 100,000/7 and D 20,000/1.4
#     are the same 14,285.71…: the tie goes to the larger group, A      -> A4 B3 C1 D0
#   with first divisor 1.2: A 83,333  B 66,667  A 33,333  B 26,667  C 25,000  A 20,000
#     D 16,667  B 16,000                                                -> A3 B3 C1 D1
@pytest.mark.parametrize(("method", "expected"), [
    ("adams", {"A": 3, "B": 3, "C": 1, "D": 1}),
    ("dean", {"A": 3, "B": 3, "C": 1, "D": 1}),
    ("danish", {"A": 3, "B": 3, "C": 1, "D": 1}),
    ("imperiali", {"A": 5, "B": 3, "C": 0, "D": 0}),
    ("modified-sainte-lague", {"A": 4, "B": 3, "C": 1, "D": 0}),
    ("swedish-sainte-lague", {"A": 3, "B": 3, "C": 1, "D": 1}),
])
def test_the_other_divisor_methods_on_the_wikipedia_votes(method: str, expected: dict[str, int]) -> None:
    assert apportion(WIKI_VOTES, 8, method=method) == expected


def test_adams_and_dean_need_a_seat_for_every_nonzero_group() -> None:
    for method in ("adams", "dean"):
        with pytest.raises(ApportionmentError, match=f"{method} gives every group of nonzero size one seat") as e:
            apportion(WIKI_VOTES, 3, method=method)
        assert e.value.kind == "too-few-seats"


def test_the_alabama_paradox_of_hamilton_and_none_for_a_divisor_method() -> None:
    # Hamilton, 10 seats for 6 : 6 : 2 (quotas 4.29, 4.29, 1.43): 4, 4, 2 (丙 has the largest
    # remainder, .43). 11 seats (quotas 4.71, 4.71, 1.57): floors 4, 4, 1 leave two, to the
    # remainders .71 and .71: 5, 5, 1. One more seat in all, and 丙 loses one.
    sizes = {"甲": 6, "乙": 6, "丙": 2}
    assert apportion(sizes, 10) == {"甲": 4, "乙": 4, "丙": 2}
    assert apportion(sizes, 11) == {"甲": 5, "乙": 5, "丙": 1}
    for method in DIVISOR_METHODS:
        before, after = apportion(sizes, 10, method=method), apportion(sizes, 11, method=method)
        assert all(after[g] >= before[g] for g in sizes), method


def test_hamiltons_minimum_as_the_historical_us_rule() -> None:
    # 20 seats for 50 : 30 : 15 : 3 : 2 (100 people), at least one each. Quotas: 10, 6, 3,
    # 0.6, 0.4. "raise": D (0.6) and E (0.4) are raised to 1; A, B, C keep the whole parts
    # of their first quotas, 10 + 6 + 3 = 19; 19 + 2 = 21 > 20: too many, an error.
    # With 30 seats: quotas 15, 9, 4.5, 0.9, 0.6. D and E raised to 1; A 15, B 9, C 4:
    # 28 + 2 = 30, nothing left; C keeps 4 though its remainder .5 is the largest.
    sizes = {"A": 50, "B": 30, "C": 15, "D": 3, "E": 2}
    assert apportion(sizes, 30, minimum=1, minimum_rule="raise") == {"A": 15, "B": 9, "C": 4, "D": 1, "E": 1}
    with pytest.raises(ApportionmentError, match="raising 2 groups to the minimum 1 leaves 1 seats too many"):
        apportion(sizes, 20, minimum=1, minimum_rule="raise")
    # the default reading holds D and E at 1 and shares the 28 left among A, B, C again by
    # their sizes (95 in all): 28 × 50/95 = 14.74, 28 × 30/95 = 8.84, 28 × 15/95 = 4.42;
    # floors 14, 8, 4 leave two, to .84 (B) and .74 (A): 15, 9, 4
    assert apportion(sizes, 30, minimum=1) == {"A": 15, "B": 9, "C": 4, "D": 1, "E": 1}
    # where they differ: 10 seats for 70 : 27 : 3. Quotas 7, 2.7, 0.3. "raise": C raised to
    # 1, A 7 and B 2 keep their whole parts, 7 + 2 + 1 = 10. Lower bound: C held at 1, the
    # 9 left shared by 70 : 27 (97): 6.49 and 2.51, floors 6 and 2, the one left to .51 (B).
    small = {"A": 70, "B": 27, "C": 3}
    assert apportion(small, 10, minimum=1, minimum_rule="raise") == {"A": 7, "B": 2, "C": 1}
    assert apportion(small, 10, minimum=1) == {"A": 6, "B": 3, "C": 1}


def test_the_minimum_rule_is_checked() -> None:
    with pytest.raises(ApportionmentError, match="minimum_rule must be one of lower-bound, raise"):
        apportion(WIKI_VOTES, 8, minimum=1, minimum_rule="round")
    with pytest.raises(ApportionmentError, match="a rule of largest-remainder"):
        apportion(WIKI_VOTES, 8, method="dhondt", minimum=1, minimum_rule="raise")


# ---- (b) properties -----------------------------------------------------------------------

NAMES = st.text(alphabet="abcxyzAB镇乡村", min_size=1, max_size=3)
SIZES = st.one_of(st.integers(0, 12), st.integers(0, 100_000))


@st.composite
def cases(draw: st.DrawFn, method: str | None = None, with_minimum: bool = True) -> tuple[str, dict[str, int], int, int]:
    """A valid (method, sizes, total, minimum): at least one nonzero size, enough seats for the
    minimums, and for Huntington–Hill without a minimum a seat for each nonzero group."""
    chosen = method if method is not None else draw(st.sampled_from(METHODS))
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    anchor = draw(st.integers(0, len(names) - 1))
    sizes = {name: draw(st.integers(1, 100_000)) if i == anchor else draw(SIZES) for i, name in enumerate(names)}
    minimum = draw(st.integers(0, 3)) if with_minimum else 0
    base = minimum * len(names)
    if chosen in ZERO_FIRST and minimum == 0:
        base = sum(1 for size in sizes.values() if size > 0)
    total = base + draw(st.integers(0, 60))
    return chosen, sizes, total, minimum


@SETTINGS
@given(cases())
def test_sums_to_total_with_the_same_keys(case: tuple[str, dict[str, int], int, int]) -> None:
    method, sizes, total, minimum = case
    result = apportion(sizes, total, method=method, minimum=minimum)
    assert list(result) == list(sizes)
    assert sum(result.values()) == total
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in result.values())


@SETTINGS
@given(cases())
def test_every_group_gets_at_least_the_minimum_and_empty_groups_exactly_it(
    case: tuple[str, dict[str, int], int, int],
) -> None:
    method, sizes, total, minimum = case
    result = apportion(sizes, total, method=method, minimum=minimum)
    assert all(result[name] >= minimum for name in sizes)
    assert all(result[name] == minimum for name, size in sizes.items() if size == 0)


@SETTINGS
@given(cases())
def test_a_larger_group_never_gets_fewer_seats(case: tuple[str, dict[str, int], int, int]) -> None:
    method, sizes, total, minimum = case
    result = apportion(sizes, total, method=method, minimum=minimum)
    for a in sizes:
        for b in sizes:
            if sizes[a] > sizes[b]:
                assert result[a] >= result[b]


@SETTINGS
@given(cases(method="largest-remainder", with_minimum=False))
def test_largest_remainder_gives_floor_or_ceiling_of_the_quota(case: tuple[str, dict[str, int], int, int]) -> None:
    _, sizes, total, _ = case
    result = apportion(sizes, total)
    population = sum(sizes.values())
    for name, size in sizes.items():
        quota = Fraction(size * total, population)
        assert quota.__floor__() <= result[name] <= quota.__ceil__()


@SETTINGS
@given(cases(method="largest-remainder"))
def test_largest_remainder_minimum_that_does_not_bind_changes_nothing(
    case: tuple[str, dict[str, int], int, int],
) -> None:
    _, sizes, total, minimum = case
    population = sum(sizes.values())
    if all(size * total >= minimum * population for size in sizes.values()):
        assert apportion(sizes, total, minimum=minimum) == apportion(sizes, total)


@SETTINGS
@given(st.sampled_from(DIVISOR_METHODS).flatmap(lambda m: cases(method=m)))
def test_divisor_minimum_that_does_not_bind_changes_nothing(case: tuple[str, dict[str, int], int, int]) -> None:
    method, sizes, total, minimum = case
    if method in ZERO_FIRST and total < sum(1 for size in sizes.values() if size > 0):
        return  # without the minimum the method has too few seats for this case
    free = apportion(sizes, total, method=method)
    if all(seats >= minimum for seats in free.values()):
        assert apportion(sizes, total, method=method, minimum=minimum) == free


@SETTINGS
@given(st.sampled_from(DIVISOR_METHODS).flatmap(lambda m: cases(method=m)))
def test_divisor_methods_are_house_monotone(case: tuple[str, dict[str, int], int, int]) -> None:
    method, sizes, total, minimum = case
    before = apportion(sizes, total, method=method, minimum=minimum)
    after = apportion(sizes, total + 1, method=method, minimum=minimum)
    assert all(after[name] >= before[name] for name in sizes)
    assert sum(after[name] - before[name] for name in sizes) == 1


def _next_seat_priority(method: str, size: int, held: int) -> tuple[int, Fraction]:
    """Priority of a group's next seat, written independently of the module: (1, _) is infinite."""
    if method == "dhondt":
        return 0, Fraction(size, held + 1)
    if method == "sainte-lague":
        return 0, Fraction(2 * size, 2 * held + 1)  # size / (held + 1/2)
    if method == "danish":
        return 0, Fraction(3 * size, 3 * held + 1)  # size / (held + 1/3)
    if method == "imperiali":
        return 0, Fraction(size, held + 2)
    if method in ("modified-sainte-lague", "swedish-sainte-lague"):  # first divisor 1.4 (1.2), then 3, 5, ...
        first = Fraction(14, 10) if method == "modified-sainte-lague" else Fraction(12, 10)
        return 0, size / first if held == 0 else Fraction(size, 2 * held + 1)
    if method in ("adams", "dean") and held == 0:
        return (1, Fraction(0)) if size > 0 else (0, Fraction(0))
    if method == "adams":
        return 0, Fraction(size, held)
    if method == "dean":  # size / (held(held+1) / (held + 1/2))
        return 0, Fraction(size * (2 * held + 1), 2 * held * (held + 1))
    if held == 0:
        return (1, Fraction(0)) if size > 0 else (0, Fraction(0))
    return 0, Fraction(size * size, held * (held + 1))  # the square of size / √(held(held+1))


@SETTINGS
@given(st.sampled_from(DIVISOR_METHODS).flatmap(lambda m: cases(method=m)))
def test_divisor_methods_no_seat_would_go_elsewhere(case: tuple[str, dict[str, int], int, int]) -> None:
    # The defining inequality of a divisor method: the last seat any group won (above its
    # minimum) had at least the priority of every group's next seat.
    method, sizes, total, minimum = case
    result = apportion(sizes, total, method=method, minimum=minimum)
    won = [_next_seat_priority(method, sizes[g], result[g] - 1) for g in sizes if result[g] > minimum]
    waiting = [_next_seat_priority(method, sizes[g], result[g]) for g in sizes]
    if won:
        assert min(won) >= max(waiting)


@SETTINGS
@given(cases().flatmap(lambda c: st.tuples(st.just(c), st.permutations(list(c[1].items())))))
def test_result_does_not_depend_on_the_order_of_the_mapping(
    case_and_order: tuple[tuple[str, dict[str, int], int, int], list[tuple[str, int]]],
) -> None:
    (method, sizes, total, minimum), shuffled = case_and_order
    assert apportion(dict(shuffled), total, method=method, minimum=minimum) == apportion(
        sizes, total, method=method, minimum=minimum
    )


# ---- (c) errors ---------------------------------------------------------------------------


def test_error_class() -> None:
    assert issubclass(ApportionmentError, ValueError)
    assert issubclass(ApportionmentError, StarError)


@pytest.mark.parametrize(
    ("given_name", "suggestion"),
    [
        ("Hamilton", "hamilton"),
        ("dhont", "dhondt"),
        ("D'Hondt", "dhondt"),
        ("Webster", "webster"),
        ("Sainte-Laguë", "sainte-lague"),
        ("jeferson", "jefferson"),
        ("huntington_hill", "huntington-hill"),
        ("largest remainder", "largest-remainder"),
    ],
)
def test_unknown_method_suggests_and_lists_the_methods(given_name: str, suggestion: str) -> None:
    with pytest.raises(ApportionmentError) as info:
        apportion({"a": 1}, 1, method=given_name)
    message = str(info.value)
    assert info.value.kind == "unknown-method"
    assert repr(given_name) in message
    assert f"did you mean {suggestion!r}?" in message
    for method in METHODS:
        assert repr(method) in message


def test_unknown_method_without_a_close_match_still_lists_the_methods() -> None:
    with pytest.raises(ApportionmentError, match="unknown apportionment method 'quux'") as info:
        apportion({"a": 1}, 1, method="quux")
    assert "did you mean" not in str(info.value)
    assert all(repr(method) in str(info.value) for method in METHODS)


def test_negative_total() -> None:
    with pytest.raises(ApportionmentError, match=r"total must be ≥ 0, got -3") as info:
        apportion({"a": 1}, -3)
    assert info.value.kind == "bad-total"


def test_negative_size_names_the_group_and_the_value() -> None:
    with pytest.raises(ApportionmentError, match=r"size of group '河口乡' must be ≥ 0, got -5") as info:
        apportion({"城关镇": 3, "河口乡": -5}, 4)
    assert info.value.kind == "bad-size"


def test_negative_minimum() -> None:
    with pytest.raises(ApportionmentError, match=r"minimum must be ≥ 0, got -1"):
        apportion({"a": 1}, 1, minimum=-1)


@pytest.mark.parametrize("bad", [2.5, 3.0, "3", None, Fraction(1, 2)])
def test_non_int_values_are_refused(bad: object) -> None:
    with pytest.raises(ApportionmentError, match=r"size of group 'b' must be a whole number \(int\), got"):
        apportion({"a": 1, "b": bad}, 3)  # type: ignore[dict-item]
    with pytest.raises(ApportionmentError, match=r"total must be a whole number \(int\), got"):
        apportion({"a": 1}, bad)  # type: ignore[arg-type]
    with pytest.raises(ApportionmentError, match=r"minimum must be a whole number \(int\), got"):
        apportion({"a": 1}, 3, minimum=bad)  # type: ignore[arg-type]


def test_bool_is_not_an_int_here() -> None:
    with pytest.raises(ApportionmentError, match=r"size of group 'a' .* got bool True \(bool is not accepted"):
        apportion({"a": True}, 1)
    with pytest.raises(ApportionmentError, match=r"total .* got bool True"):
        apportion({"a": 1}, True)
    with pytest.raises(ApportionmentError, match=r"minimum .* got bool False"):
        apportion({"a": 1}, 1, minimum=False)


def test_non_str_name_is_refused() -> None:
    with pytest.raises(ApportionmentError, match=r"group names must be str, got int 7") as info:
        apportion({7: 1}, 1)  # type: ignore[dict-item]
    assert info.value.kind == "bad-name"


def test_no_groups_but_seats() -> None:
    with pytest.raises(ApportionmentError, match=r"no groups to apportion 5 seats among") as info:
        apportion({}, 5)
    assert info.value.kind == "no-groups"


def test_minimum_exceeding_total_says_the_numbers() -> None:
    with pytest.raises(ApportionmentError) as info:
        apportion({"a": 1, "b": 2, "c": 3}, 5, minimum=2)
    assert str(info.value) == "3 groups × minimum 2 = 6 seats, but the total is 5"
    assert info.value.kind == "minimum-exceeds-total"


@pytest.mark.parametrize("method", METHODS)
def test_all_sizes_zero_with_seats_to_split(method: str) -> None:
    with pytest.raises(
        ApportionmentError, match=r"every one of the 2 groups has size 0, so the 3 seats beyond the minimums"
    ) as info:
        apportion({"a": 0, "b": 0}, 5, method=method, minimum=1)
    assert "(5 - 2 × 1)" in str(info.value)
    assert info.value.kind == "all-sizes-zero"


def test_huntington_hill_needs_a_seat_per_nonzero_group() -> None:
    with pytest.raises(ApportionmentError) as info:
        apportion({"a": 1, "b": 2, "c": 3, "d": 0}, 2, method="huntington-hill")
    message = str(info.value)
    assert info.value.kind == "too-few-seats"
    assert "needs at least 3 seats for the 3 groups of nonzero size" in message
    assert "the total is 2" in message
    # The other methods take the same input.
    for method in ("largest-remainder", "dhondt", "sainte-lague"):
        assert sum(apportion({"a": 1, "b": 2, "c": 3, "d": 0}, 2, method=method).values()) == 2


# ---- (d) the fast divisor methods equal the per-seat loop ----------------------------------


def _per_seat_loop(method: str, sizes: dict[str, int], total: int, minimum: int) -> dict[str, int]:
    """The divisor method as defined: every group starts at the minimum, then each seat in
    turn goes to the best key (higher priority, then larger group, then name) — written
    here independently of the module, one seat at a time."""
    seats = {name: minimum for name in sizes}
    for _ in range(total - minimum * len(sizes)):
        # _next_seat_priority: (1, _) is an infinite priority; higher is better.
        best = max(sizes, key=lambda g: (_next_seat_priority(method, sizes[g], seats[g]), sizes[g], _Desc(g)))
        seats[best] += 1
    return seats


class _Desc:
    """A name that sorts backwards, so max() prefers the name that sorts first."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __lt__(self, other: _Desc) -> bool:
        return self.name > other.name

    def __gt__(self, other: _Desc) -> bool:
        return self.name < other.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.name == other.name

    __hash__ = None  # type: ignore[assignment]


@st.composite
def big_cases(draw: st.DrawFn, method: str) -> tuple[str, dict[str, int], int, int]:
    """Like cases(), but with totals up to 400 so the first estimate is often off on both sides."""
    chosen, sizes, total, minimum = draw(cases(method=method))
    return chosen, sizes, total + draw(st.integers(0, 340)), minimum


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DIVISOR_METHODS).flatmap(lambda m: big_cases(method=m)))
def test_fast_divisor_methods_equal_the_per_seat_loop(case: tuple[str, dict[str, int], int, int]) -> None:
    method, sizes, total, minimum = case
    assert apportion(sizes, total, method=method, minimum=minimum) == _per_seat_loop(method, sizes, total, minimum)


@pytest.mark.parametrize("method", DIVISOR_METHODS)
def test_fast_divisor_on_many_seats_equals_the_per_seat_loop(method: str) -> None:
    # Ties everywhere (equal sizes) and far more seats than groups: the first estimate gives
    # each of the 3 groups of size 7 the same count, and the names settle the leftovers.
    sizes = {"c": 7, "a": 7, "b": 7, "d": 1, "e": 0}
    for total in (0, 1, 5, 22, 100, 257):
        if method in ZERO_FIRST and total < 4:
            continue  # fewer seats than nonzero groups is refused for Huntington–Hill, Adams, Dean
        assert apportion(sizes, total, method=method) == _per_seat_loop(method, sizes, total, 0)


# ---- aliases and the first divisor of Sainte-Laguë ------------------------------------------


@pytest.mark.parametrize(("alias", "method"), sorted(ALIASES.items()))
def test_every_alias_is_read_as_its_method(alias: str, method: str) -> None:
    assert method_name(alias) == method
    for sizes, total in ((WIKI_VOTES, 8), (US_1790, 105), ({"甲": 6, "乙": 6, "丙": 2}, 11)):
        assert apportion(sizes, total, method=alias) == apportion(sizes, total, method=method)


def test_the_aliases_the_issue_names_are_accepted() -> None:
    # The names of the U.S. apportionment debates: Jefferson's method of 1792 is D'Hondt's
    # (the 105 seats of JEFFERSON_1792, worked above), Hamilton's and Hare's are largest
    # remainder, Webster's Sainte-Laguë's, Hill's "equal proportions" Huntington–Hill's.
    assert apportion(US_1790, 105, method="jefferson") == JEFFERSON_1792
    assert apportion(US_1790, 105, method="hamilton") == dict(JEFFERSON_1792, Virginia=18, Delaware=2)
    assert apportion(US_1790, 105, method="hare") == dict(JEFFERSON_1792, Virginia=18, Delaware=2)
    assert apportion(WIKI_VOTES, 8, method="webster") == {"A": 3, "B": 3, "C": 1, "D": 1}
    assert apportion(WIKI_VOTES, 8, method="equal-proportions") == apportion(WIKI_VOTES, 8, method="huntington-hill")


# WIKI_VOTES, 8 seats, Sainte-Laguë with its first divisor set (the scale 1, 3, 5, 7, ...):
#   1.4 -> A 71,429  B 57,143  A 33,333  B 26,667  C 21,429  A 20,000  B 16,000, then A 14,286
#          and D 14,286 tie for the 8th: the larger group, A -> A4 B3 C1 D0 (modified-sainte-lague)
#   1.2 -> A3 B3 C1 D1 (swedish-sainte-lague, worked above)
#   2   -> firsts A 50,000  B 40,000  C 15,000  D 10,000, then /3 A 33,333 B 26,667, /5 A 20,000
#          B 16,000, /7 A 14,286: the 8 largest are A 50,000 B 40,000 A 33,333 B 26,667 A 20,000
#          B 16,000 C 15,000 A 14,286 (B 11,429 next) -> A4 B3 C1 D0
#   3   -> firsts A 33,333  B 26,667  C 10,000  D 6,667, and /3 the same again: A 33,333 twice,
#          B 26,667 twice, then A 20,000 B 16,000 A 14,286 B 11,429 (A 11,111, C 10,000 next)
#          -> A4 B4 C0 D0: a first divisor as large as the second shuts the small parties out
@pytest.mark.parametrize(("first", "expected"), [
    ("1.4", {"A": 4, "B": 3, "C": 1, "D": 0}),
    (Fraction(6, 5), {"A": 3, "B": 3, "C": 1, "D": 1}),
    (2, {"A": 4, "B": 3, "C": 1, "D": 0}),
    (Decimal(3), {"A": 4, "B": 4, "C": 0, "D": 0}),
])
def test_sainte_lague_with_a_first_divisor(first: object, expected: dict[str, int]) -> None:
    assert apportion(WIKI_VOTES, 8, method="sainte-lague", first_divisor=first) == expected  # type: ignore[arg-type]
    # the same first divisor given to the modified methods replaces theirs
    assert apportion(WIKI_VOTES, 8, method="modified-sainte-lague", first_divisor=first) == expected  # type: ignore[arg-type]


def test_the_named_variants_are_their_first_divisors() -> None:
    for sizes, total in ((WIKI_VOTES, 8), (US_1790, 105), ({"甲": 6, "乙": 6, "丙": 2}, 11)):
        assert apportion(sizes, total, method="modified-sainte-lague") == \
            apportion(sizes, total, method="sainte-lague", first_divisor="1.4")
        assert apportion(sizes, total, method="swedish-sainte-lague") == \
            apportion(sizes, total, method="sainte-lague", first_divisor=Decimal("1.2"))
        assert apportion(sizes, total, method="sainte-lague", first_divisor=1) == \
            apportion(sizes, total, method="sainte-lague")


@pytest.mark.parametrize(("method", "first", "message"), [
    ("dhondt", "1.4", "first_divisor is a setting of the Sainte-Laguë methods"),
    ("sainte-lague", 0, "must be above 0 and at most 3"),
    ("sainte-lague", "3.5", "must be above 0 and at most 3"),
    ("sainte-lague", -1, "must be above 0 and at most 3"),
    ("sainte-lague", 1.4, "must be an exact number"),
    ("sainte-lague", True, "must be an exact number"),
    ("sainte-lague", "1,4", "must be an exact number"),
    ("sainte-lague", Decimal("NaN"), "must be an exact number"),
])
def test_bad_first_divisors(method: str, first: object, message: str) -> None:
    with pytest.raises(ApportionmentError, match=message) as info:
        apportion(WIKI_VOTES, 8, method=method, first_divisor=first)  # type: ignore[arg-type]
    assert info.value.kind == "bad-first-divisor"


def _per_seat_sainte_lague(sizes: dict[str, int], total: int, minimum: int, first: Fraction) -> dict[str, int]:
    """Seat by seat, written independently of the module: the next seat to the largest
    size / d(n), d(0) = first / 2 and d(n) = n + 1/2; ties to the larger group, then the name."""
    seats = dict.fromkeys(sizes, minimum)
    for _ in range(total - minimum * len(sizes)):
        def key(g: str) -> tuple[Fraction, int, str]:
            d = first / 2 if seats[g] == 0 else seats[g] + Fraction(1, 2)
            return -(sizes[g] / d), -sizes[g], g
        seats[min(sizes, key=key)] += 1
    return seats


@SETTINGS
@given(cases(method="sainte-lague"), st.fractions(min_value=Fraction(1, 100), max_value=3, max_denominator=100))
def test_any_first_divisor_gives_the_seat_by_seat_result(case: tuple[str, dict[str, int], int, int],
                                                         first: Fraction) -> None:
    _method, sizes, total, minimum = case
    assert apportion(sizes, total, method="sainte-lague", minimum=minimum, first_divisor=first) == \
        _per_seat_sainte_lague(sizes, total, minimum, first)
