"""The governance workspace's forms, one module per part, as governance/views/."""
