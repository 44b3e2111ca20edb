"""The HTML report: sections (a named query's answer as a chart, a summary and a table), the SVG
charts and the page's template.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
