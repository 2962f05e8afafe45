"""Periodic bulletins (日研判、周分析、月通报): collected from the incident history (analysis
package) and the service database, rendered to HTML (Jinja2) and PDF (WeasyPrint)."""
