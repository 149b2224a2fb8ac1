"""The Manage page's parts (pages/manage.py shows the page's shape and calls them)."""
