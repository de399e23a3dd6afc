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
from starrules.population import Outcome, QuotaReport, Rating
from starrules.result import TraceStep
from starrules.values import fmt_number

GROUP_CHARTS = 12  # per group field, charts for at most this many groups; the table lists all

STATUS_ZH = {"rated": "已评定", "ineligible": "不参评", "invalid": "无效"}
STAGE_ZH = {
    "input": "输入", "require": "前提", "disqualify": "资格", "score": "计分", "total": "总分",
    "bonus": "加分", "penalty": "扣分", "badge": "星章", "band": "分档", "demote": "降级",
    "cap": "封顶", "veto": "否决", "flag": "标记", "quota": "名额", "select": "遴选",
}
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
.en { color: var(--muted); font-weight: normal; font-size: 0.86em; }
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
ol.steps li { padding: 1px 0 1px 4.6em; text-indent: -4.6em; }
ol.steps li .stage { display: inline-block; width: 4.2em; text-indent: 0; color: var(--muted); }
ol.steps li.off { color: #8c959f; }
ol.steps li.hit .mark { color: var(--bar); font-weight: 700; }
ol.steps li.move { color: var(--target); }
p.verdict { margin: 4px 0 0; font-weight: 600; }
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


def _palette(n: int) -> list[str]:
    """One colour per level, lowest first: from a light to a dark red."""
    light, dark = (0xF0, 0xC4, 0xBC), (0x7A, 0x16, 0x12)
    out = []
    for i in range(n):
        t = i / (n - 1) if n > 1 else 1.0
        rgb = tuple(round(a + (b - a) * t) for a, b in zip(light, dark, strict=True))
        out.append("#{:02x}{:02x}{:02x}".format(*rgb))
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
        text += f"（原 {row.before}）"
    if row.marks:
        text += "  目标 " + " ".join(m.text for m in row.marks)
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


UNREAD = "（未读出 not read）"  # the group of a row whose value for it could not be read


def _group_of(o: Outcome, field: str) -> str:
    if field in o.groups:
        return o.groups[field]
    if o.result is not None and field in o.result.inputs:
        return str(o.result.inputs[field])
    return UNREAD


class _Report:
    def __init__(self, scheme: Scheme, rating: Rating, data_name: str | None, row_numbers: Sequence[int] | None,
                 period: int | None, inputs: Sequence[tuple[str, str]], group_charts: int) -> None:
        self.scheme = scheme
        self.program = scheme.program
        self.rating = rating
        self.levels = rating.levels
        self.data_name = data_name
        self.period = period
        self.inputs = inputs
        self.group_charts = group_charts
        outcomes = rating.outcomes
        if row_numbers is None:
            row_numbers = [o.row + 1 for o in outcomes]
        if len(row_numbers) != len(outcomes):
            raise ValueError(f"{len(row_numbers)} row numbers for {len(outcomes)} outcomes")
        self.line = {o.row: n for o, n in zip(outcomes, row_numbers, strict=True)}
        self.colours = _palette(len(self.levels.values))
        self.by_rule = {r.name: r for r in self.program.population}
        results = [o.result for o in outcomes if o.result is not None]
        if results and all(not r.trace for r in results):
            raise ValueError("the rating has no trace to explain: rate with trace=True")

    # ---- helpers -------------------------------------------------------------------

    def rank(self, value: int | str | None) -> int | None:
        return None if value is None else self.levels.values.index(value)

    def name(self, o: Outcome) -> str:
        return o.id if o.id else f"第 {self.line[o.row]} 行"

    def link(self, o: Outcome) -> str:
        return f'<a href="#e-{o.row}">{_e(self.name(o))}</a>'

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
            words = "及以上" if scope == ">=" else "及以下"
            rows.append(_Row(f"{self.levels.label(rank)}{words}", sum(after[i] for i in span),
                             sum(before[i] for i in span), "#8c959f", tuple(ms)))
        return rows

    # ---- sections ------------------------------------------------------------------

    def render(self) -> str:
        title = f"{self.scheme.title} · 评定结果"
        body = [self.head(), self.nav(), self.distribution(), self.flagged(), self.not_rated(), self.results(),
                self.explanations()]
        return ("<!DOCTYPE html>\n"
                '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<meta name="generator" content="starrules {_e(__version__)}">\n'
                f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")

    def head(self) -> str:
        s = self.scheme
        counts = self.rating.counts()
        rows_in, rated, ineligible, invalid = counts["rows"], counts["rated"], counts["ineligible"], counts["invalid"]
        whole = rows_in == rated + ineligible + invalid
        kind = "星级" if self.levels.stars else "等级"
        meta = [
            ("方案 Scheme", _e(s.title)),
            ("版本 Version", _e(s.version or "—")),
            ("期间 Period", _e(self.period if self.period is not None else "—")),
            ("方案文件 Scheme file", f"<code>{_e(s.source_name)}</code>"),
            ("方案 SHA-256", f'<span class="hash">{_e(s.sha256)}</span>'),
        ]
        if self.data_name is not None:
            meta.append(("数据 Data", f"<code>{_e(self.data_name)}</code>"))
        meta += [(_e(k), _e(v)) for k, v in self.inputs]
        meta.append(("生成工具 Generated by", f"starrules {_e(__version__)}"))
        table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in meta)
        mark = "✔" if whole else "✘"
        line = (f'<p class="count-line{"" if whole else " bad"}" id="counts">数据行 rows in <b>{rows_in}</b> = '
                f"已评定 rated <b>{rated}</b> + 不参评 ineligible <b>{ineligible}</b> + 无效 invalid <b>{invalid}</b> "
                f"{mark}</p>")
        return (f"<header>\n<h1>{_e(s.title)}</h1>\n"
                f'<p class="subtitle">{kind}评定结果报告 <span class="en">Rating report</span>'
                f"{'' if self.period is None else ' · ' + _e(self.period)}</p>\n"
                f'<table class="meta">{table}</table>\n{line}\n</header>')

    def nav(self) -> str:
        items = [("distribution", "等级分布 Levels"), ("flags", "标记 Flagged"), ("not-rated", "未评定 Not rated"),
                 ("results", "结果 Results"), ("explanations", "逐一说明 Explanations")]
        return "<nav><ol>" + "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in items) + "</ol></nav>"

    def distribution(self) -> str:
        outcomes = self.rating.outcomes
        overall = [r for r in self.rating.reports if r.group is None]
        out = ['<section id="distribution">', '<h2>等级分布 <span class="en">Level distribution</span></h2>']
        after, _ = self.level_counts(outcomes)
        out.append(self.legend())
        out.append(f'<figure class="overall"><figcaption>全部 <span class="en">All rated</span>'
                   f"（{sum(after)}）</figcaption>{_bar_chart(self.chart_rows(outcomes, overall), 420, '全部 All')}</figure>")
        per_group = [r for r in self.program.quotas if r.per or r.apportion_by]
        if per_group:
            names = "、".join(f"“{_e(q.name)}”（{_e(q.per or q.apportion_by)}）" for q in per_group)
            out.append(f'<p class="note">按分组计算的名额见下面的分组图 <span class="en">(quotas counted per group: '
                       f"see the group charts)</span>：{names}</p>")
        if self.rating.reports:
            out.append(self.quota_table())
        else:
            out.append('<p class="note">本方案没有名额或遴选规则 <span class="en">(the scheme has no quotas or '
                       "selections)</span>。</p>")
        for field in self.chart_fields():
            out.append(self.groups(field))
        out.append("</section>")
        return "\n".join(out)

    def legend(self) -> str:
        swatches = "".join(f'<span class="swatch" style="background:{c}"></span>{_e(self.levels.label(i))}'
                           for i, c in enumerate(self.colours))
        return (f'<p class="legend">{swatches}<span class="swatch" style="border:1.2px dashed #24292f"></span>'
                '名额与遴选调整前 before quotas and selections'
                f'<span class="swatch" style="background:{MARK_COLOUR["ok"]};width:3px"></span>目标已达成 target met'
                f'<span class="swatch" style="background:{MARK_COLOUR["bad"]};width:3px"></span>未达成 not met'
                f'<span class="swatch" style="background:{MARK_COLOUR["neutral"]};width:3px"></span>'
                "参考目标 target only</p>")

    def quota_table(self) -> str:
        rows = []
        for r in self.rating.reports:
            if r.kind == "select":
                state = f'<span class="ok">选出 {r.after}</span>' if r.met else f'<span class="bad">选出 {r.after}</span>'
            else:
                state = {True: '<span class="ok">达成 met</span>', False: '<span class="bad">未达成 NOT MET</span>',
                         None: '<span class="neutral">参考 target</span>'}[r.met]
                if not r.enforced:
                    state += ' <span class="note">（仅报告 report only）</span>'
            kind = "名额 quota" if r.kind == "quota" else "遴选 select"
            rows.append(f"<tr><td>{kind}</td><td>{_e(r.rule)} <span class=\"note\">(line {r.line})</span></td>"
                        f"<td>{_e(r.group if r.group is not None else '全部 all')}</td><td>{_e(r.text)}</td>"
                        f'<td class="num">{r.target}</td><td class="num">{r.before}</td><td class="num">{r.after}</td>'
                        f"<td>{state}</td><td>{_e(r.note or '')}</td></tr>")
        return ('<h3>名额与遴选 <span class="en">Quotas and selections</span></h3>'
                '<table class="full quotas"><thead><tr><th>类型</th><th>规则 rule</th><th>范围 group</th>'
                '<th>内容 text</th><th class="num">目标 target</th><th class="num">之前 before</th>'
                '<th class="num">之后 after</th><th>结果 result</th><th>说明 note</th></tr></thead><tbody>'
                + "".join(rows) + "</tbody></table>")

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
        out = [f'<h3>按“{_e(field)}”分组 <span class="en">By {_e(field)}</span>（{len(names)}）</h3>']
        charted = [g for g in names if g != UNREAD]
        shown = charted[: self.group_charts]
        if len(names) > len(shown):
            out.append(f'<p class="note">图中列出前 {len(shown)} 个分组，全部 {len(names)} 个分组见下表 '
                       f'<span class="en">(charts for the first {len(shown)} groups; the table lists all '
                       f"{len(names)})</span>。</p>")
        out.append('<div class="multiples">')
        rows = {g: self.chart_rows(members[g], reports.get(g, [])) for g in shown}
        top = max((_chart_top(r) for r in rows.values()), default=1)
        for g in shown:
            rated = sum(1 for o in members[g] if o.status == "rated")
            chart = (_bar_chart(rows[g], 200, g, top) if rated or reports.get(g)
                     else '<p class="note">无已评定 <span class="en">(none rated)</span></p>')
            out.append(f'<figure class="group"><figcaption>{_e(g or "（空 empty）")}（{rated}）</figcaption>'
                       f"{chart}</figure>")
        out.append("</div>")
        head = "".join(f'<th class="num">{_e(self.levels.label(i))}</th>' for i in range(len(self.colours) - 1, -1, -1))
        lines = []
        for g in names:
            after, _ = self.level_counts(members[g])
            quotas = reports.get(g, [])
            unmet = sum(1 for r in quotas if r.met is False)
            if not quotas:
                state = "—"
            elif unmet:
                state = f'<span class="bad">{unmet} 未达成 not met</span>'
            elif all(r.met is None for r in quotas):
                state = '<span class="neutral">参考 target</span>'
            else:
                state = '<span class="ok">达成 met</span>'
            cells = "".join(f'<td class="num">{after[i] or ""}</td>' for i in range(len(after) - 1, -1, -1))
            ineligible = sum(1 for o in members[g] if o.status == "ineligible")
            invalid = sum(1 for o in members[g] if o.status == "invalid")
            lines.append(f'<tr><td>{_e(g or "（空 empty）")}</td><td class="num">{sum(after)}</td>{cells}'
                        f'<td class="num">{ineligible or ""}</td><td class="num">{invalid or ""}</td>'
                        f"<td>{_stacked_bar(after, self.colours) if sum(after) else ''}</td><td>{state}</td></tr>")
        out.append(f'<table class="full groups"><thead><tr><th>{_e(field)}</th><th class="num">已评定 rated</th>{head}'
                   '<th class="num">不参评</th><th class="num">无效</th><th>分布 distribution</th><th>名额 quotas</th>'
                   "</tr></thead><tbody>" + "".join(lines) + "</tbody></table>")
        return "\n".join(out)

    def flagged(self) -> str:
        outcomes = self.rating.outcomes
        order = [r.name for r in self.program.rules_of("flag")]
        order += [s.flag for s in self.program.selections if s.flag is not None]
        for o in outcomes:
            order += list(o.flags)
        flags = list(dict.fromkeys(order))
        out = ['<section id="flags">', '<h2 class="new-page">标记 <span class="en">Flagged entities</span></h2>']
        groups = self.program.group_fields
        head = ("<thead><tr><th class=\"num\">序号</th><th>名称 id</th>" + "".join(f"<th>{_e(g)}</th>" for g in groups)
                + '<th>等级 level</th><th class="num">总分 total</th><th class="num">排名 rank</th></tr></thead>')
        for flag in flags:
            having = sorted((o for o in outcomes if flag in o.flags), key=lambda o: (o.rank or 0, o.row))
            out.append(f'<div class="flag-block"><h3>{_e(flag)}（{len(having)}）</h3>')
            if not having:
                out.append('<p class="note">无 <span class="en">none</span></p></div>')
                continue
            rows = "".join(
                f'<tr><td class="num">{i}</td><td>{self.link(o)}</td>'
                + "".join(f"<td>{_e(o.groups.get(g, ''))}</td>" for g in groups)
                + f'<td>{_e(o.level_label)}</td><td class="num">{_num(o.total)}</td><td class="num">{_num(o.rank)}</td></tr>'
                for i, o in enumerate(having, start=1))
            out.append(f'<table class="flagged">{head}<tbody>{rows}</tbody></table></div>')
        if not flags:
            out.append('<p class="note">本方案没有标记 <span class="en">(the scheme has no flags)</span>。</p>')
        moved = [o for o in outcomes if o.moves]
        out.append(f'<h3>名额与遴选调整的等级 <span class="en">Levels changed by quotas and selections</span>'
                   f"（{len(moved)}）</h3>")
        if moved:
            rows = "".join(
                f"<tr><td>{self.link(o)}</td><td>{_e(mv.before)}</td><td>{_e(mv.after)}</td>"
                f"<td>{_e(mv.rule)}</td><td>{_e(mv.why)}</td></tr>"
                for o in moved for mv in o.moves)
            out.append('<table class="full moved"><thead><tr><th>名称 id</th><th>原等级 before</th><th>调整为 after</th>'
                       f"<th>规则 rule</th><th>理由 why</th></tr></thead><tbody>{rows}</tbody></table>")
        else:
            out.append('<p class="note">无 <span class="en">none</span></p>')
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
        out = [f'<h3>名额线上的并列 <span class="en">Ties at a quota\'s line</span>（{len(found)}）</h3>']
        if not found:
            out.append('<p class="note">无：没有一个结果是由并列决定的 <span class="en">(no outcome was decided by a '
                       'tie)</span></p>')
            return out
        rows = "".join(
            f"<tr><td>{_e(rule)}</td><td>{_e(text)}</td><td>{'、'.join(self.link(o) for o in kept) or '无'}</td>"
            f"<td>{'、'.join(self.link(o) for o in lost) or '无'}</td></tr>"
            for (rule, text), (kept, lost) in found.items())
        out.append('<table class="full ties"><thead><tr><th>规则 rule</th><th>并列 tie</th><th>得到名额 kept</th>'
                   f"<th>未得到 not kept</th></tr></thead><tbody>{rows}</tbody></table>")
        return out

    def not_rated(self) -> str:
        rest = [o for o in self.rating.outcomes if o.status != "rated"]
        out = ['<section id="not-rated">', f'<h2>未评定 <span class="en">Not rated</span>（{len(rest)}）</h2>']
        if not rest:
            out.append('<p class="note">每一行都已评定 <span class="en">(every row was rated)</span>。</p>')
        else:
            rows = "".join(
                f'<tr><td class="num">{self.line[o.row]}</td><td>{self.link(o)}</td><td>{STATUS_ZH[o.status]}</td>'
                f"<td>{self.reasons(o)}</td></tr>" for o in rest)
            out.append('<table class="full not-rated"><thead><tr><th class="num">行 line</th><th>名称 id</th>'
                       f"<th>状态 status</th><th>原因 reason</th></tr></thead><tbody>{rows}</tbody></table>")
        out.append("</section>")
        return "\n".join(out)

    def reasons(self, o: Outcome) -> str:
        if o.problems:
            return "<br>".join(_e(p) for p in o.problems)
        return _e(o.reason or "")

    def results(self) -> str:
        groups = self.program.group_fields
        rows = []
        for o in self.rating.outcomes:
            before = "" if o.level_before == o.level else _e(self.label_of(o.level_before))
            rows.append(
                f'<tr class="{o.status}"><td class="num">{self.line[o.row]}</td><td class="name">{self.link(o)}</td>'
                + "".join(f'<td class="group">{_e(o.groups.get(g, ""))}</td>' for g in groups)
                + f"<td class=\"level\">{_e(o.level_label or '')}</td><td class=\"num\">{_num(o.total)}</td>"
                f"<td>{STATUS_ZH[o.status]}</td><td>{self.reasons(o)}</td><td>{_e('、'.join(o.flags))}</td>"
                f'<td>{before}</td><td class="num">{_num(o.rank)}</td></tr>')
        return ('<section id="results">\n<h2 class="new-page">结果 <span class="en">Results</span>'
                f"（{len(rows)}）</h2>\n"
                '<table class="full results"><thead><tr><th class="num">行 line</th><th>名称 id</th>'
                + "".join(f"<th>{_e(g)}</th>" for g in groups)
                + '<th>等级 level</th><th class="num">总分 total</th><th>状态 status</th><th>原因 reason</th>'
                '<th>标记 flags</th><th>名额前 before quotas</th><th class="num">排名 rank</th></tr></thead><tbody>'
                + "".join(rows) + "</tbody></table>\n</section>")

    def label_of(self, value: int | str | None) -> str:
        rank = self.rank(value)
        return "" if rank is None else self.levels.label(rank)

    def explanations(self) -> str:
        out = ['<section id="explanations">',
               '<h2 class="new-page">逐一说明 <span class="en">Each row explained</span></h2>',
               '<p class="note">每一步列出规则名称、所在行号和代入的数值；“✔”为适用的规则，“·”为不适用的规则'
               '<span class="en">（each step gives the rule, its line in the scheme and the values that went into '
               "it; ✔ a rule that applied, · one that did not）</span>。</p>"]
        out += [self.explain(o) for o in self.rating.outcomes]
        out.append("</section>")
        return "\n".join(out)

    def explain(self, o: Outcome) -> str:
        verdict = o.level_label if o.status == "rated" else f"{STATUS_ZH[o.status]} {o.status}"
        meta = [f"数据第 {self.line[o.row]} 行 row {self.line[o.row]}"]
        meta += [f"{_e(g)}：{_e(v)}" for g, v in o.groups.items()]
        parts = [f'<section class="entity {o.status}" id="e-{o.row}">',
                 f'<h3>{_e(self.name(o))}<span class="to">→ {_e(verdict)}</span></h3>',
                 f'<p class="meta">{" · ".join(meta)}</p>']
        if o.problems or o.result is None:
            listed = "".join(f"<li>{_e(p)}</li>" for p in o.problems)
            parts.append(f'<p>数据不符合方案的输入声明 <span class="en">(the row\'s values do not fit the scheme)'
                         f"</span>：</p><ul>{listed}</ul>")
            parts.append(f'<p class="verdict">⇒ {STATUS_ZH[o.status]} {o.status}</p></section>')
            return "".join(parts)
        steps = o.result.trace
        inputs = [s for s in steps if s.stage == "input"]
        if inputs:
            parts.append('<dl class="inputs">' + "".join(
                f"<div><dt>{_e(s.name)}</dt><dd>{_e(s.detail)}</dd></div>" for s in inputs) + "</dl>")
        items = [self.step(s) for s in steps if s.stage != "input" and not (o.moves and s.stage == "flag")]
        items += [f'<li class="move"><span class="stage">{STAGE_ZH.get(mv.kind, _e(mv.kind))}</span>'
                  f'<span class="mark">✔ </span>{_e(mv.rule)} (line {mv.line}): {_e(mv.why)}</li>' for mv in o.moves]
        items += [f'<li class="tie"><span class="stage">并列 tie</span>{_e(t.quota)}：{_e(t.describe())}；'
                  f"{'得到名额 kept a place' if t.kept else '未得到名额 not kept'}</li>" for t in o.ties]
        parts.append('<ol class="steps">' + "".join(items) + "</ol>")
        if o.status == "rated":
            reason = f"（{_e(o.reason)}）" if o.reason else ""
            when = "（最终等级 at the final level）" if o.moves else ""
            parts.append(f'<p class="verdict">⇒ {_e(o.level_label)}{reason}；总分 total {_num(o.total)}；'
                         f"排名 rank {_num(o.rank)}；标记 flags{when}：{_e('、'.join(o.flags) or '无 none')}</p>")
        else:
            parts.append(f'<p class="verdict">⇒ {STATUS_ZH[o.status]} {o.status}：{_e(o.reason or "")}</p>')
        parts.append("</section>")
        return "".join(parts)

    def step(self, s: TraceStep) -> str:
        mark = {True: "✔ ", False: "· ", None: ""}[s.applied]
        if s.stage == "require":
            mark = "✘ " if s.applied else "✔ "
        css = {True: "hit", False: "off", None: "plain"}[s.applied]
        return (f'<li class="{css}"><span class="stage">{STAGE_ZH.get(s.stage, _e(s.stage))}</span>'
                f'<span class="mark">{mark}</span>{_e(s.name)} (line {s.line}): {_e(s.detail)}</li>')


def render_report(scheme: Scheme, rating: Rating, *, data_name: str | None = None,
                  row_numbers: Sequence[int] | None = None, period: int | None = None,
                  inputs: Sequence[tuple[str, str]] = (), group_charts: int = GROUP_CHARTS) -> str:
    """One self-contained HTML page reporting ``rating``, which ``scheme`` gave.

    ``rating`` must come from ``scheme.rate(records, trace=True)`` (a ValueError says so
    otherwise). ``data_name`` names the data file; ``row_numbers`` gives each outcome's
    line in it (default: its position, from 1); ``period`` the period rated; ``inputs``
    any other inputs to record, as (label, value) pairs; ``group_charts`` how many
    groups of each group input get a chart (the table lists them all).
    """
    return _Report(scheme, rating, data_name, row_numbers, period, inputs, group_charts).render()
