"""Every business rule tried on every door that can write it: the pages, the API, the admin and
the CSV import (test_rules_on_every_path.py), and a check that no door is left out."""
