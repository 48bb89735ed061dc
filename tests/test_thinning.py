"""Curves thinned to what print shows (derive.formats.drawing.thinned): every point of the whole polyline stays
within the tolerance (0.05 pt) of the thinned one and the other way round, computed here from the points
themselves, on drawn polylines of every shape and on HW5's and the rnn golden spec's figures as TikZ prints
them (the full data read from the JSON key); no point is drawn twice in a row."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings, strategies as st

import derive
from derive.formats.drawing import THIN, thinned

from test_figures import DATA, tikz_pictures

GOLDEN_RNN = "tests/golden/specs/rnn.toml"


def to_segment(p, a, b) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    span = dx * dx + dy * dy
    t = 0.0 if span == 0 else min(1.0, max(0.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / span))
    return math.dist(p, (ax + t * dx, ay + t * dy))


def to_polyline(p, line) -> float:
    if len(line) == 1:
        return math.dist(p, line[0])
    return min(to_segment(p, a, b) for a, b in zip(line, line[1:]))


def along(line, per: int = 8):
    """The polyline's vertices and ``per`` points along each of its segments."""
    if len(line) == 1:
        return list(line)
    return [(a[0] + (b[0] - a[0]) * k / per, a[1] + (b[1] - a[1]) * k / per)
            for a, b in zip(line, line[1:]) for k in range(per)] + [line[-1]]


def deviation(full, thin) -> float:
    """The two-sided distance between the polylines (sampled along every segment, vertices exactly)."""
    return max(max(to_polyline(p, thin) for p in along(full)), max(to_polyline(p, full) for p in along(thin)))


coordinate = st.integers(-400, 400).map(lambda k: k / 1000)               # cm, within a few tolerances of each other
polyline = st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=40).flatmap(
    lambda pts: st.lists(st.sampled_from(pts), min_size=1, max_size=60))   # with repeats, back and forth


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(points=polyline, scale=st.sampled_from([0.001, 0.01, 1.0]))
def test_the_thinned_line_keeps_every_point_a_curve_needs(points, scale):
    points = [(x * scale, y * scale) for x, y in points]
    keep = thinned(points)
    thin = [points[k] for k in keep]
    assert keep == sorted(set(keep)) and keep[0] == 0
    assert keep[-1] == len(points) - 1 or keep == [0] and points[0] == points[-1]   # a loop within reach of a point
    assert all(a != b for a, b in zip(thin, thin[1:]))                    # no point twice in a row
    for i, j in zip(keep, keep[1:]):                                      # each point left out: near its segment
        assert all(to_segment(points[k], points[i], points[j]) <= THIN for k in range(i + 1, j))
    assert deviation(points, thin) <= THIN * (1 + 1e-9)


def test_a_straight_run_and_repeated_points_are_dropped():
    line = [(k * 0.1, 2.0 - k * 0.044) for k in range(100)]              # the decay's straight line on its log axis
    assert thinned(line) == [0, 99]
    stairs = [(0, 0), (0, 1), (1, 1)] + [(1.0, 1.0)] * 35
    assert thinned(stairs) == [0, 1, 37]                                 # the last copy stands for them all
    assert thinned([(0.5, 0.5)] * 7) == [0] and thinned([]) == [] and thinned([(1, 2)]) == [0]
    bump = [(0, 0), (1, THIN * 1.5), (2, 0)]                              # just over the tolerance: kept
    assert thinned(bump) == [0, 1, 2] and thinned([(0, 0), (1, THIN * 0.5), (2, 0)]) == [0, 2]
    back = [(0, 0), (2, 0), (1, 0)]                                       # a turn back is a point the line needs
    assert thinned(back) == [0, 1, 2]


CM = re.compile(r"^\\pgfpathq(?:move|line)to\{([-0-9.]+)cm\}\{([-0-9.]+)cm\}  % data: ([-+0-9.e]+), ([-+0-9.e]+)$", re.M)


def _fit(pairs):
    """The affine map from data to cm, fitted to the printed points (least squares): (scale, offset)."""
    n = len(pairs)
    mx, my = sum(d for d, _ in pairs) / n, sum(c for _, c in pairs) / n
    var = sum((d - mx) ** 2 for d, _ in pairs)
    scale = sum((d - mx) * (c - my) for d, c in pairs) / var
    return scale, my - scale * mx


def _curves(doc):
    """(full points in cm, thinned points as printed in cm) of every plotted curve of a document, the full
    curve placed by the map fitted to the printed points."""
    key, latex = json.loads(derive.render(doc, "json")), derive.render(doc, "latex")
    figures = [f for p in key["parts"] for f in p["figures"] if f["kind"] == "plot"]
    pictures = [pic for pic in tikz_pictures(latex) if "% data:" in pic]
    out = []
    for fig, pic in zip(figures, pictures):
        log = fig["body"]["log_y"]
        blocks = re.findall(r"% a plotted series.*?\\end\{pgfscope\}", pic, re.S)
        series = [s["points"] for s in fig["body"]["series"] if len({tuple(p) for p in s["points"]}) > 1]
        assert len(blocks) == len(series)
        for block, full in zip(blocks, series):
            printed = [(float(a), float(b), float(x), float(y)) for a, b, x, y in CM.findall(block)]
            assert len(DATA.findall(block)) == len(printed) >= 2
            ys = [math.log10(y) if log else y for *_, y in printed]
            xs = [x for *_, x, _ in printed]
            fx = _fit([(x, a) for x, (a, *_) in zip(xs, printed)]) if len(set(xs)) > 1 else (0.0, printed[0][0])
            fy = _fit([(y, b) for y, (_, b, *_) in zip(ys, printed)]) if len(set(ys)) > 1 else (0.0, printed[0][1])
            place = [(fx[0] * x + fx[1], fy[0] * (math.log10(y) if log else y) + fy[1]) for x, y in full]
            out.append((place, [(a, b) for a, b, *_ in printed]))
    return out


ROUNDING = 0.0005 * math.sqrt(2) * 2         # printed coordinates are rounded to 0.001 cm (both ends of a segment)


@pytest.mark.parametrize("which", ["hw5", "rnn"])
def test_printed_curves_stay_within_the_tolerance_of_the_whole(which, hw5):
    doc = hw5 if which == "hw5" else derive.solve(derive.load(GOLDEN_RNN))
    curves = _curves(doc)
    assert curves
    for full, thin in curves:
        assert all(a != b for a, b in zip(thin, thin[1:]))               # no point printed twice in a row
        assert max(to_polyline(p, thin) for p in along(full)) <= THIN + ROUNDING
        assert max(to_polyline(p, full) for p in along(thin)) <= THIN + ROUNDING
    if which == "hw5":                                      # 355 coordinates before (and a still staircase of 49)
        assert sum(len(thin) for _, thin in curves) < 60 < 350 <= sum(len(full) for full, _ in curves)
