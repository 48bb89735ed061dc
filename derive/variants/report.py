"""The stress test's report as a page (HTML, each histogram an inline SVG) and as a PDF (LaTeX, each histogram a
``picture`` of rules: no package beyond LaTeX's own and geometry), from derive.variants.stress's frozen report."""

from __future__ import annotations

import html

import sympy

from .. import __version__
from .dates import dated
from .stress import MAX_TEXTS, Entry, Histogram, ProblemStats, QuestionStats, Report, number, percent, shape, short

SVG_W, SVG_H = 180, 44         # a histogram's bars' box in pixels (its labels below)
TEX_W, TEX_H = 40.0, 9.0       # and in millimetres

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.4rem 0 1rem}td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;
text-align:left;vertical-align:middle}td.k{white-space:nowrap}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
svg rect{fill:#4a78b5}svg text{font-size:9px;fill:#555}.low{color:#b00}"""


# --- HTML ------------------------------------------------------------------------------------------------------------

def _e(text) -> str:
    return html.escape(str(text), quote=True)


def svg(h: Histogram) -> str:
    """The bars in a box of SVG_W x SVG_H, the lowest and highest values under it; each bar says its range."""
    top = max(c for _, _, c in h.bars) or 1
    width = SVG_W / len(h.bars)
    rects = []
    for k, (low, high, count) in enumerate(h.bars):
        tall = SVG_H * count / top
        where = number(low) if low == high else f"{number(low)} to {number(high)}"
        rects.append(f'<rect x="{k * width + 0.5:.2f}" y="{SVG_H - tall:.2f}" width="{max(width - 1, 0.5):.2f}" '
                     f'height="{tall:.2f}"><title>{_e(where)}: {count}</title></rect>')
    scale = " (log scale)" if h.log else ""
    labels = (f'<text x="0" y="{SVG_H + 11}">{_e(number(h.bars[0][0]))}</text>'
              f'<text x="{SVG_W}" y="{SVG_H + 11}" text-anchor="end">{_e(number(h.bars[-1][1]) + scale)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H + 14}" role="img" '
            f'aria-label="histogram{scale}">{"".join(rects)}{labels}</svg>')


def _texts(e: Entry, count: int) -> str:
    shown = ", ".join(f"<q>{_e(t)}</q> {c} ({percent(c, count)})" for t, c in e.texts[:MAX_TEXTS])
    return shown + (f", and {len(e.texts) - MAX_TEXTS} other texts" if len(e.texts) > MAX_TEXTS else "")


def _entry_rows(e: Entry, count: int) -> list[str]:
    name, rows = _e(e.name or "value"), []
    if e.numbers:
        low, mid, high = e.spread
        picture = svg(e.histogram) if e.histogram else "always the same" if low == high else ""
        rows.append(f'<tr><td>{name}</td><td class="n">{_e(number(low))}</td><td class="n">{_e(number(mid))}</td>'
                    f'<td class="n">{_e(number(high))}</td><td>{picture}</td></tr>')
    if e.texts:
        rows.append(f'<tr><td>{name}</td><td colspan="4">{_texts(e, count)}</td></tr>')
    return rows


def _branches_html(q: QuestionStats) -> list[str]:
    if len(q.branches) < 2:
        return [f"<p>Derived the same way in every variant ({_e(shape(q.branches[0]))}).</p>"] if q.branches else []
    rows = [f'<tr><td class="n">{b.count}</td><td class="n">{percent(b.count, q.count)}</td><td class="k">{_e(shape(b))}</td>'
            f'<td>{_e(short(b.differs, 120)) if b.differs else "the most frequent"}</td></tr>' for b in q.branches]
    return [f"<p>Derived {len(q.branches)} ways (the words of its steps and notes, the numbers left out):</p>",
            "<table><tr><th>variants</th><th>share</th><th>steps</th><th>where it differs</th></tr>", *rows,
            "</table>"]


def _question_html(q: QuestionStats) -> list[str]:
    out = [f"<h3>{_e(q.id)} {_e(q.ask)} <small>({q.count} variants)</small></h3>",
           "<table><tr><th>number</th><th>min</th><th>median</th><th>max</th><th>histogram</th></tr>"]
    for e in q.entries:
        out += _entry_rows(e, q.count)
    out.append("</table>")
    if q.more:
        out.append(f"<p>… and {q.more} more numbers.</p>")
    return out + _branches_html(q)


def _problem_html(p: ProblemStats) -> list[str]:
    out = [f"<h2>{_e(p.head)}</h2>"]
    if not p.varied:
        out.append("<p>Not varied.</p>")
    else:
        out.append(f"<p>{p.kept} of {p.draws} draws kept ({percent(p.kept, p.draws)}), out of {p.combinations} "
                   f"combinations of values; the kind's rules refused {p.refused_by_kind}"
                   + (f" (for instance: {_e(short(p.kind_reason, 160))})" if p.kind_reason else "") + ".</p>")
        if p.requires:
            out.append("<table><tr><th>require</th><th>passed</th><th>of</th><th>rate</th></tr>")
            out += [f'<tr><td><code>{_e(r.text)}</code></td><td class="n">{r.passed}</td><td class="n">{r.seen}'
                    f'</td><td class="n">{percent(r.passed, r.seen)}</td></tr>' for r in p.requires]
            out.append("</table>")
    for q in p.questions:
        out += _question_html(q)
    return out


def to_html(report: Report) -> str:
    head = [f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Stress test: {_e(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
            f"<h1>Stress test: {_e(report.title)}</h1>",
            f"<p>{report.n} variants of <code>{_e(report.name)}</code> drawn (salt <code>{_e(report.salt)}</code>),"
            f" derived by derive {_e(__version__)} with SymPy {_e(sympy.__version__)}.</p>"]
    body = [line for p in report.problems for line in _problem_html(p)]
    return "\n".join(head + body + ["</body>\n</html>", ""])


# --- LaTeX -----------------------------------------------------------------------------------------------------------

def _t(text) -> str:
    from ..formats.latex import escape
    return escape(str(text))


def picture(h: Histogram) -> str:
    """The bars as rules in a picture of TEX_W x TEX_H mm, the lowest and highest values under it."""
    top = max(c for _, _, c in h.bars) or 1
    width = TEX_W / len(h.bars)
    bars = "".join(rf"\put({k * width:.2f},0){{\rule{{{max(width - 0.3, 0.2):.2f}mm}}{{{TEX_H * c / top:.2f}mm}}}}"
                   for k, (_, _, c) in enumerate(h.bars) if c)
    scale = " (log)" if h.log else ""
    labels = (rf"\put(0,-2.5){{\makebox(0,0)[l]{{\tiny {_t(number(h.bars[0][0]))}}}}}"
              rf"\put({TEX_W:.0f},-2.5){{\makebox(0,0)[r]{{\tiny {_t(number(h.bars[-1][1]) + scale)}}}}}")
    return rf"\begin{{picture}}({TEX_W:.0f},{TEX_H + 5:.0f})(0,-4){bars}{labels}\end{{picture}}"


def _entry_tex(e: Entry, count: int) -> list[str]:
    name, rows = "{" + _t(e.name or "value") + "}", []            # braced: a row's [1] is no option of \\
    if e.numbers:
        low, mid, high = e.spread
        drawn = picture(e.histogram) if e.histogram else "always the same" if low == high else ""
        rows.append(f"{name} & {_t(number(low))} & {_t(number(mid))} & {_t(number(high))} & {drawn}" + r" \\")
    if e.texts:
        shown = ", ".join(f"``{_t(short(t, 40))}'' {c} ({_t(percent(c, count))})" for t, c in e.texts[:MAX_TEXTS])
        more = f", and {len(e.texts) - MAX_TEXTS} other texts" if len(e.texts) > MAX_TEXTS else ""
        rows.append(rf"{name} & \multicolumn{{4}}{{p{{0.72\linewidth}}}}{{{shown}{more}}} \\")
    return rows


def _branches_tex(q: QuestionStats) -> list[str]:
    if len(q.branches) < 2:
        return [f"Derived the same way in every variant ({_t(shape(q.branches[0]))}).", ""] if q.branches else []
    rows = [f"{b.count} & {_t(percent(b.count, q.count))} & {_t(shape(b))} & "
            f"{_t(short(b.differs, 90)) if b.differs else 'the most frequent'}" + r" \\" for b in q.branches]
    return [f"Derived {len(q.branches)} ways (the words of its steps and notes, the numbers left out):", "",
            r"\begin{tabular}{@{}rrlp{0.55\linewidth}@{}}", r"variants & share & steps & where it differs \\ \hline",
            *rows, r"\end{tabular}", ""]


def _question_tex(q: QuestionStats) -> list[str]:
    out = [rf"\subsection*{{{_t(q.id)} {_t(q.ask)} \normalfont\small({q.count} variants)}}",
           r"\begin{tabular}{@{}lrrrl@{}}", r"number & min & median & max & histogram \\ \hline"]
    for e in q.entries:
        out += _entry_tex(e, q.count)
    out += [r"\end{tabular}", ""]
    if q.more:
        out += [rf"\ldots\ and {q.more} more numbers.", ""]
    return out + _branches_tex(q)


def _problem_tex(p: ProblemStats) -> list[str]:
    out = [rf"\section*{{{_t(p.head)}}}"]
    if not p.varied:
        out += ["Not varied.", ""]
    else:
        reason = f" (for instance: {_t(short(p.kind_reason, 160))})" if p.kind_reason else ""
        out += [f"{p.kept} of {p.draws} draws kept ({_t(percent(p.kept, p.draws))}), out of {p.combinations} "
                f"combinations of values; the kind's rules refused {p.refused_by_kind}{reason}.", ""]
        if p.requires:
            out += [r"\begin{tabular}{@{}p{0.6\linewidth}rrr@{}}", r"require & passed & of & rate \\ \hline"]
            out += [rf"\texttt{{{_t(r.text)}}} & {r.passed} & {r.seen} & {_t(percent(r.passed, r.seen))} \\"
                    for r in p.requires]
            out += [r"\end{tabular}", ""]
    for q in p.questions:
        out += _question_tex(q)
    return out


def to_latex(report: Report) -> str:
    head = [r"\documentclass[10pt]{article}", r"\usepackage[utf8]{inputenc}",
            r"\usepackage[margin=2cm]{geometry}", r"\usepackage{amssymb}", r"\setlength{\parindent}{0pt}",
            r"\setlength{\unitlength}{1mm}", r"\begin{document}", rf"\section*{{Stress test: {_t(report.title)}}}",
            f"{report.n} variants of \\texttt{{{_t(report.name)}}} drawn (salt \\texttt{{{_t(report.salt)}}}), "
            f"derived by derive {_t(__version__)} with SymPy {_t(sympy.__version__)}.", ""]
    body = [line for p in report.problems for line in _problem_tex(p)]
    return "\n".join(head + body + [r"\end{document}", ""])


def to_pdf(report: Report) -> bytes:
    from ..pdf import compile_pdf
    with dated():
        return compile_pdf(to_latex(report), passes=1, cache=False)
