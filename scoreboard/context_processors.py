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


# The navigation's sections by the start of the path: the one a page belongs to is marked
# aria-current, so a screen reader (and the style) says where the person is.
_SECTIONS = (
    ("/exco/", "exco"),
    ("/initiatives/", "initiatives"),
    ("/kpis/", "kpis"),
    ("/governance/", "governance"),
    ("/my/", "workspace"),
    ("/api/docs/", "api"),
)


def navigation(request):
    path = getattr(request, "path", "")
    return {"nav_section": next((section for start, section in _SECTIONS if path.startswith(start)), "")}
