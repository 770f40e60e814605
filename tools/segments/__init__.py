"""Segments: cluster customers, recommend how many groups, profile, name and chart them."""
