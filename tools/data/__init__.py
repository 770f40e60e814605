"""Data: bring in, check and describe the shop's customers, products and orders."""
