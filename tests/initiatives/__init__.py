"""The initiatives: their pages and editing, the stage gates, the deployment brief and the governance
gates on the way to production."""
