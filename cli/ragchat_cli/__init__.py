"""The ragchat command line."""
