"""Data quality for Funnelhouse with Great Expectations (GX Core 1.x).

Entry points: `expectations.runner.validate(dsn, layer, ...)` -> ValidationSummary and
`expectations.runner.raise_for_critical(summary)`; the CLI `funnelhouse quality` (expectations/cli.py).
Suites are code in expectations/suites/, exported as JSON into the committed GX context expectations/gx/.
See docs/quality.md.
"""
