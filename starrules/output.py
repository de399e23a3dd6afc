"""The results of a population run, written as CSV, JSON, JSON Lines or an XLSX workbook.

Takes a scheme, the rows it rated and its :class:`~starrules.population.Rating`; gives
:class:`Results`, one line per input row in input order (rated, ineligible or invalid:
nothing is dropped), and writes them atomically (:func:`starrules.data.atomic_file`).

Every output says which scheme made it: its title, version, period and the sha256 of its
text. JSON and the workbook say it once (the workbook on its ``scheme`` sheet); CSV and
JSON Lines say it on every line (the last four columns of CSV), so that a sorted, filtered
or concatenated file still ties each line to its scheme. A spreadsheet reads the CSV as
a plain table: no comment line above the header.

The columns: the row's number in the data file, the id, the groups, the level, the total,
status and reason, the flags, the level before the quotas and the rank; then one column
per score, bonus and penalty (its value), one per rule, quota and selection (``✔`` where
it applied to the row), and the scheme's columns.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar, overload

import attrs

from starrules import model as m
from starrules import runtime, xlsx
from starrules.api import Scheme
from starrules.data import DataError, Row, atomic_file
from starrules.errors import InputError, shown, value_missing
from starrules.i18n import _
from starrules.population import Outcome, Rating
from starrules.result import Past, Result, jsonable, unscale
from starrules.values import fmt_number

OUTPUT_FORMATS = ("csv", "json", "jsonl", "xlsx", "parquet")
OUTPUT_SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx",
                   ".parquet": "parquet"}
APPLIED = "✔"
META_COLUMNS = ("scheme", "scheme_version", "period", "scheme_sha256")
SHEETS = ("results", "summary", "invalid", "scheme")

Wrap = Callable[[Iterator[Any]], Iterator[Any]]
_NOTHING: frozenset[tuple[str, str]] = frozenset()
_V = TypeVar("_V")


def output_format(path: str | os.PathLike[str] | None, fmt: str | None = None) -> str:
    """The format asked for (``fmt``), else the one the file's suffix names, else CSV."""
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS:
            raise DataError(_("the output format must be one of {formats}, not {got}").format(
                formats=", ".join(OUTPUT_FORMATS), got=repr(fmt)))
        return fmt
    if path is None:
        return "csv"
    return OUTPUT_SUFFIXES.get(os.path.splitext(str(path))[1].lower(), "csv")


@attrs.frozen
class Problem:
    """Why one row is invalid: a value that does not fit its input (``column`` the data's
    column as its header writes it, ``input`` the scheme's name for it, ``value`` what was written, ``expected``
    what the declaration allows), or a requirement (``require``) that does not hold."""

    row: int
    id: str
    column: str
    input: str
    value: object
    expected: str

    @property
    def shown(self) -> str:
        return _("(missing)") if value_missing(self.value) else shown(self.value)

    @property
    def what(self) -> str:
        """The problem in words, without its row."""
        if not self.column:
            return self.expected
        where = _("history") if self.input == "history" else _("column {column}").format(column=self.column)
        if self.column != self.input:
            where += _(" (→ {input})").format(input=self.input)
        if value_missing(self.value):
            return _("{where}: (missing) is not valid; expected {expected}").format(where=where, expected=self.expected)
        return _("{where}: {value} is not valid; expected {expected}").format(
            where=where, value=repr(self.value), expected=self.expected)

    def __str__(self) -> str:
        return _("row {number}: {problem}").format(number=self.row, problem=self.what)

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "column": self.column, "input": self.input,
                "value": None if value_missing(self.value) else jsonable(self.value), "expected": self.expected}


class Placed(Sequence[Row]):
    """``n`` rows known only by their places (row ``k`` is number ``k + 1``, with no values):
    the rows of a file that the DuckDB engine read in place."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> Row: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | Sequence[Row]:
        places = range(1, self.n + 1)  # its indexes and slices, negative ones and IndexError too
        return [Row(k, {}) for k in places[i]] if isinstance(i, slice) else Row(places[i], {})


class _Rows:
    """The rows as given, a plain record becoming a :class:`Row` numbered by its place
    (from 1) when it is reached, not before: the writers keep no object per row."""

    def __init__(self, rows: Sequence[Row | Mapping[str, object]]) -> None:
        self.given = rows

    def __len__(self) -> int:
        return len(self.given)

    def __iter__(self) -> Iterator[Row]:
        for number, r in enumerate(self.given, 1):
            yield r if isinstance(r, Row) else Row(number, r)

    def numbered_by_place(self) -> bool:
        """Whether row ``k`` (from 0) is number ``k + 1``: plain records, or :class:`Placed`."""
        given = self.given
        return isinstance(given, Placed) or not given or not isinstance(given[0], Row)

    def __getitem__(self, i: int) -> Row:
        """The row at place ``i`` (from 0; from the end if negative)."""
        if i < 0:
            i += len(self.given)
        r = self.given[i]
        return r if isinstance(r, Row) else Row(i + 1, r)


class Results:
    """A rating ready to write: one line per input row, in order.

    ``rows`` are the rated rows as read (their numbers in the file are shown; plain
    records are numbered from 1); ``renamed`` maps an input's name to the data's column
    that gave it (see :class:`starrules.data.Table`); ``history`` is what the rating was
    given, needed to tell which caps and demotions applied.
    """

    def __init__(self, scheme: Scheme, rating: Rating, rows: Sequence[Row | Mapping[str, object]], *,
                 period: int | None = None, history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None = None,
                 renamed: Mapping[str, str] | None = None, source: str | None = None) -> None:
        if len(rows) != len(rating.outcomes):
            raise ValueError(f"{len(rows)} rows but {len(rating.outcomes)} outcomes: rate exactly these rows")
        self.scheme = scheme
        self.rating = rating
        self.rows = _Rows(rows)
        self.period = period
        self.history = history
        self.renamed = dict(renamed or {})
        self.source = source
        program = scheme.program
        self.groups = list(program.group_fields)
        self.scores = [s for s in program.scores if s.name != program.total]
        self.rules = rule_columns(program)
        self.badges = any(s.kind == "badges" for s in program.scores)
        self._held_kinds = {r.name: r.kind for r in program.rules_of("demote") + program.rules_of("cap")}
        self._selection_flags = [(s.name, s.flag) for s in program.selections if s.flag is not None]
        self._score_names = [s.name for s in self.scores]
        everyone = [s.name for s in program.scores]
        self._score_positions = [everyone.index(name) for name in self._score_names]
        self._scales: tuple[int, ...] | None = None  # the scales of the scores written, and their memos
        self._memos: list[tuple[int, _ScaledTexts]] = []
        self._level_table: tuple[list[str], list[list[object]]] | None = None

    # ---- what every output says ----

    @property
    def meta(self) -> dict[str, Any]:
        s = self.scheme
        return {"title": s.title, "version": s.version, "file": s.source_name, "sha256": s.sha256}

    def counts(self) -> dict[str, int]:
        """Rows in, rated, invalid, ineligible, and rated rows by level (lowest first): rows
        in is always the sum of the three statuses. :meth:`Rating.counts`, read from the
        level table's first line (no second pass over the rows)."""
        header, levels = self.level_table()
        everyone: dict[str, Any] = dict(zip(header[2:], levels[0][2:], strict=True))
        return {key: everyone[key] for key in ("rows", "rated", "invalid", "ineligible", *self.rating.levels.labels)}

    @property
    def columns(self) -> list[str]:
        return result_columns(self.scheme.program)

    # ---- per row ----

    def _id(self, row: Row, o: Outcome) -> str:
        ident = o.id
        if ident:
            return ident
        field = self.scheme.program.id_field
        value = row.values.get(field) if field else None
        if value is None or str(value).strip() == "":
            return f"row {row.number}"  # a value of the id column, the same in every language
        return str(value).strip()

    def _groups(self, row: Row, o: Outcome) -> dict[str, str]:
        if o.result is not None:
            return dict(o.result.groups)
        if not row.values:  # a row of a file read by the DuckDB engine in place: the groups it read
            return dict(o.groups)
        values = row.values  # a row whose inputs could not be read: its groups as written
        return {g: "" if value_missing(values.get(g)) else str(values.get(g)).strip() for g in self.groups}

    def _past(self, o: Outcome) -> tuple[Past, ...]:
        if not self.history or o.id is None:
            return ()
        try:
            return runtime.read_history(self.scheme.program, self.history.get(o.id, ()))
        except InputError:  # pragma: no cover - the rating read the same history
            return ()

    def applied(self, o: Outcome) -> frozenset[tuple[str, str]]:
        """The rules, quotas and selections that applied to a row, as (kind, name):
        the requirement it failed or the disqualification it met; the vetoes, caps and
        demotions whose conditions held; its flags; the quotas and selections that moved
        or picked it."""
        if o.status != "rated":
            kind = "disqualify" if o.status == "ineligible" else "require"
            return frozenset({(kind, o.reason)}) if o.reason and not o.problems else _NOTHING
        res = o.result
        assert res is not None
        if not (res.vetoes or res.held or o.flags or o.moves):  # most rows: nothing applied
            return _NOTHING
        out = {("veto", v) for v in res.vetoes}
        if res.held:
            kinds = self._held_kinds
            out |= {(kinds[name], name) for name in res.held}
        out |= {("flag", f) for f in o.flags}
        out |= {("select", name) for name, flag in self._selection_flags if flag in o.flags}
        out |= {(mv.kind, mv.rule) for mv in o.moves}
        return frozenset(out)

    def problems_of(self, row: Row, o: Outcome) -> list[Problem]:
        ident = self._id(row, o)
        if o.problems:
            return [Problem(row.number, ident, self.renamed.get(p.field, p.field), p.field, p.value, p.expected)
                    for p in o.problems]
        if o.status == "invalid":
            return [Problem(row.number, ident, "", "", None,
                            _("the requirement '{reason}' does not hold").format(reason=o.reason))]
        return []

    def problems(self) -> Iterator[Problem]:
        """Every problem of every invalid row, in order."""
        for o in self.rating.invalid():
            yield from self.problems_of(self.rows[o.row], o)

    def _reason(self, row: Row, o: Outcome) -> str | None:
        if o.problems:
            return _("; ").join(p.what for p in self.problems_of(row, o))
        return o.reason

    def lines(self) -> Iterator[list[object]]:
        """One list of values per row, under :attr:`columns`: numbers as ``Decimal``,
        levels as the scheme writes them, absent values as None. The last cells (the
        rules' marks and the scheme's columns) are the same list for every row with the
        same rules applied, made once. Row by row, without :meth:`kinds`: the
        straightforward path that the tests hold the writers' fast paths to."""
        meta: list[object] = [self.scheme.title, self.scheme.version, self.period, self.scheme.sha256]
        names = self._score_names
        no_scores = [None] * len(names)
        rules = self.rules
        tails: dict[frozenset[tuple[str, str]], list[object]] = {}
        for row, o in zip(self.rows, self.rating.outcomes, strict=True):
            res = o.result if o.status == "rated" else None
            applied = self.applied(o)
            groups = o.result.groups if o.result is not None else self._groups(row, o)
            line: list[object] = [row.number, self._id(row, o), *groups.values(),
                                  o.level, o.level_label, o.total, o.status, self._reason(row, o), "、".join(o.flags),
                                  o.level_before, o.rank]
            if self.badges:
                line.append("、".join(res.badges) if res else None)
            if res is not None:
                scores = res.scores
                line += [scores.get(name) for name in names]
            else:
                line += no_scores
            end = tails.get(applied)
            if end is None:
                marks: list[object] = [APPLIED if rule in applied else None for rule in rules]
                end = marks + meta
                if len(tails) < _NumberTexts._LIMIT:
                    tails[applied] = end
            line += end
            yield line

    def _score_texts(self, res: Result, absent: str | None) -> list[str | None]:
        """The written scores of a rated row as texts (``absent`` for a score it lacks):
        from the fast path's scaled integers where the result keeps them (no ``Decimal``
        made), else from its ``Decimal``s; each distinct number formatted once."""
        scaled = res.scaled_scores()
        if scaled is None:
            scores = res.scores
            return [absent if (v := scores.get(name)) is None else number_text(v) for name in self._score_names]
        values, scales = scaled
        if scales != self._scales:  # the same for every result of the compiled scheme
            self._scales = scales
            self._memos = [(j, _ScaledTexts(scales[j])) for j in self._score_positions]
        return [memo[values[j]] for j, memo in self._memos]

    def text_lines(self) -> Iterator[list[object]]:
        """:meth:`lines` as a CSV file writes them: numbers as their texts (integers as
        they are), absent values as empty texts. Made directly, without a list of values
        converted cell by cell: each kind's cells made once."""
        meta: list[object] = ["" if v is None else str(v) for v in (self.scheme.title, self.scheme.version,
                                                                    self.period, self.scheme.sha256)]
        no_scores = [""] * len(self._score_names)
        rules = self.rules
        texts = _NUMBER_TEXTS

        def number(value: Decimal | None) -> object:
            return "" if value is None else texts[value] if isinstance(value, Decimal) else value

        def blank(value: object) -> object:
            return "" if value is None else value

        def pieces(kind: _Kind) -> tuple[list[object], list[object], list[object]]:
            """A kind's cells: the level and its label; the status, reason, flags and the
            level before the quotas; the rules' marks and the scheme's columns."""
            return ([blank(kind.level), blank(kind.level_label)],
                    [kind.status, blank(kind.reason), "、".join(kind.flags), blank(kind.level_before)],
                    [APPLIED if rule in kind.applied else "" for rule in rules] + meta)

        made = _Memo(pieces)
        for row, o, res, kind in self.kinds():
            levels, status, marks = made[kind]
            groups = o.result.groups if o.result is not None else self._groups(row, o)
            badges = ["、".join(kind.badges)] if self.badges else []
            yield [row.number, self._id(row, o), *groups.values(), *levels, number(o.total), *status,
                   blank(o.rank), *badges, *(no_scores if res is None else self._score_texts(res, "")), *marks]

    def records(self) -> Iterator[dict[str, Any]]:
        """One JSON-ready dict per row; numbers are texts, so no digit is lost."""
        names = self._score_names
        rules = self.rules
        for row, o in zip(self.rows, self.rating.outcomes, strict=True):
            res = o.result if o.status == "rated" else None
            applied = self.applied(o)
            ident = self._id(row, o)
            score_texts = dict(zip(names, self._score_texts(res, None), strict=True)) if res is not None else {}
            yield {
                "row": row.number, "id": ident, "groups": self._groups(row, o),
                "level": o.level, "level_label": o.level_label, "level_before": o.level_before, "rank": o.rank,
                "total": number_text(o.total), "status": o.status, "reason": self._reason(row, o),
                "flags": list(o.flags), "badges": list(res.badges) if res else [],
                "vetoes": list(res.vetoes) if res else [],
                "scores": score_texts,
                "rules": [f"{k}:{n}" for k, n in rules if (k, n) in applied] if applied else [],
                "problems": [p.to_dict() for p in self.problems_of(row, o)] if o.problems or o.status == "invalid" else [],
            }

    def kinds(self) -> Iterator[tuple[Row, Outcome, Result | None, _Kind]]:
        """Each row with its outcome, its result (None unless rated) and its :class:`_Kind`:
        what it writes alike with many other rows. Rows alike are given the same kind, so
        that a writer makes what a kind writes once, in a dict keyed by the kind."""
        kinds: dict[tuple[object, ...], _Kind] = {}
        for row, o in zip(self.rows, self.rating.outcomes, strict=True):
            res = o.result if o.status == "rated" else None
            badges, vetoes = (res.badges, res.vetoes) if res is not None else ((), ())
            key = (o.status, o.level, o.level_label, o.level_before, self._reason(row, o), o.flags, badges, vetoes,
                   self.applied(o))
            kind = kinds.get(key)
            if kind is None:
                kind = _Kind(*key)
                if len(kinds) < _NumberTexts._LIMIT:
                    kinds[key] = kind
            yield row, o, res, kind

    def json_texts(self, end: str = "}") -> Iterator[str]:
        """:meth:`records` as JSON texts, each exactly ``json.dumps(record,
        ensure_ascii=False)``: the JSON writers' fast path. Made from fragments (each
        distinct text, group and number encoded once, each kind's keys and values as
        three pieces made once), not from a dict per row encoded whole;
        ``tests/test_output.py`` holds the two equal. ``end`` closes each text (JSON
        Lines puts more keys before the ``}``)."""
        encode = json.JSONEncoder(ensure_ascii=False).encode
        quote = json.encoder.encode_basestring  # what encode does with a text (an id: each its own)
        texts = _JsonTexts()  # only texts as keys: no 1 meets a True or a 1.0

        def value(v: object) -> str:
            if v is None:
                return "null"
            if v.__class__ is str:
                return texts[v]
            if v.__class__ is int:
                return str(v)
            return encode(v)

        def items(values: Iterable[str]) -> str:
            return "[" + ", ".join([texts[v] for v in values]) + "]"

        rules = [(rule, texts[f"{rule[0]}:{rule[1]}"]) for rule in self.rules]

        def pieces(kind: _Kind) -> tuple[str, str, str]:
            """A kind's keys and values: up to the rank, from the status to the scores,
            and after the scores up to the problems."""
            return ("".join([', "level": ', value(kind.level), ', "level_label": ', value(kind.level_label),
                             ', "level_before": ', value(kind.level_before), ', "rank": ']),
                    "".join([', "status": ', texts[kind.status], ', "reason": ', value(kind.reason),
                             ', "flags": ', items(kind.flags), ', "badges": ', items(kind.badges),
                             ', "vetoes": ', items(kind.vetoes), ', "scores": ']),
                    ', "rules": [' + ", ".join([t for rule, t in rules if rule in kind.applied]) + '], "problems": ')

        def score(name: str) -> _Memo[str]:
            """A score's text -> its key and value."""
            key = texts[name] + ": "
            return _Memo(lambda t: key + ("null" if t is None else texts[t]))

        made = _Memo(pieces)
        groups_texts = _Memo(lambda items: encode(dict(items)))
        scores = [score(name) for name in self._score_names]
        totals = _Memo(lambda t: "null" if t is None else texts[t])
        for row, o, res, kind in self.kinds():
            before_rank, before_scores, after_scores = made[kind]
            groups = o.result.groups if o.result is not None else self._groups(row, o)
            rank = "null" if o.rank is None else o.rank
            score_texts = "{}" if res is None else \
                "{" + ", ".join([m[t] for m, t in zip(scores, self._score_texts(res, None), strict=True)]) + "}"
            problems = encode([p.to_dict() for p in self.problems_of(row, o)]) \
                if o.problems or o.status == "invalid" else "[]"
            yield (f'{{"row": {row.number}, "id": {quote(self._id(row, o))}, '
                   f'"groups": {groups_texts[tuple(groups.items())]}{before_rank}{rank}, '
                   f'"total": {totals[number_text(o.total)]}{before_scores}{score_texts}{after_scores}{problems}{end}')

    def xlsx_rows(self) -> Iterator[str]:
        """:meth:`lines` as the workbook writes them (see :func:`starrules.xlsx.write_workbook`):
        each row's cells as one piece of XML, joined from pieces made once (each kind's
        cells, each distinct group and number); ``tests/test_output.py`` holds them equal
        to the cells of :meth:`lines` written one by one."""
        cell = xlsx.cell_xml
        meta = [self.scheme.title, self.scheme.version, self.period, self.scheme.sha256]
        rules = self.rules
        badges = self.badges

        def pieces(kind: _Kind) -> tuple[str, str, str, str]:
            """A kind's cells: the level and its label; the status, reason, flags and the
            level before the quotas; the badges (if the scheme gives them); the rules'
            marks and the scheme's columns."""
            return (cell(kind.level) + cell(kind.level_label),
                    cell(kind.status) + cell(kind.reason) + cell("、".join(kind.flags)) + cell(kind.level_before),
                    cell("、".join(kind.badges)) if badges else "",
                    "".join([cell(APPLIED if rule in kind.applied else None) for rule in rules]
                            + [cell(v) for v in meta]))

        made = _Memo(pieces)
        groups_cells = _Memo(lambda values: "".join([cell(v) for v in values]))
        numbers = _Memo(lambda t: "<c/>" if t is None else f"<c><v>{t}</v></c>")  # a number's text -> its cell
        no_scores = "<c/>" * len(self._score_names)
        for row, o, res, kind in self.kinds():
            levels, status, badge, marks = made[kind]
            groups = o.result.groups if o.result is not None else self._groups(row, o)
            rank = "<c/>" if o.rank is None else f"<c><v>{o.rank}</v></c>"
            score_cells = no_scores if res is None else "".join([numbers[t] for t in self._score_texts(res, None)])
            yield (f"<c><v>{row.number}</v></c>{cell(self._id(row, o))}{groups_cells[tuple(groups.values())]}"
                   f"{levels}{numbers[number_text(o.total)]}{status}{rank}{badge}{score_cells}{marks}")

    # ---- per group ----

    def level_table(self) -> tuple[list[str], list[list[object]]]:
        """Rows, statuses and rated rows by level, over all and per group (levels
        highest first). Made once."""
        if self._level_table is not None:
            return self._level_table
        levels = self.rating.levels
        labels = list(reversed(levels.labels))
        header = ["group_by", "group", "rows", "rated", "invalid", "ineligible", *labels]
        # each row counted once, by its groups, status and level; then summed per group
        names = self.groups
        rows = self.rows
        group_values: Callable[[Mapping[str, str]], Any] = itemgetter(*names) if names else lambda groups: ()
        seen = Counter((group_values(o.result.groups if o.result is not None else self._groups(rows[i], o)), o.status,
                        o.level_label if o.status == "rated" else None) for i, o in enumerate(self.rating.outcomes))
        if len(names) == 1:  # itemgetter gave the one value, not a tuple of one
            seen = Counter({((value,), status, label): n for (value, status, label), n in seen.items()})
        keys: list[tuple[str, str]] = [("", "all")]
        for k, g in enumerate(self.groups):
            keys += [(g, v) for v in sorted({values[k] for values, _status, _label in seen})]
        tally: dict[tuple[str, str], dict[str, int]] = {k: dict.fromkeys(header[2:], 0) for k in keys}
        for (values, status, label), n in seen.items():
            for key in [("", "all"), *zip(self.groups, values)]:
                t = tally[key]
                t["rows"] += n
                t[status] += n
                if label is not None:
                    t[label] += n
        self._level_table = header, [[g, v, *tally[(g, v)].values()] for g, v in keys]
        return self._level_table

    QUOTA_COLUMNS = ("rule", "kind", "line", "group", "text", "base", "target", "before", "after", "met", "enforced",
                     "note")

    def quota_table(self) -> list[list[object]]:
        out: list[list[object]] = []
        for r in self.rating.reports:
            met = {True: "met", False: "NOT MET", None: "target"}[r.met]
            out.append([r.rule, r.kind, r.line, r.group or "all", r.text, r.base, r.target, r.before, r.after,
                        met if r.kind == "quota" else "", "yes" if r.enforced else "report only", r.note])
        return out

    def to_dict(self, wrap: Wrap | None = None) -> dict[str, Any]:
        records = self.records()
        header, levels = self.level_table()
        return {
            "scheme": self.meta,
            "period": self.period,
            "counts": self.counts(),
            "results": list(wrap(records) if wrap else records),
            "levels": [dict(zip(header, row)) for row in levels],
            "quotas": [r.to_dict() for r in self.rating.reports],
        }


# ---- writers ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Kind:
    """What a row writes alike with many others: its status, levels, reason, flags,
    badges, vetoes and the rules that applied (:meth:`Results.applied`). Equal only to
    itself (:meth:`Results.kinds` gives rows alike the same one), so a dict keyed by
    kinds looks each up at once."""

    status: str
    level: int | str | None
    level_label: str | None
    level_before: int | str | None
    reason: str | None
    flags: tuple[str, ...]
    badges: tuple[str, ...]
    vetoes: tuple[str, ...]
    applied: frozenset[tuple[str, str]]


class _Memo(dict[Any, _V]):
    """Key -> ``make(key)``, each made once: a limited memo (``_NumberTexts._LIMIT`` keys)."""

    def __init__(self, make: Callable[[Any], _V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> _V:
        out = self.make(key)
        if len(self) < _NumberTexts._LIMIT:
            self[key] = out
        return out


class _NumberTexts(dict[Any, str]):
    """Number -> its text (``fmt_number``), remembered: a column of results holds few
    distinct numbers. Equal numbers have the same text (``8`` and ``8.0`` are "8"), so
    ``Decimal`` and ``int`` keys may meet; a memo of ``_LIMIT`` numbers at most."""

    _LIMIT = 100_000

    def __missing__(self, value: Decimal | int) -> str:
        text = fmt_number(value)
        if len(self) < self._LIMIT:
            self[value] = text
        return text


_NUMBER_TEXTS = _NumberTexts()


class _ScaledTexts(dict[int, str]):
    """A scaled integer of the compiled fast path -> the text of the number it stands
    for, at one scale (``85`` at scale 1 -> "8.5"), remembered (a limited memo)."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def __missing__(self, value: int) -> str:
        text = fmt_number(unscale(value, self.scale))
        if len(self) < _NumberTexts._LIMIT:
            self[value] = text
        return text


class _JsonTexts(dict[str, str]):
    """A text -> its JSON (quoted, escaped), remembered (a limited memo)."""

    _encode = json.JSONEncoder(ensure_ascii=False).encode

    def __missing__(self, text: str) -> str:
        out = self._encode(text)
        if len(self) < _NumberTexts._LIMIT:
            self[text] = out
        return out


def rule_columns(program: m.Program) -> list[tuple[str, str]]:
    """(kind, name) of each rule, quota and selection that has a column of marks."""
    return list(dict.fromkeys([(r.kind, r.name) for r in program.rules] + [(p.kind, p.name) for p in program.population]))


def result_columns(program: m.Program) -> list[str]:
    """The columns of the results of ``program`` (see the module docstring)."""
    return (["row", "id", *program.group_fields, "level", "level_label", "total", "status", "reason", "flags",
             "level_before_quotas", "rank"] + (["badges"] if any(s.kind == "badges" for s in program.scores) else [])
            + [f"{s.kind}:{s.name}" for s in program.scores if s.name != program.total]
            + [f"{k}:{n}" for k, n in rule_columns(program)] + list(META_COLUMNS))


def number_text(value: Decimal | int | None) -> str | None:
    """A number as JSON carries it (a text, no digit lost), None as None."""
    if value.__class__ is Decimal:
        return _NUMBER_TEXTS[value]
    return None if value is None else jsonable(value)  # type: ignore[return-value]


def _text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _NUMBER_TEXTS[value]
    return value


def batched(items: Iterable[str], n: int) -> Iterator[list[str]]:
    """The items in lists of ``n`` (the last one shorter)."""
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def write_csv(f: IO[str], results: Results, wrap: Wrap | None = None) -> None:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(results.columns)
    lines = results.text_lines()
    w.writerows(wrap(lines) if wrap else lines)


def write_parquet(path: str | os.PathLike[str], results: Results, wrap: Wrap | None = None) -> None:
    """The CSV's columns and cells (texts, exact numbers as written) as a Parquet file of
    text columns, written by DuckDB (extra ``starrules[duckdb]``) beside ``path`` and then
    moved over it."""
    from sqlglot import exp

    from starrules.sql import statements
    from starrules.sql.duck import connect

    if _write_in_sql(path, results):
        return
    con = connect()
    try:
        names = [f"c{i}" for i in range(len(results.columns))]
        con.execute(statements.create_columns("out", [(n, "VARCHAR") for n in names]).sql(dialect="duckdb"))
        lines = results.lines()
        columns: list[list[str | None]] = [[] for _n in names]
        for line in wrap(lines) if wrap else lines:  # one list per column, as duck.load does
            for column, v in zip(columns, line, strict=True):
                column.append(None if v is None else str(_text(v)))
        if columns and columns[0]:
            con.execute(statements.insert_columns("out", ["VARCHAR"] * len(names)).sql(dialect="duckdb"), columns)
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        select = exp.select(*[exp.alias_(exp.column(n, quoted=True), exp.to_identifier(h, quoted=True))
                              for n, h in zip(names, results.columns, strict=True)]).from_(statements.table("out"))
        copy = exp.Copy(this=exp.Subquery(this=select), kind=False, files=[exp.Literal.string(str(tmp))],
                        params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("PARQUET"))])
        con.execute(copy.sql(dialect="duckdb"))
        os.replace(tmp, target)
    finally:
        con.close()


def _write_in_sql(path: str | os.PathLike[str], results: Results) -> bool:
    """Write the results of a population rated on DuckDB or Spark by that engine itself,
    when its table is still open and the rows are numbered by their places (records, or a file DuckDB
    read in place): only the reasons of rows with bad inputs are made in Python. False
    (nothing written) otherwise."""
    from starrules.sql import writing
    from starrules.sql.outcomes import TableOutcomes

    outcomes = results.rating.outcomes
    if not isinstance(outcomes, TableOutcomes) or not outcomes.open or results.renamed \
            or not results.rows.numbered_by_place():
        return False
    build = outcomes.builder
    reasons = [(o.row, str(results._reason(results.rows[o.row], o))) for o in results.rating.invalid() if o.problems]
    writing.put_reasons(build.steps, reasons)
    s = results.scheme
    query = writing.results_query(s.program, build.steps, build.flag_names, build.scales,
                                  (s.title, s.version, results.period, s.sha256))
    writing.write_parquet(build.steps, query, path)
    return True


def write_json(f: IO[str], results: Results, wrap: Wrap | None = None) -> None:
    """``results.to_dict()`` as one JSON document, indented, with each result, level
    line and quota report on a line of its own; the results are written as they are
    made, not gathered first."""
    doc = results.to_dict(lambda rows: iter(()))
    doc["results"] = results.json_texts()  # already JSON
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    f.write("{\n")
    last = len(doc) - 1
    for i, (key, value) in enumerate(doc.items()):
        comma = "," if i < last else ""
        if isinstance(value, (str, dict)) or not isinstance(value, Iterable):
            text = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            f.write(f"  {dumps(key)}: {text}{comma}\n")
            continue
        f.write(f"  {dumps(key)}: [")
        items = wrap(iter(value)) if wrap and key == "results" else value
        texts: Iterator[str] = iter(items) if key == "results" else map(dumps, items)  # results come encoded
        first = next(texts, None)
        if first is None:
            f.write("]" + comma + "\n")
            continue
        f.write("\n    " + first)
        for chunk in batched(texts, 1000):  # a write per thousand items, not two per item
            f.write(",\n    " + ",\n    ".join(chunk))
        f.write("\n  ]" + comma + "\n")
    f.write("}\n")


def write_jsonl(f: IO[str], results: Results, wrap: Wrap | None = None) -> None:
    scheme = {k: v for k, v in results.meta.items() if k != "file"}
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    # the same two last keys on every line: encoded once
    texts = results.json_texts(end=", " + dumps({"scheme": scheme, "period": results.period})[1:])
    for chunk in batched(wrap(texts) if wrap else texts, 1000):  # a write per thousand lines
        f.write("\n".join(chunk) + "\n")


def write_xlsx(f: IO[bytes], results: Results, wrap: Wrap | None = None) -> None:
    """Four sheets: ``results`` (a line per row), ``summary`` (levels per group, then the
    quotas and selections per group), ``invalid`` (a line per problem of each invalid row)
    and ``scheme`` (the scheme's name, version, period, sha256 and the counts). Written
    by :mod:`starrules.xlsx`, row by row as they are made."""
    lines = results.xlsx_rows()  # each row's cells as one piece of XML

    def table() -> Iterator[Sequence[object]]:
        yield list(results.columns)
        yield from wrap(lines) if wrap else lines

    def summary() -> Iterator[Sequence[object]]:
        header, levels = results.level_table()
        yield header
        yield from levels
        if results.rating.reports:
            yield []
            yield list(Results.QUOTA_COLUMNS)
            yield from results.quota_table()

    def invalid() -> Iterator[Sequence[object]]:
        yield ["row", "id", "column", "input", "value", "expected"]
        for p in results.problems():
            yield [p.row, p.id, p.column, p.input, None if value_missing(p.value) else str(p.value), p.expected]

    def scheme() -> Iterator[list[object]]:
        meta = results.meta
        for key, value in [("scheme", meta["title"]), ("scheme_version", meta["version"]),
                           ("scheme_file", meta["file"]), ("scheme_sha256", meta["sha256"]),
                           ("period", results.period), ("data", results.source), *results.counts().items()]:
            yield [key, value]

    xlsx.write_workbook(f, [("results", table(), "C2"), ("summary", summary(), None), ("invalid", invalid(), None),
                            ("scheme", scheme(), None)])


def write_results(results: Results, path: str | os.PathLike[str] | None = None, fmt: str | None = None, *,
                  stream: TextIO | None = None, wrap: Wrap | None = None) -> str:
    """Write the results to ``path`` atomically (else to ``stream``, standard output by
    default) in ``fmt`` (else the format ``path``'s suffix names, else CSV); gives the
    format written. A CSV file starts with a byte-order mark, so that spreadsheets read
    it as UTF-8; on a stream it does not. ``wrap`` wraps the iteration over the rows
    (for progress reports)."""
    fmt = output_format(path, fmt)
    if fmt == "xlsx":
        if path is None:
            raise DataError(_("an .xlsx workbook cannot go to standard output: give -o FILE.xlsx"))
        with atomic_file(path, binary=True) as f:
            write_xlsx(f, results, wrap)
        return fmt
    if fmt == "parquet":
        if path is None:
            raise DataError("a Parquet file cannot go to standard output: give -o FILE.parquet")
        write_parquet(path, results, wrap)
        return fmt
    writer = {"csv": write_csv, "json": write_json, "jsonl": write_jsonl}[fmt]
    if path is None:
        writer(stream or sys.stdout, results, wrap)
        return fmt
    with atomic_file(path, encoding="utf-8-sig" if fmt == "csv" else "utf-8") as f:
        writer(f, results, wrap)
    return fmt
