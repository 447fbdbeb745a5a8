"""Verification jobs (``backup-verify``) and the agent that runs them."""
