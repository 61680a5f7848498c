from django.urls import reverse

NAV = [
    ("Annotate", "annotation:index"),
    ("Damage models", "synthesis:index"),
    ("Restore", "restoration:index"),
    ("Leaderboard", "evaluation:index"),
    ("Surveys", "surveys:index"),
]


def navigation(request):
    path = request.path
    items = []
    for title, name in NAV:
        url = reverse(name)
        items.append({"title": title, "url": url, "active": path.startswith(url)})
    return {"nav_items": items}
