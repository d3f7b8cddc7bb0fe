"""The monthly ExCo dashboard and its PDF pack."""
