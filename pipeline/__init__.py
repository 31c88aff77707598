"""Roster reconciliation pipeline for Vietnam's mass organizations."""

__version__ = "0.1.0"
