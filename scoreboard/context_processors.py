def roles(request):
    """Role flags for navigation; the permission checks themselves live in rules.py."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_executive": user.is_executive,
        "is_ops_lead": user.is_ops_lead,
        "is_scoreboard_admin": user.is_scoreboard_admin,
    }
