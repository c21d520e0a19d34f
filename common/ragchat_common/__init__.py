"""Shared building blocks of the ragchat services."""
