"""Campaigns: draft, copy, render, approve, send, track and report one email campaign."""
