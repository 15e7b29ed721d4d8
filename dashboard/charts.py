"""Pure functions: data in, Plotly figure out. No Streamlit, no engine calls.

Every KPI chart draws its target (a dashed line, or a band from target to stretch)
and its hover says value, target and sample size. Backgrounds are transparent and
colours come from ``theme`` so the charts read in light and dark mode alike.

    fig = kpi_trend(series, unit="%", target_kind="absolute")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from metrics.present import missing, number, quantity, status_text, target_text

_LAYOUT = dict(
    paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    margin=dict(l=10, r=10, t=40, b=10), hovermode="x unified",
    legend=dict(orientation="h", yanchor="top", y=-0.12, x=0),
    colorway=theme.SERIES,
)
_GRID = "rgba(128,128,128,0.25)"


def _finish(fig: go.Figure, title: str = "", y_title: str = "") -> go.Figure:
    fig.update_layout(**_LAYOUT, title=dict(text=title, x=0, font=dict(size=15)))
    fig.update_xaxes(gridcolor=_GRID, zerolinecolor=_GRID)
    fig.update_yaxes(gridcolor=_GRID, zerolinecolor=_GRID)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _hover(df: pd.DataFrame, y: str, unit: str, target_col: str, op: str | None,
           relative: bool) -> list[str]:
    """One hover line per point: 'value 41.5 hours · target ≤ -20 % · sample 37'."""
    lines = []
    for _, row in df.iterrows():
        target = target_text(op, row.get(target_col), row.get("stretch"), unit, relative)
        sample = row.get("sample_size")
        sample_text = "–" if missing(sample) else f"{int(sample):,}"
        status = status_text(row.get("status")) if "status" in row else ""
        if row.get("provisional") is True:
            status += " (provisional: to date)"
        lines.append(f"{quantity(row.get(y), '%' if relative else unit)}<br>target {target}"
                     f"<br>sample {sample_text}<br>{status}")
    return lines


def _target_traces(x: Sequence, target: pd.Series, stretch: pd.Series | None) -> list[go.Scatter]:
    """A dashed target line, and a faint band up to the stretch when there is one."""
    traces = []
    if stretch is not None and stretch.notna().any():
        traces.append(go.Scatter(x=list(x), y=list(stretch), mode="lines", name="stretch",
                                 line=dict(color=theme.TARGET, width=1, dash="dot"),
                                 hoverinfo="skip"))
        traces.append(go.Scatter(x=list(x), y=list(target), mode="lines", name="target",
                                 line=dict(color=theme.TARGET, width=2, dash="dash"),
                                 fill="tonexty", fillcolor=theme.BAND, hoverinfo="skip"))
    else:
        traces.append(go.Scatter(x=list(x), y=list(target), mode="lines", name="target",
                                 line=dict(color=theme.TARGET, width=2, dash="dash"),
                                 hoverinfo="skip"))
    return traces


STATUS_MARKERS = {"ahead": "triangle-up", "on_track": "circle", "off_track": "x",
                  "no_data": "circle-open", "no_baseline": "diamond-open"}


def _markers(df: pd.DataFrame) -> dict:
    """Each period's status as colour and shape (never colour alone)."""
    statuses = list(df.get("status", []))
    colours = [theme.STATUS_COLOURS.get(s, theme.GREY) for s in statuses]
    symbols = [STATUS_MARKERS.get(s, "circle") for s in statuses]
    return dict(size=10, color=colours or theme.BLUE, symbol=symbols or "circle",
                line=dict(width=1, color="white"))


def _status_legend(fig: go.Figure, df: pd.DataFrame, **where: int) -> None:
    """A legend entry per status the markers show: '✗ Off track' with its shape."""
    for status in dict.fromkeys(df.get("status", [])):
        if missing(status):
            continue
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=status_text(status),
            marker=dict(size=10, color=theme.STATUS_COLOURS.get(status, theme.GREY),
                        symbol=STATUS_MARKERS.get(status, "circle")),
            hoverinfo="skip"), **where)


def from_first_value(series: pd.DataFrame) -> pd.DataFrame:
    """The series from its first period holding a value: an axis starts at the data."""
    df = series.reset_index(drop=True)
    held = df.index[df["value"].notna()] if "value" in df else []
    return df.iloc[held[0]:].reset_index(drop=True) if len(held) else df


def kpi_trend(series: pd.DataFrame, *, name: str = "", unit: str = "",
              target_kind: str = "absolute", op: str | None = None) -> go.Figure:
    """Value per period with its target; a relative target adds a 'change vs baseline' panel.

    `series`: period, value, sample_size, status, target, stretch, change (kpi_series).
    """
    df = from_first_value(series)
    x = df["period"].astype(str)
    if target_kind != "relative":
        fig = go.Figure(_target_traces(x, df["target"], df.get("stretch")))
        fig.add_trace(go.Scatter(
            x=x, y=df["value"], mode="lines+markers", name=name or "value",
            line=dict(color=theme.BLUE, width=3), marker=_markers(df),
            hovertext=_hover(df, "value", unit, "target", op, False), hoverinfo="text"))
        _status_legend(fig, df)
        return _finish(fig, name, unit)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.55, 0.45])
    fig.add_trace(go.Scatter(
        x=x, y=df["value"], mode="lines+markers", name=name or "value",
        line=dict(color=theme.BLUE, width=3), marker=_markers(df),
        hovertext=_hover(df, "value", unit, "target", op, True), hoverinfo="text"), row=1, col=1)
    for trace in _target_traces(x, df["target"], df.get("stretch")):
        fig.add_trace(trace, row=2, col=1)
    fig.add_trace(go.Scatter(
        x=x, y=df["change"], mode="lines+markers", name="change vs baseline",
        line=dict(color=theme.ORANGE, width=2), marker=_markers(df),
        hovertext=_hover(df, "change", unit, "target", op, True), hoverinfo="text"),
        row=2, col=1)
    _status_legend(fig, df, row=2, col=1)
    fig.update_yaxes(title_text=unit, row=1, col=1)
    fig.update_yaxes(title_text="change %", row=2, col=1)
    return _finish(fig, name)


def bars_with_target(df: pd.DataFrame, *, x: str, y: str, title: str, unit: str = "",
                     target: float | None = None, op: str | None = None,
                     stretch: float | None = None, colour: str | None = None,
                     sample: str = "sample_size") -> go.Figure:
    """One bar per group (team, severity, service...) with the target as a dashed line."""
    hover = []
    for _, row in df.iterrows():
        n = row.get(sample)
        n_text = "–" if missing(n) else f"{int(n):,}"
        hover.append(f"{row[x]}: {quantity(row[y], unit)}<br>target "
                     f"{target_text(op, target, stretch, unit)}<br>sample {n_text}")
    fig = go.Figure(go.Bar(x=df[x].astype(str), y=df[y], name=y.replace("_", " "),
                           marker_color=colour or theme.BLUE, hovertext=hover,
                           hoverinfo="text"))
    _hline(fig, target, "target", "dash")
    _hline(fig, stretch, "stretch", "dot")
    fig.update_layout(hovermode="closest")
    return _finish(fig, title, unit)


def _hline(fig: go.Figure, y: float | None, label: str, dash: str, colour: str | None = None,
           **where: int) -> None:
    if missing(y):
        return
    fig.add_hline(y=y, line=dict(color=colour or theme.TARGET, dash=dash, width=2),
                  annotation_text=f"{label} {number(y)}", annotation_position="top left",
                  **where)


def band_trend(df: pd.DataFrame, *, x: str, mid: str, low: str, high: str, title: str,
               unit: str = "", target: pd.Series | None = None) -> go.Figure:
    """A median line with its spread (e.g. p25–p75 lead time) as a shaded band."""
    xs = df[x].astype(str)
    fig = go.Figure([
        go.Scatter(x=xs, y=df[high], mode="lines", line=dict(width=0), name=high,
                   hoverinfo="skip", showlegend=False),
        go.Scatter(x=xs, y=df[low], mode="lines", line=dict(width=0), fill="tonexty",
                   fillcolor="rgba(0,114,178,0.18)", name=f"{low}–{high}", hoverinfo="skip"),
        go.Scatter(x=xs, y=df[mid], mode="lines+markers", name=mid,
                   line=dict(color=theme.BLUE, width=3),
                   hovertext=[f"{mid} {quantity(m, unit)}<br>{low}–{high}: "
                              f"{number(lo)}–{number(hi)}<br>sample {number(n)}"
                              for m, lo, hi, n in
                              zip(df[mid], df[low], df[high],
                                  df.get("sample_size", [None] * len(df)), strict=False)],
                   hoverinfo="text"),
    ])
    if target is not None:
        fig.add_trace(go.Scatter(x=xs, y=list(target), mode="lines", name="target",
                                 line=dict(color=theme.TARGET, dash="dash", width=2),
                                 hoverinfo="skip"))
    return _finish(fig, title, unit)


def burn_rates(df: pd.DataFrame, thresholds: Mapping[str, float], title: str) -> go.Figure:
    """Burn rate per look-back over time (df: t, lookback, burn_rate), threshold lines.

    `thresholds`: '1h/5m' -> 14.4 ... (the alert rows of slo.md, scaled to the window).
    """
    fig = go.Figure()
    for lookback, part in df.groupby("lookback", sort=False):
        fig.add_trace(go.Scatter(
            x=part["t"], y=part["burn_rate"], mode="lines", name=str(lookback),
            line=dict(color=theme.LOOKBACK_COLOURS.get(str(lookback), theme.GREY), width=2),
            hovertemplate=f"{lookback}: %{{y:.2f}}×<extra></extra>"))
    for i, (row, value) in enumerate(sorted(thresholds.items(), key=lambda kv: -kv[1])):
        colour = theme.VERMILLION if i < 2 else theme.ORANGE
        _hline(fig, value, f"{row} alert", "dash", colour)
    fig.update_yaxes(rangemode="tozero")
    return _finish(fig, title, "burn rate (× budget)")


def burndown(df: pd.DataFrame, title: str) -> go.Figure:
    """Error budget remaining per day (df: day, budget_remaining, ideal) with the ideal line."""
    fig = go.Figure([
        go.Scatter(x=df["day"], y=df["ideal"], mode="lines", name="ideal (target)",
                   line=dict(color=theme.TARGET, dash="dash", width=2),
                   hovertemplate="ideal %{y:.1f} %<extra></extra>"),
        go.Scatter(x=df["day"], y=df["budget_remaining"], mode="lines+markers",
                   name="budget remaining", line=dict(color=theme.BLUE, width=3),
                   hovertemplate="remaining %{y:.1f} %<extra></extra>"),
    ])
    _hline(fig, 0, "budget exhausted", "dot", theme.VERMILLION)
    return _finish(fig, title, "budget remaining %")


def latency(df: pd.DataFrame, title: str) -> go.Figure:
    """p95 latency against the p95 objective (dashed) above; p99 below, on its own, since
    the objective is a p95 one and a p99 line beside it would read as a breach."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        row_heights=[0.6, 0.4], subplot_titles=("p95 vs its objective",
                                                                "p99 (no objective)"))
    fig.add_trace(go.Scatter(x=df["window_start"], y=df["latency_p95_ms"], mode="lines",
                             name="p95", line=dict(color=theme.BLUE, width=2),
                             hovertemplate="p95 %{y:.0f} ms<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=df["window_start"], y=df["objective_ms"], mode="lines",
                             name="p95 objective",
                             line=dict(color=theme.TARGET, dash="dash", width=2),
                             hovertemplate="objective %{y:.0f} ms<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=df["window_start"], y=df["latency_p99_ms"], mode="lines",
                             name="p99", line=dict(color=theme.PURPLE, width=1.5),
                             hovertemplate="p99 %{y:.0f} ms<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text="ms", row=1, col=1)
    fig.update_yaxes(title_text="ms", row=2, col=1)
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    return _finish(fig, title)


def bars_vs_levels(df: pd.DataFrame, *, x: str, y: str, level: str, title: str,
                   unit: str = "") -> go.Figure:
    """Bars per group, each with its own target level as a dashed marker (e.g. the cost
    that would meet each team's year-over-year target)."""
    colours = [theme.STATUS_COLOURS.get(s, theme.BLUE) for s in df.get("status", [])]
    hover = [f"{g}: {quantity(v, unit)}<br>target level {quantity(t, unit)}<br>"
             f"{status_text(s)}<br>sample {number(n)}"
             for g, v, t, s, n in zip(df[x], df[y], df[level], df.get("status", [None] * len(df)),
                                      df.get("sample_size", [None] * len(df)), strict=False)]
    fig = go.Figure([
        go.Bar(x=df[x].astype(str), y=df[y], name="value", marker_color=colours or theme.BLUE,
               hovertext=hover, hoverinfo="text"),
        go.Scatter(x=df[x].astype(str), y=df[level], mode="markers", name="target level",
                   marker=dict(symbol="line-ew-open", size=36, color=theme.TARGET,
                               line=dict(width=3, color=theme.TARGET)),
                   hoverinfo="skip"),
    ])
    fig.update_layout(hovermode="closest")
    return _finish(fig, title, unit)
