"""The Assess page's parts (pages/assess.py shows the page's shape and calls them)."""
