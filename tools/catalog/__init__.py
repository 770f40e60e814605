"""Catalog: products, shortlists, and which customers fit which products."""
