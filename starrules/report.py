"""A self-contained HTML report of a rating, printable for public notice (公示).

Takes a :class:`~starrules.api.Scheme` and the :class:`~starrules.population.Rating` it
gave (rated with ``trace=True``, so that every entity can be explained); gives one HTML
page as a string, with nothing fetched from anywhere: inline CSS (with an A4 print
stylesheet), charts drawn as inline SVG here, no script. The page holds

1. what it was made from: the scheme's title, version, file and sha256, the period,
   the data and the other inputs, and the nothing-lost count (rows in = rated +
   ineligible + invalid);
2. the level distribution over all and per group, as bar charts against the quota
   targets, the quotas' own table, and every group in a table with inline bars;
3. the flagged entities (each flag of the scheme, e.g. 集中整顿), the entities a quota
   or selection moved, and the rows not rated with their reasons;
4. every row's result, in input order;
5. every row's explanation in words: the reference interpreter's trace, then the moves
   the quotas made, then the outcome.

Every text that comes from the scheme or the data is escaped. The page is the same for
the same inputs: it records no time of day.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal

import attrs

from starrules import __version__
from starrules.api import Scheme
from starrules.i18n import N_, _, language
from starrules.population import Outcome, QuotaReport, Rating, explain_outcome
from starrules.result import STATUS_WORDS
from starrules.values import fmt_number

GROUP_CHARTS = 12  # per group field, charts for at most this many groups; the table lists all

BOUND_SIGN = {"at most": "≤", "at least": "≥", "exactly": "=", "about": "≈"}

FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
         '"PingFang SC", "Hiragino Sans GB", "SimHei", "Noto Sans", "DejaVu Sans", sans-serif')

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --rule: #d0d7de; --bar: #b8433a; --scope: #6e7781;
        --met: #1a7f37; --unmet: #cf222e; --target: #0b3d91; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: FONTS; color: var(--ink); font-size: 14px; line-height: 1.55;
       max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--bar); }
h3 { font-size: 16px; margin: 20px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 14px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--rule); padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.meta th { width: 11em; }
table.full { width: 100%; }
td.name, td.level { white-space: nowrap; }
td.group { min-width: 7em; }
code, .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12px; word-break: break-all; }
.ok { color: var(--met); font-weight: 600; }
.bad { color: var(--unmet); font-weight: 600; }
.neutral { color: var(--target); }
.count-line { font-size: 16px; margin: 8px 0 14px; padding: 8px 12px; background: #f6f8fa;
              border-left: 4px solid var(--met); }
.count-line.bad { border-left-color: var(--unmet); }
nav ol { columns: 2; margin: 6px 0; padding-left: 22px; }
figure { margin: 8px 0 16px; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; }
.multiples { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px 24px; }
.legend { color: var(--muted); font-size: 12px; margin: 2px 0 8px; }
.legend span.swatch { display: inline-block; width: 18px; height: 10px; vertical-align: middle;
                      margin: 0 4px 0 10px; }
.note { color: var(--muted); font-size: 13px; }
.flag-block { break-inside: avoid; page-break-inside: avoid; }
section.entity { border-top: 1px solid var(--rule); padding: 6px 0 10px; break-inside: avoid;
                 page-break-inside: avoid; }
section.entity h3 { margin: 6px 0 2px; }
section.entity h3 .to { color: var(--bar); margin-left: 8px; }
.entity .meta { color: var(--muted); font-size: 12.5px; margin: 0 0 4px; }
dl.inputs { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 0 14px;
            margin: 2px 0 6px; font-size: 12.5px; }
dl.inputs div { display: flex; gap: 6px; border-bottom: 1px dotted var(--rule); }
dl.inputs dt { color: var(--muted); }
dl.inputs dd { margin: 0 0 0 auto; text-align: right; }
ol.steps { margin: 2px 0 4px; padding-left: 0; list-style: none; font-size: 13px; }
ol.steps li { padding: 1px 0; }
p.verdict { margin: 4px 0 0; font-weight: 600; }
p.after { margin: 0; color: var(--muted); }
a { color: inherit; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11.5px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  h2.new-page { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 10.5px; }
  nav { display: none; }
  td.name { white-space: normal; min-width: 9em; }
  a { text-decoration: none; }
  .multiples { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 2px 18px; }
}
""".replace("FONTS", FONTS)


def _e(value: object) -> str:
    """Any text from the scheme or the data, escaped for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return fmt_number(value) if isinstance(value, Decimal) else str(value)


def _text_width(text: str, size: float) -> float:
    """A generous estimate of the drawn width of a text: CJK one em, others ~0.62 em."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.62 for c in text)


def _luminance(rgb: Sequence[float]) -> float:
    """Relative luminance (ITU-R BT.709 weights on linear sRGB) of 0..255 components."""
    def linear(c: float) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _palette(n: int) -> list[str]:
    """One colour per level, lowest first: from a light to a dark red, evenly spaced in
    luminance (not in sRGB), so that the levels stay apart when printed in grey."""
    light, dark = (0xF0, 0xC4, 0xBC), (0x7A, 0x16, 0x12)

    def mix(t: float) -> tuple[float, ...]:
        return tuple(a + (b - a) * t for a, b in zip(light, dark, strict=True))

    top, bottom = _luminance(light), _luminance(dark)
    out = []
    for i in range(n):
        want = top - (top - bottom) * (i / (n - 1) if n > 1 else 1.0)
        lo, hi = 0.0, 1.0  # luminance falls along the line from light to dark: bisect for it
        for _step in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _luminance(mix(mid)) > want else (lo, mid)
        out.append("#{:02x}{:02x}{:02x}".format(*(round(c) for c in mix((lo + hi) / 2))))
    return out


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if top / step <= 6:
            return step
    step = 10000
    while top / step > 6:
        step *= 10
    return step


@attrs.frozen
class _Mark:
    target: int
    bound: str
    met: bool | None
    rule: str

    @property
    def text(self) -> str:
        state = {True: "✔", False: "✘", None: ""}[self.met]
        return f"{BOUND_SIGN.get(self.bound, '')}{self.target}{state}"

    @property
    def css(self) -> str:
        return {True: "ok", False: "bad", None: "neutral"}[self.met]


@attrs.frozen
class _Row:
    label: str
    after: int
    before: int
    colour: str
    marks: tuple[_Mark, ...] = ()


MARK_COLOUR = {"ok": "#1a7f37", "bad": "#cf222e", "neutral": "#0b3d91"}


def _chart_top(rows: Sequence[_Row]) -> int:
    return max([r.after for r in rows] + [r.before for r in rows] + [m.target for r in rows for m in r.marks] + [1])


def _bar_chart(rows: Sequence[_Row], plot_width: int, label: str, top: int | None = None) -> str:
    """Horizontal bars, one per row: the count after the quotas filled, the count
    before them as an outline, each quota's target as a vertical mark. ``top``: the
    largest count the axis must hold (small multiples share one scale)."""
    size = 13
    row_h, bar_h, top_pad, axis_h = 26, 15, 6, 22
    label_w = int(max([_text_width(r.label, size) for r in rows] + [40])) + 12
    right_texts = [_right_text(r) for r in rows]
    right_w = int(max([_text_width(t, 12) for t in right_texts] + [30])) + 14
    top = max(top or 0, _chart_top(rows))
    step = _nice_step(top)
    axis_max = -(-top // step) * step
    scale = plot_width / axis_max
    width = label_w + plot_width + right_w
    height = top_pad + row_h * len(rows) + axis_h
    x0 = label_w
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
             f'aria-label="{_e(label)}">']
    plot_bottom = top_pad + row_h * len(rows)
    for tick in range(0, axis_max + 1, step):
        x = x0 + tick * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top_pad}" x2="{x:.1f}" y2="{plot_bottom}" stroke="#e1e4e8"/>')
        parts.append(f'<text x="{x:.1f}" y="{plot_bottom + 15}" font-size="11" fill="#59636e" '
                     f'text-anchor="middle">{tick}</text>')
    parts.append(f'<line x1="{x0}" y1="{top_pad}" x2="{x0}" y2="{plot_bottom}" stroke="#8c959f"/>')
    for i, (row, right) in enumerate(zip(rows, right_texts, strict=True)):
        y = top_pad + i * row_h
        mid = y + row_h / 2
        by = mid - bar_h / 2
        parts.append(f'<g class="bar" data-count="{row.after}">')
        parts.append(f'<text x="{x0 - 8}" y="{mid + 4.5:.1f}" font-size="{size}" text-anchor="end">'
                     f'{_e(row.label)}</text>')
        if row.after:
            parts.append(f'<rect x="{x0}" y="{by:.1f}" width="{row.after * scale:.1f}" height="{bar_h}" '
                         f'fill="{row.colour}"/>')
        if row.before != row.after:
            parts.append(f'<rect class="before" x="{x0}" y="{by:.1f}" width="{row.before * scale:.1f}" '
                         f'height="{bar_h}" fill="none" stroke="#24292f" stroke-width="1.2" stroke-dasharray="3 2"/>')
        for mark in row.marks:
            x = x0 + mark.target * scale
            parts.append(f'<line class="target {mark.css}" x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" '
                         f'y2="{y + row_h - 2}" stroke="{MARK_COLOUR[mark.css]}" stroke-width="3"/>')
        parts.append(f'<text x="{x0 + plot_width + 8}" y="{mid + 4.5:.1f}" font-size="12">{_e(right)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _right_text(row: _Row) -> str:
    text = str(row.after)
    if row.before != row.after:
        text += _("(before: {count})").format(count=row.before)
    if row.marks:
        text += "  " + _("target {marks}").format(marks=" ".join(m.text for m in row.marks))
    return text


def _stacked_bar(counts: Sequence[int], colours: Sequence[str], width: int = 150) -> str:
    """A small bar of a group's rated entities, lowest level on the left."""
    total = sum(counts)
    parts = [f'<svg class="inline-bar" width="{width}" height="12" viewBox="0 0 {width} 12">',
             f'<rect x="0" y="0" width="{width}" height="12" fill="#f6f8fa" stroke="#d0d7de"/>']
    x = 0.0
    for count, colour in zip(counts, colours, strict=True):
        if not count:
            continue
        w = width * count / total
        parts.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="12" fill="{colour}"/>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


UNREAD = N_("(not read)")  # the group of a row whose value for it could not be read


def _group_of(o: Outcome, field: str) -> str:
    if field in o.groups:
        return o.groups[field]
    if o.result is not None and field in o.result.inputs:
        return str(o.result.inputs[field])
    return _(UNREAD)


def _tag(tag: str, text: str, css: str | None = None) -> str:
    """A text (escaped) in an element, with a class."""
    return f'<{tag} class="{css}">{_e(text)}</{tag}>' if css else f"<{tag}>{_e(text)}</{tag}>"


def _note(text: str) -> str:
    return _tag("p", text, "note")


def _head(*cells: tuple[str, bool]) -> str:
    """A table's head: each cell its text and whether it holds numbers."""
    return "<thead><tr>" + "".join(f'<th class="num">{_e(t)}</th>' if num else f"<th>{_e(t)}</th>"
                                   for t, num in cells) + "</tr></thead>"


class _Report:
    def __init__(self, scheme: Scheme, rating: Rating, data_name: str | None, row_numbers: Sequence[int] | None,
                 period: int | None, inputs: Sequence[tuple[str, str]], group_charts: int, details: bool,
                 entity: int | None) -> None:
        self.scheme = scheme
        self.program = scheme.program
        self.rating = rating
        self.levels = rating.levels
        self.data_name = data_name
        self.period = period
        self.inputs = inputs
        self.group_charts = group_charts
        self.details = details
        outcomes = rating.outcomes
        if row_numbers is None:
            row_numbers = [o.row + 1 for o in outcomes]
        if len(row_numbers) != len(outcomes):
            raise ValueError(f"{len(row_numbers)} row numbers for {len(outcomes)} outcomes")
        if entity is not None and not 0 <= entity < len(outcomes):
            raise ValueError(f"no outcome {entity}: the rating has {len(outcomes)}")
        self.entity = entity
        self.line = {o.row: n for o, n in zip(outcomes, row_numbers, strict=True)}
        self.colours = _palette(len(self.levels.values))
        self.by_rule = {r.name: r for r in self.program.population}
        self.ranked = bool(self.program.quotas or self.program.selections)  # a rank means something
        results = [o.result for o in outcomes if o.result is not None]
        if (details or entity is not None) and results and all(not r.trace for r in results):
            raise ValueError("the rating has no trace to explain: rate with trace=True")

    # ---- helpers -------------------------------------------------------------------

    def rank(self, value: int | str | None) -> int | None:
        return None if value is None else self.levels.values.index(value)

    def name(self, o: Outcome) -> str:
        return o.id if o.id else _("row {number}").format(number=self.line[o.row])

    def link(self, o: Outcome) -> str:
        if not self.details and self.entity is None:
            return _e(self.name(o))
        return f'<a href="#e-{o.row}">{_e(self.name(o))}</a>'

    def status(self, o: Outcome) -> str:
        return _(STATUS_WORDS[o.status])

    def level_counts(self, outcomes: Sequence[Outcome]) -> tuple[list[int], list[int]]:
        """Rated entities per level rank, after the quotas and before them."""
        after = [0] * len(self.levels.values)
        before = [0] * len(self.levels.values)
        for o in outcomes:
            if o.status != "rated":
                continue
            a, b = self.rank(o.level), self.rank(o.level_before)
            assert a is not None and b is not None
            after[a] += 1
            before[b] += 1
        return after, before

    def chart_rows(self, outcomes: Sequence[Outcome], reports: Sequence[QuotaReport]) -> list[_Row]:
        after, before = self.level_counts(outcomes)
        marks: dict[tuple[str, int], list[_Mark]] = {}
        for r in reports:
            quota = self.by_rule.get(r.rule)
            if r.kind != "quota" or quota is None or quota.rank is None or quota.bound is None:
                continue
            marks.setdefault((quota.scope, quota.rank), []).append(_Mark(r.target, quota.bound, r.met, r.rule))
        rows = []
        for rank in range(len(after) - 1, -1, -1):
            rows.append(_Row(self.levels.label(rank), after[rank], before[rank], self.colours[rank],
                             tuple(marks.get(("==", rank), ()))))
        for (scope, rank), ms in sorted(marks.items(), key=lambda kv: (kv[0][0] != ">=", -kv[0][1])):
            if scope == "==":
                continue
            span = range(rank, len(after)) if scope == ">=" else range(0, rank + 1)
            words = _("{level} and above") if scope == ">=" else _("{level} and below")
            rows.append(_Row(words.format(level=self.levels.label(rank)), sum(after[i] for i in span),
                             sum(before[i] for i in span), "#8c959f", tuple(ms)))
        return rows

    def ranking(self) -> str:
        """What the rank is: the place in the scheme's main ranking, by its keys."""
        keys = (self.program.quotas[0].keys if self.program.quotas else
                self.program.selections[0].keys if self.program.selections else ())
        names = _(", ").join(k.ref.name for k in keys) or _("the total")
        return _("The rank is the place in the scheme's ranking by {keys}, best first; the quotas and selections "
                 "go by it.").format(keys=names)

    # ---- sections ------------------------------------------------------------------

    def render(self) -> str:
        title = _("{title} · rating results").format(title=self.scheme.title)
        if self.entity is not None:
            body = [self.head(), self.explanation(self.rating.outcomes[self.entity])]
        else:
            body = [self.head(), self.nav(), self.distribution(), self.flagged(), self.not_rated(), self.results()]
            if self.details:
                body.append(self.explanations())
        lang = "zh-CN" if language() == "zh" else "en"
        return ("<!DOCTYPE html>\n"
                f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<meta name="generator" content="starrules {_e(__version__)}">\n'
                f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")

    def head(self) -> str:
        s = self.scheme
        counts = self.rating.counts()
        rows_in, rated, ineligible, invalid = counts["rows"], counts["rated"], counts["ineligible"], counts["invalid"]
        whole = rows_in == rated + ineligible + invalid
        none = "—"
        meta = [
            (_("Scheme"), _e(s.title)),
            (_("Version"), _e(s.version or none)),
            (_("Period"), _e(self.period if self.period is not None else none)),
            (_("Scheme file"), f"<code>{_e(s.source_name)}</code>"),
            (_("Scheme SHA-256"), f'<span class="hash">{_e(s.sha256)}</span>'),
        ]
        if self.data_name is not None:
            meta.append((_("Data"), f"<code>{_e(self.data_name)}</code>"))
        meta += [(k, _e(v)) for k, v in self.inputs]
        meta.append((_("Made by"), f"starrules {_e(__version__)}"))
        table = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in meta)
        line = _("rows in {rows} = rated {rated} + ineligible {ineligible} + invalid {invalid}").format(
            rows=f"<b>{rows_in}</b>", rated=f"<b>{rated}</b>", ineligible=f"<b>{ineligible}</b>",
            invalid=f"<b>{invalid}</b>")
        line = f'<p class="count-line{"" if whole else " bad"}" id="counts">{line} {"✔" if whole else "✘"}</p>'
        kind = _("Star rating report") if self.levels.stars else _("Rating report")
        if self.entity is not None:
            kind = _("{kind}: one entity's page").format(kind=kind)
        return (f"<header>\n<h1>{_e(s.title)}</h1>\n"
                f'<p class="subtitle">{_e(kind)}{"" if self.period is None else " · " + _e(self.period)}</p>\n'
                f'<table class="meta">{table}</table>\n{line}\n</header>')

    def nav(self) -> str:
        items = [("distribution", _("Levels")), ("flags", _("Flagged")), ("not-rated", _("Not rated")),
                 ("results", _("Results"))]
        if self.details:
            items.append(("explanations", _("Each row explained")))
        return "<nav><ol>" + "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t in items) + "</ol></nav>"

    def distribution(self) -> str:
        outcomes = self.rating.outcomes
        overall = [r for r in self.rating.reports if r.group is None]
        out = ['<section id="distribution">', _tag("h2", _("Level distribution"))]
        after, _before = self.level_counts(outcomes)
        out.append(self.legend())
        everyone = _("All rated")
        caption = _("{name} ({count})").format(name=everyone, count=sum(after))
        out.append(f'<figure class="overall"><figcaption>{_e(caption)}</figcaption>'
                   f"{_bar_chart(self.chart_rows(outcomes, overall), 420, everyone)}</figure>")
        per_group = [r for r in self.program.quotas if r.per or r.apportion_by]
        if per_group:
            names = _(", ").join(_("'{rule}' ({group})").format(rule=q.name, group=q.per or q.apportion_by)
                                 for q in per_group)
            out.append(_note(_("Quotas counted per group are shown in the group charts below: {names}")
                             .format(names=names)))
        if self.rating.reports:
            out.append(self.quota_table())
        else:
            out.append(_note(_("The scheme has no quotas or selections.")))
        for field in self.chart_fields():
            out.append(self.groups(field))
        out.append("</section>")
        return "\n".join(out)

    def legend(self) -> str:
        swatches = "".join(f'<span class="swatch" style="background:{c}"></span>{_e(self.levels.label(i))}'
                           for i, c in enumerate(self.colours))
        before, met, unmet, target = (_e(t) for t in (_("before quotas and selections"), _("target met"),
                                                      _("not met"), _("a target only")))
        return (f'<p class="legend">{swatches}<span class="swatch" style="border:1.2px dashed #24292f"></span>'
                f"{before}"
                f'<span class="swatch" style="background:{MARK_COLOUR["ok"]};width:3px"></span>{met}'
                f'<span class="swatch" style="background:{MARK_COLOUR["bad"]};width:3px"></span>{unmet}'
                f'<span class="swatch" style="background:{MARK_COLOUR["neutral"]};width:3px"></span>'
                f"{target}</p>")

    def quota_table(self) -> str:
        rows = []
        for r in self.rating.reports:
            if r.kind == "select":
                picked = _e(_("{count} picked").format(count=r.after))
                state = f'<span class="{"ok" if r.met else "bad"}">{picked}</span>'
            else:
                state = {True: _tag("span", _("met"), "ok"), False: _tag("span", _("NOT MET"), "bad"),
                         None: _tag("span", _("a target only"), "neutral")}[r.met]
                if not r.enforced:
                    note = _(" (report only)")  # the space before it is the language's: none in Chinese
                    state += note[:len(note) - len(note.lstrip())] + _tag("span", note.strip(), "note")
            kind = _("quota") if r.kind == "quota" else _("selection")
            group = r.group if r.group is not None else _("all")
            rows.append(f"<tr><td>{_e(kind)}</td><td>{_e(r.rule)}</td><td>{_e(group)}</td><td>{_e(r.text)}</td>"
                        f'<td class="num">{r.target}</td><td class="num">{r.before}</td><td class="num">{r.after}</td>'
                        f"<td>{state}</td><td>{_e(r.note or '')}</td></tr>")
        head = _head((_("Kind"), False), (_("Rule"), False), (_("Group"), False), (_("What it says"), False),
                     (_("Target"), True), (_("Before"), True), (_("After"), True), (_("Result"), False),
                     (_("Note"), False))
        return (_tag("h3", _("Quotas and selections"))
                + f'<table class="full quotas">{head}<tbody>' + "".join(rows) + "</tbody></table>")

    def chart_fields(self) -> list[str]:
        """The group inputs, and any other input a quota or selection counts per group."""
        fields = list(self.program.group_fields)
        for r in self.program.population:
            fields += [f for f in (r.per, r.apportion_by, r.minimum_per) if f is not None]
        return list(dict.fromkeys(fields))

    def groups(self, field: str) -> str:
        members: dict[str, list[Outcome]] = {}
        for o in self.rating.outcomes:
            members.setdefault(_group_of(o, field), []).append(o)
        names = list(members)  # in the order the data first names them
        fields_of = {q.name: q.per or q.apportion_by for q in self.program.quotas}
        reports: dict[str, list[QuotaReport]] = {}
        for r in self.rating.reports:
            if r.group is not None and r.kind == "quota" and fields_of.get(r.rule) == field:
                reports.setdefault(r.group, []).append(r)
        out = [_tag("h3", _("By {field} ({count})").format(field=field, count=len(names)))]
        charted = [g for g in names if g != _(UNREAD)]
        shown = charted[: self.group_charts]
        if len(names) > len(shown):
            out.append(_note(_("Charts for the first {shown} groups; the table lists all {count}.").format(
                shown=len(shown), count=len(names))))
        out.append('<div class="multiples">')
        rows = {g: self.chart_rows(members[g], reports.get(g, [])) for g in shown}
        top = max((_chart_top(r) for r in rows.values()), default=1)
        empty = _("(empty)")
        for g in shown:
            rated = sum(1 for o in members[g] if o.status == "rated")
            chart = (_bar_chart(rows[g], 200, g, top) if rated or reports.get(g) else _note(_("none rated")))
            caption = _("{name} ({count})").format(name=g or empty, count=rated)
            out.append(f'<figure class="group"><figcaption>{_e(caption)}</figcaption>'
                       f"{chart}</figure>")
        out.append("</div>")
        lines = []
        for g in names:
            after, _before = self.level_counts(members[g])
            quotas = reports.get(g, [])
            unmet = sum(1 for r in quotas if r.met is False)
            if not quotas:
                state = "—"
            elif unmet:
                state = _tag("span", _("{count} not met").format(count=unmet), "bad")
            elif all(r.met is None for r in quotas):
                state = _tag("span", _("a target only"), "neutral")
            else:
                state = _tag("span", _("met"), "ok")
            cells = "".join(f'<td class="num">{after[i] or ""}</td>' for i in range(len(after) - 1, -1, -1))
            ineligible = sum(1 for o in members[g] if o.status == "ineligible")
            invalid = sum(1 for o in members[g] if o.status == "invalid")
            lines.append(f'<tr><td>{_e(g or empty)}</td><td class="num">{sum(after)}</td>{cells}'
                         f'<td class="num">{ineligible or ""}</td><td class="num">{invalid or ""}</td>'
                         f"<td>{_stacked_bar(after, self.colours) if sum(after) else ''}</td><td>{state}</td></tr>")
        head = _head((field, False), (_("rated"), True),
                     *[(self.levels.label(i), True) for i in range(len(self.colours) - 1, -1, -1)],
                     (_("ineligible"), True), (_("invalid"), True), (_("Distribution"), False), (_("Quotas"), False))
        out.append(f'<table class="full groups">{head}<tbody>' + "".join(lines) + "</tbody></table>")
        return "\n".join(out)

    def flagged(self) -> str:
        outcomes = self.rating.outcomes
        order = [r.name for r in self.program.rules_of("flag")]
        order += [s.flag for s in self.program.selections if s.flag is not None]
        for o in outcomes:
            order += list(o.flags)
        flags = list(dict.fromkeys(order))
        out = ['<section id="flags">', _tag("h2", _("Flagged entities"), "new-page")]
        groups = self.program.group_fields
        cells = [(_("No."), True), (_("Name"), False), *[(g, False) for g in groups], (_("Level"), False),
                 (_("Total"), True)]
        if self.ranked:
            cells.append((_("Rank"), True))
        head = _head(*cells)
        for flag in flags:
            having = sorted((o for o in outcomes if flag in o.flags), key=lambda o: (o.rank or 0, o.row))
            out.append(f'<div class="flag-block"><h3>{_e(_("{name} ({count})").format(name=flag, count=len(having)))}</h3>')
            if not having:
                out.append(_note(_("none")) + "</div>")
                continue
            rows = "".join(
                f'<tr><td class="num">{i}</td><td>{self.link(o)}</td>'
                + "".join(f"<td>{_e(o.groups.get(g, ''))}</td>" for g in groups)
                + f'<td>{_e(o.level_label)}</td><td class="num">{_num(o.total)}</td>'
                + (f'<td class="num">{_num(o.rank)}</td>' if self.ranked else "") + "</tr>"
                for i, o in enumerate(having, start=1))
            out.append(f'<table class="flagged">{head}<tbody>{rows}</tbody></table></div>')
        if not flags:
            out.append(_note(_("The scheme has no flags.")))
        moved = [o for o in outcomes if o.moves]
        out.append(_tag("h3", _("Levels changed by quotas and selections ({count})").format(count=len(moved))))
        if moved:
            rows = "".join(
                f"<tr><td>{self.link(o)}</td><td>{_e(mv.before)}</td><td>{_e(mv.after)}</td>"
                f"<td>{_e(mv.rule)}</td><td>{_e(mv.why)}</td></tr>"
                for o in moved for mv in o.moves)
            head = _head((_("Name"), False), (_("Before"), False), (_("Changed to"), False), (_("Rule"), False),
                         (_("Why"), False))
            out.append(f'<table class="full moved">{head}<tbody>{rows}</tbody></table>')
        else:
            out.append(_note(_("none")))
        out += self.ties(outcomes)
        out.append("</section>")
        return "\n".join(out)

    def ties(self, outcomes: Sequence[Outcome]) -> list[str]:
        """Every tie at a quota's or selection's line, said plainly: who tied, for how
        many places, what decided it, and who kept the places and who did not."""
        found: dict[tuple[str, str], tuple[list[Outcome], list[Outcome]]] = {}
        for o in outcomes:
            for tie in o.ties:
                kept, lost = found.setdefault((tie.quota, tie.describe()), ([], []))
                (kept if tie.kept else lost).append(o)
        out = [_tag("h3", _("Ties at a quota’s line ({count})").format(count=len(found)))]
        if not found:
            out.append(_note(_("None: no outcome was decided by a tie.")))
            return out
        none, comma = _e(_("none")), _e(_(", "))
        rows = "".join(
            f"<tr><td>{_e(rule)}</td><td>{_e(text)}</td><td>{comma.join(self.link(o) for o in kept) or none}</td>"
            f"<td>{comma.join(self.link(o) for o in lost) or none}</td></tr>"
            for (rule, text), (kept, lost) in found.items())
        head = _head((_("Rule"), False), (_("The tie"), False), (_("Got a place"), False), (_("Did not"), False))
        out.append(f'<table class="full ties">{head}<tbody>{rows}</tbody></table>')
        return out

    def not_rated(self) -> str:
        rest = [o for o in self.rating.outcomes if o.status != "rated"]
        out = ['<section id="not-rated">', _tag("h2", _("Not rated ({count})").format(count=len(rest)))]
        if not rest:
            out.append(_note(_("Every row was rated.")))
        else:
            rows = "".join(
                f'<tr><td class="num">{self.line[o.row]}</td><td>{self.link(o)}</td><td>{_e(self.status(o))}</td>'
                f"<td>{self.reasons(o)}</td></tr>" for o in rest)
            head = _head((_("Row"), True), (_("Name"), False), (_("Status"), False), (_("Reason"), False))
            out.append(f'<table class="full not-rated">{head}<tbody>{rows}</tbody></table>')
        out.append("</section>")
        return "\n".join(out)

    def reasons(self, o: Outcome) -> str:
        if o.problems:
            return "<br>".join(_e(p) for p in o.problems)
        return _e(o.reason or "")

    def results(self) -> str:
        groups = self.program.group_fields
        rows = []
        comma = _(", ")
        for o in self.rating.outcomes:
            before = "" if o.level_before == o.level else _e(self.label_of(o.level_before))
            rows.append(
                f'<tr class="{o.status}"><td class="num">{self.line[o.row]}</td><td class="name">{self.link(o)}</td>'
                + "".join(f'<td class="group">{_e(o.groups.get(g, ""))}</td>' for g in groups)
                + f"<td class=\"level\">{_e(o.level_label or '')}</td><td class=\"num\">{_num(o.total)}</td>"
                f"<td>{_e(self.status(o))}</td><td>{self.reasons(o)}</td><td>{_e(comma.join(o.flags))}</td>"
                f"<td>{before}</td>" + (f'<td class="num">{_num(o.rank)}</td>' if self.ranked else "") + "</tr>")
        cells = [(_("Row"), True), (_("Name"), False), *[(g, False) for g in groups], (_("Level"), False),
                 (_("Total"), True), (_("Status"), False), (_("Reason"), False), (_("Flags"), False),
                 (_("Before quotas"), False)]
        if self.ranked:
            cells.append((_("Rank"), True))
        note = _note(self.ranking()) if self.ranked else ""
        return ('<section id="results">\n'
                + _tag("h2", _("Results ({count})").format(count=len(rows)), "new-page") + f"\n{note}"
                f'<table class="full results">{_head(*cells)}<tbody>' + "".join(rows) + "</tbody></table>\n</section>")

    def label_of(self, value: int | str | None) -> str:
        rank = self.rank(value)
        return "" if rank is None else self.levels.label(rank)

    def explanations(self) -> str:
        out = ['<section id="explanations">', _tag("h2", _("Each row explained"), "new-page"),
               _note(_("For each row: its scores, its band and the rules that applied to it, in the scheme's own "
                       "words; then what the quotas did, and the outcome."))]
        out += [self.explanation(o) for o in self.rating.outcomes]
        out.append("</section>")
        return "\n".join(out)

    def explanation(self, o: Outcome) -> str:
        """One row's page: as ``starrules explain`` tells it."""
        verdict = o.level_label if o.status == "rated" else self.status(o)
        meta = [_("row {number} of the data").format(number=self.line[o.row])]
        meta += [_("{name}: {value}").format(name=g, value=v) for g, v in o.groups.items()]
        parts = [f'<section class="entity {o.status}" id="e-{o.row}">',
                 f'<h3>{_e(self.name(o))}<span class="to">→ {_e(verdict)}</span></h3>',
                 f'<p class="meta">{_e(" · ".join(meta))}</p>']
        if o.problems or o.result is None:
            listed = "".join(f"<li>{_e(p)}</li>" for p in o.problems)
            parts.append(_tag("p", _("The row’s values do not fit the scheme:")) + f"<ul>{listed}</ul>")
            parts.append(_tag("p", _("Outcome: {level}").format(level=verdict), "verdict") + "</section>")
            return "".join(parts)
        lines = explain_outcome(o, o.result, self.ranked)
        *steps, last = lines
        if o.status == "rated":  # the outcome line, then the total, the rank, the flags
            *steps, outcome_line = steps
            ending = f'<p class="verdict">{_e(outcome_line)}</p><p class="after">{_e(last)}</p>'
        else:
            ending = f'<p class="verdict">{_e(last)}</p>'
        parts.append('<ol class="steps">' + "".join(f"<li>{_e(step)}</li>" for step in steps) + "</ol>")
        parts.append(ending)
        parts.append("</section>")
        return "".join(parts)


def render_report(scheme: Scheme, rating: Rating, *, data_name: str | None = None,
                  row_numbers: Sequence[int] | None = None, period: int | None = None,
                  inputs: Sequence[tuple[str, str]] = (), group_charts: int = GROUP_CHARTS,
                  details: bool = True, entity: int | None = None) -> str:
    """One self-contained HTML page reporting ``rating``, which ``scheme`` gave, in the
    language in force (:mod:`starrules.i18n`: Chinese by default).

    ``rating`` must come from ``scheme.rate(records, trace=True)`` when the rows are
    explained (a ValueError says so otherwise). ``data_name`` names the data file;
    ``row_numbers`` gives each outcome's line in it (default: its position, from 1);
    ``period`` the period rated; ``inputs`` any other inputs to record, as (label,
    value) pairs; ``group_charts`` how many groups of each group input get a chart (the
    table lists them all). ``details=False`` leaves out every row's explanation (a
    large population's report is mostly explanations); ``entity`` (an outcome's place,
    from 0) makes the page of that one entity alone: the head, then its explanation.
    """
    return _Report(scheme, rating, data_name, row_numbers, period, inputs, group_charts, details, entity).render()
