"""Weekly reports: counts of the anonymous events by week and area, as text, chart and files."""
