"""The Workshop page's parts (pages/workshop.py shows the page's shape and calls them)."""
