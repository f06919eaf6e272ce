"""Repositories: query and write functions taking `*, session`. They flush; callers commit."""
