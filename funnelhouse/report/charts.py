"""The Plotly figures of the run report. Each returns the figure's HTML fragment (its data and
layout; plotly.js itself is loaded once by the page from the shared vendor folder, vendor.py)."""

from __future__ import annotations

from datetime import date

# A qualitative palette that stays readable in print and for common colour-vision deficiencies.
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"]


def fig_html(fig, height: int = 420) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 40, "b": 60},
                      font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13},
                      colorway=PALETTE, height=height)
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})


def funnel(stages: list[str], counts: list[int]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(go.Funnel(y=stages, x=counts, textinfo="value+percent initial",
                              marker={"color": PALETTE[: len(stages)]}))
    fig.update_layout(title="People entering each stage")
    return fig_html(fig)


def conversion(pairs: list[tuple[str, str]], channels: list[str], rate: dict[tuple, float | None]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, channel in enumerate(channels):
        fig.add_trace(go.Bar(name=channel, x=[f"{a} → {b}" for a, b in pairs],
                             y=[rate.get((channel, a, b)) for a, b in pairs], marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", title="Conversion rate by stage pair and channel",
                      yaxis={"tickformat": ".0%", "title": "conversion rate"})
    return fig_html(fig)


def velocity(series: dict[tuple[str, str], list[float]], order: list[tuple[str, str]]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (a, b) in enumerate(order):
        fig.add_trace(go.Box(y=series[(a, b)], name=f"{a} → {b}", boxpoints=False,
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(title="Days in stage before the next one", yaxis={"title": "days"}, showlegend=False)
    return fig_html(fig)


def attribution(labels: list[str], campaigns: list[str], models: list[str],
                revenue: dict[tuple[str, str], float]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, model in enumerate(models):
        fig.add_trace(go.Bar(name=model, x=labels, y=[revenue.get((model, c), 0.0) for c in campaigns],
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", title="Attributed revenue by campaign and model",
                      yaxis={"title": "attributed revenue", "tickformat": "~s"}, xaxis={"tickangle": -30})
    return fig_html(fig)


def win_rate(months: list[date], closed: list[int], rates: list[float | None]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Bar(x=months, y=closed, name="closed opportunities", marker_color="#c9d6e8", yaxis="y2"))
    fig.add_trace(go.Scatter(x=months, y=rates, name="win rate", mode="lines+markers",
                             line={"color": PALETTE[0], "width": 3}))
    fig.update_layout(title="Monthly win rate", yaxis={"tickformat": ".0%", "title": "win rate", "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "title": "closed", "showgrid": False},
                      legend={"orientation": "h", "y": -0.2})
    return fig_html(fig)


def pipeline_waterfall(weeks: list[date], flows: dict[str, list[float]], closing: list[float]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, values) in enumerate(flows.items()):
        fig.add_trace(go.Bar(x=weeks, y=values, name=name, marker_color=PALETTE[(i + 1) % len(PALETTE)]))
    fig.add_trace(go.Scatter(x=weeks, y=closing, name="closing pipeline", mode="lines+markers",
                             line={"color": PALETTE[0], "width": 3}))
    fig.update_layout(barmode="relative", title="Weekly pipeline waterfall (corporate currency)",
                      yaxis={"title": "amount"}, legend={"orientation": "h", "y": -0.2})
    return fig_html(fig)


def quality(suites: list[str], passed: list[int], warnings: list[int], critical: list[int]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, values, color in (("passed", passed, "#54a24b"), ("warning", warnings, "#eeca3b"),
                                ("critical failed", critical, "#e45756")):
        fig.add_trace(go.Bar(name=name, y=suites, x=values, orientation="h", marker_color=color))
    fig.update_layout(barmode="stack", title="Expectations per suite (latest validation)",
                      xaxis={"title": "expectations"})
    return fig_html(fig, height=max(300, 28 * len(suites) + 120))


def raw_rows(counts: list[tuple[str, str, int, int]]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, source in enumerate(sorted({c[0] for c in counts})):
        mine = [c for c in counts if c[0] == source]
        fig.add_trace(go.Bar(name=source, x=[c[1] for c in mine], y=[c[2] for c in mine],
                             marker_color=PALETTE[i % len(PALETTE)]))
    values = [c[2] for c in counts if c[2]]
    # Objects differ by orders of magnitude (users vs. campaign members); log scale only when they do.
    wide = bool(values) and max(values) / max(min(values), 1) > 50
    fig.update_layout(title="Raw rows (all versions) per object",
                      yaxis={"title": "rows", "type": "log" if wide else "linear"}, xaxis={"tickangle": -40})
    return fig_html(fig)
