"""Chat notifications: destinations, detection where each event is born, delivery once."""
