"""The page that assigns scans to annotators: researchers choose annotators for one or many scans, see who holds
what and whether it is done, and unassign; everyone else is refused."""
from __future__ import annotations

import pytest
from django.urls import reverse

from annotation import services
from annotation.models import Assignment, Polygon

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset():
    ds = services.annotation_set_get_or_create(name="to share")
    for name in ("a", "b", "c"):
        services.scan_create(dataset=ds, name=name, width=400, height=300, build_tiles=False)
    return ds


def url(dataset) -> str:
    return reverse("annotation:assign", args=[dataset.pk])


def held(dataset) -> set[tuple[str, str]]:
    return set(Assignment.objects.filter(scan__dataset=dataset).values_list("scan__name", "annotator__username"))


def scan_ids(dataset, *names: str) -> list[str]:
    return [str(dataset.scans.get(name=n).pk) for n in names]


def test_a_researcher_assigns_many_scans_to_many_annotators(client, users, dataset):
    # given
    client.force_login(users["researcher"])
    # when
    response = client.post(url(dataset), {"action": "assign", "scan": scan_ids(dataset, "a", "b"),
                                          "annotator": [users["annotator"].pk, users["annotator2"].pk]}, follow=True)
    # then
    assert response.status_code == 200
    assert held(dataset) == {("a", "annotator"), ("b", "annotator"), ("a", "annotator2"), ("b", "annotator2")}
    page = response.content.decode()
    assert "Assigned 2 scans to annotator, annotator2: 4 new assignments." in page
    assert 'data-testid="assignment-annotator2"' in page and "not done" in page


def test_assigning_again_keeps_the_done_state_and_says_what_was_held(client, users, dataset):
    scan_a = dataset.scans.get(name="a")
    services.scan_assign(scan=scan_a, annotator=users["annotator"])
    services.assignment_set_done(scan=scan_a, annotator=users["annotator"], done=True)
    client.force_login(users["researcher"])
    response = client.post(url(dataset), {"action": "assign", "scan": scan_ids(dataset, "a", "c"),
                                          "annotator": [users["annotator"].pk]}, follow=True)
    assert "Assigned 2 scans to annotator: 1 new assignment, 1 held already." in response.content.decode()
    assert Assignment.objects.get(scan=scan_a, annotator=users["annotator"]).done is True
    # the page shows who holds what and the done state
    workload = response.context["annotators"]
    row = next(p for p in workload if p.username == "annotator")
    assert (row.assigned_count, row.done_count) == (2, 1)
    assert ">done</strong>" in response.content.decode()


def test_one_assignment_is_taken_away_by_its_own_button_and_its_polygons_stay(client, users, dataset):
    scan_a = dataset.scans.get(name="a")
    services.scans_assign(scans=[scan_a], annotators=[users["annotator"], users["annotator2"]])
    services.polygon_create(scan=scan_a, cls="dust", points=[[10, 10], [20, 10], [15, 20]], user=users["annotator"])
    client.force_login(users["researcher"])
    response = client.post(url(dataset), {"unassign": f"{scan_a.pk}:{users['annotator'].pk}",
                                          "scan": scan_ids(dataset, "b")}, follow=True)  # other ticks are ignored
    assert response.status_code == 200
    assert held(dataset) == {("a", "annotator2")}
    assert Polygon.objects.filter(scan=scan_a).count() == 1
    assert "Scan a is no longer assigned to annotator" in response.content.decode()
    # the annotator cannot open it any more
    client.force_login(users["annotator"])
    assert client.get(reverse("annotation:scan", args=[scan_a.pk])).status_code == 404


def test_the_chosen_scans_are_taken_from_the_chosen_annotators(client, users, dataset):
    services.scans_assign(scans=dataset.scans.all(), annotators=[users["annotator"], users["annotator2"]])
    client.force_login(users["researcher"])
    response = client.post(url(dataset), {"action": "unassign", "scan": scan_ids(dataset, "a", "b"),
                                          "annotator": [users["annotator"].pk]}, follow=True)
    assert held(dataset) == {("c", "annotator"), ("a", "annotator2"), ("b", "annotator2"), ("c", "annotator2")}
    assert "Took 2 scans from annotator: 2 assignments removed" in response.content.decode()


@pytest.mark.parametrize(("form", "message"), [
    ({"action": "assign", "annotator": ["ANNOTATOR"]}, "choose at least one scan."),
    ({"action": "assign", "scan": ["A"]}, "choose at least one annotator."),
    ({"action": "assign", "scan": ["OTHER"], "annotator": ["ANNOTATOR"]}, "no scan with id OTHER in dataset to share"),
    ({"action": "assign", "scan": ["A"], "annotator": ["RESEARCHER"]}, "no annotator with id RESEARCHER to choose"),
    ({"action": "assign", "scan": ["x1"], "annotator": ["ANNOTATOR"]},
     "Scan ids are whole numbers, got &#x27;x1&#x27;"),
    ({"action": "delete", "scan": ["A"], "annotator": ["ANNOTATOR"]}, "the action must be assign or unassign"),
    ({"unassign": "A:ANNOTATOR2"}, "annotator2 does not hold scan a."),
])
def test_refused_forms_change_nothing_and_say_why(client, users, dataset, form, message):
    # given: scan a held by annotator; a scan of another dataset
    other = services.scan_create(dataset=services.annotation_set_get_or_create(name="other"), name="z", width=10,
                                 height=10, build_tiles=False)
    services.scan_assign(scan=dataset.scans.get(name="a"), annotator=users["annotator"])
    values = {"A": scan_ids(dataset, "a")[0], "OTHER": str(other.pk), "ANNOTATOR": str(users["annotator"].pk),
              "ANNOTATOR2": str(users["annotator2"].pk), "RESEARCHER": str(users["researcher"].pk)}

    def fill(value: str) -> str:
        for key in sorted(values, key=len, reverse=True):
            value = value.replace(key, values[key])
        return value

    client.force_login(users["researcher"])
    data = {k: [fill(v) for v in vs] if isinstance(vs, list) else fill(vs) for k, vs in form.items()}
    # when
    response = client.post(url(dataset), data)
    # then
    assert response.status_code == 400
    assert "Nothing changed: " + fill(message) in response.content.decode()
    assert held(dataset) == {("a", "annotator")}


def test_annotators_and_visitors_are_refused(client, users, dataset):
    assert client.get(url(dataset)).status_code == 302  # to the login page
    client.force_login(users["annotator"])
    response = client.get(url(dataset))
    assert response.status_code == 403
    assert "Only researchers and administrators assign scans to annotators." in response.content.decode()
    response = client.post(url(dataset), {"action": "assign", "scan": scan_ids(dataset, "a"),
                                          "annotator": [users["annotator"].pk]})
    assert response.status_code == 403 and not held(dataset)
    # the dataset page links to the assignment page for researchers only
    assert url(dataset) not in client.get(reverse("annotation:set", args=[dataset.pk])).content.decode()
    client.force_login(users["researcher"])
    assert url(dataset) in client.get(reverse("annotation:set", args=[dataset.pk])).content.decode()


def test_the_annotators_listed_are_the_role_and_those_who_hold_a_scan(client, users, dataset):
    services.scan_assign(scan=dataset.scans.get(name="b"), annotator=users["researcher"])  # by the command, say
    client.force_login(users["admin"])
    response = client.get(url(dataset))
    assert response.status_code == 200
    assert [p.username for p in response.context["annotators"]] == ["annotator", "annotator2", "researcher"]
    # a researcher who holds a scan here can be unassigned from the page
    response = client.post(url(dataset), {"unassign": f"{scan_ids(dataset, 'b')[0]}:{users['researcher'].pk}"})
    assert response.status_code == 302 and not held(dataset)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_researcher_assigns_scans_from_the_dataset_page_and_the_annotator_gets_them(page, live_server, users,
                                                                                      dataset):
    from tests.support import browser_login, screenshot

    services.assignment_set_done(scan=dataset.scans.get(name="c"), annotator=users["annotator"], done=True)
    browser_login(page, live_server, "researcher", "researcher")
    # the dataset page leads to the assignment page
    page.goto(f"{live_server.url}{reverse('annotation:set', args=[dataset.pk])}")
    page.click("[data-testid=assign-link]")
    page.wait_for_selector("[data-testid=assign-form]")
    assert page.inner_text("[data-testid=workload-annotator] [data-testid=held]") == "1"
    assert page.inner_text("[data-testid=workload-annotator] [data-testid=done]") == "1"
    # every scan at once ("choose every scan"), to annotator2
    page.check("input[data-check-all=scan]")
    assert page.locator("input[name=scan]:checked").count() == 3
    page.uncheck("[data-testid=scan-c]")
    assert page.evaluate("document.querySelector('input[data-check-all=scan]').indeterminate")
    page.check("[data-testid=annotator-annotator2]")
    page.click("[data-testid=assign]")
    page.wait_for_selector(".messages li.success")
    assert "Assigned 2 scans to annotator2: 2 new assignments." in page.inner_text(".messages")
    assert page.inner_text("[data-testid=workload-annotator2] [data-testid=held]") == "2"
    row_c = page.inner_text("[data-testid=scan-row-c]")
    assert "annotator" in row_c and "done" in row_c and "annotator2" not in row_c
    assert "annotator2" in page.inner_text("[data-testid=scan-row-a]")
    screenshot(page, "annotation-assign")
    # its own button takes scan b from annotator2
    page.click("[data-testid=scan-row-b] [data-testid=assignment-annotator2] button")
    page.wait_for_selector(".messages li.success")
    assert "Scan b is no longer assigned to annotator2" in page.inner_text(".messages")
    assert "nobody" in page.inner_text("[data-testid=scan-row-b]")
    # an empty choice is refused with a sentence
    page.click("[data-testid=assign]")
    page.wait_for_selector(".messages li.error")
    assert "Nothing changed: choose at least one scan." in page.inner_text(".messages")
    assert held(dataset) == {("a", "annotator2"), ("c", "annotator")}
    # annotator2 now sees scan a only
    page.context.clear_cookies()
    browser_login(page, live_server, "annotator2", "annotator2")
    page.goto(f"{live_server.url}{reverse('annotation:index')}")
    assert [t.strip() for t in page.locator("[data-testid=scan-table] tbody tr td:nth-child(2)").all_inner_texts()] \
        == ["a"]
