"""Governance: the decision-authority matrix, the decision log and its digest, the registers and the
expansion pipeline, and the governance workspace's front page."""
