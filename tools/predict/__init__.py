"""Prediction: who will buy again, how much, and who is slipping away (BG/NBD and Gamma-Gamma)."""
