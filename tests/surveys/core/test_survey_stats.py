"""Survey statistics (surveys.core.stats) against hand-derived values and published references."""
from __future__ import annotations

import math

import pytest

from surveys.core.stats import (
    TrialRecord,
    attention,
    between_groups,
    binomial_summary,
    clopper_pearson,
    d_prime_2afc,
    group_summary,
    side_bias,
    summarise,
    table2,
)

GROUPS = ("not", "somewhat", "very")


def rec(pid, group, size, success, left=True, catch=False):
    return TrialRecord(pid, group, size, bool(success), bool(left), catch)


# p1 (not familiar): 128 px 1,0 -> 50%; 256 px 1,1 -> 100%; overall 75%
# p2 (not familiar): 128 px 1,1 -> 100%; 256 px 0,0 -> 0%; overall 50%
# p3 (very familiar): 128 px 0,0 -> 0%; 256 px 1,0 -> 50%; overall 25%
# plus catch trials, which never count in scores
RECORDS = [
    rec("p1", "not", 128, 1), rec("p1", "not", 128, 0, left=False), rec("p1", "not", 256, 1), rec("p1", "not", 256, 1),
    rec("p2", "not", 128, 1), rec("p2", "not", 128, 1), rec("p2", "not", 256, 0, left=False),
    rec("p2", "not", 256, 0, left=False),
    rec("p3", "very", 128, 0), rec("p3", "very", 128, 0), rec("p3", "very", 256, 1), rec("p3", "very", 256, 0),
    rec("p1", "not", 128, 0, catch=True), rec("p2", "not", 256, 1, catch=True), rec("p3", "very", 128, 1, catch=True),
]


def test_binomial_test_and_clopper_pearson_by_hand():
    s = binomial_summary(7, 10)
    # two-sided exact p = 2 * P(X >= 7 | n=10, p=.5) = 2 * (120 + 45 + 10 + 1) / 1024
    assert s["p_value"] == pytest.approx(352 / 1024)
    # Clopper-Pearson 95% for 7/10 as tabulated, e.g. in Newcombe (1998), Stat Med 17, table I: 0.3475-0.9333
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((0.3475, 0.9333), abs=5e-5)
    assert "binomial" in s["test"] and s["ci_method"] == "Clopper-Pearson"
    # k = 0 and k = n in closed form: (alpha/2) ** (1/n)
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 1 - 0.025 ** 0.1))
    assert clopper_pearson(10, 10) == pytest.approx((0.025 ** 0.1, 1.0))


def test_clopper_pearson_matches_scipy_binomtest():
    from scipy.stats import binomtest

    for k, n in [(0, 3), (1, 9), (13, 40), (251, 500)]:
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_d_prime_for_two_alternative_forced_choice():
    assert d_prime_2afc(0.5) == 0.0
    # z(0.76) = 0.706303 (standard normal table)
    assert d_prime_2afc(0.76) == pytest.approx(math.sqrt(2) * 0.706303, abs=1e-5)
    assert d_prime_2afc(0.24) == pytest.approx(-d_prime_2afc(0.76))
    # 10 of 10 correct is moved to 1 - 1/20 = 0.95: z = 1.644854
    assert d_prime_2afc(1.0, n=10) == pytest.approx(math.sqrt(2) * 1.644854, abs=1e-5)
    assert d_prime_2afc(1.0) == math.inf
    with pytest.raises(ValueError):
        d_prime_2afc(1.2)


def test_table2_by_hand():
    t = table2(RECORDS, crop_sizes=[128, 256], groups=GROUPS)
    assert t["columns"] == [128, 256, "overall"]
    rows = {r["group"]: r for r in t["rows"]}
    assert [r["group"] for r in t["rows"]] == ["not", "somewhat", "very", "overall"]
    not_ = rows["not"]
    assert not_["participants"] == 2
    assert (not_["cells"][128]["mean"], not_["cells"][128]["std"]) == pytest.approx((75.0, 50 / math.sqrt(2)))
    assert (not_["cells"][256]["mean"], not_["cells"][256]["std"]) == pytest.approx((50.0, 100 / math.sqrt(2)))
    overall = not_["cells"]["overall"]
    assert (overall["mean"], overall["std"]) == pytest.approx((62.5, 25 / math.sqrt(2)))
    assert rows["somewhat"]["participants"] == 0 and rows["somewhat"]["cells"][128]["mean"] is None
    very = rows["very"]["cells"]
    assert (very[128]["mean"], very[128]["std"], very[256]["mean"], very["overall"]["mean"]) == (0.0, None, 50.0, 25.0)
    overall = rows["overall"]["cells"]
    assert (overall[128]["mean"], overall[128]["std"]) == pytest.approx((50.0, 50.0))
    assert (overall[256]["mean"], overall[256]["std"]) == pytest.approx((50.0, 50.0))
    assert (overall["overall"]["mean"], overall["overall"]["std"]) == pytest.approx((50.0, 25.0))


def test_between_groups_by_hand():
    b = between_groups(RECORDS, groups=GROUPS)
    # scores 0.75, 0.5 | 0.25: ranks 3, 2 | 1; H = 12 / (3 * 4) * (5**2 / 2 + 1**2 / 1) - 3 * 4 = 1.5
    assert b["kruskal"]["statistic"] == pytest.approx(1.5)
    # with one degree of freedom P(chi2 > x) = erfc(sqrt(x / 2))
    assert b["kruskal"]["p_value"] == pytest.approx(math.erfc(math.sqrt(0.75)))
    # pooled: not 5 of 8, very 1 of 4; expected 4/4 and 2/2: chi2 = 1/4 + 1/4 + 1/2 + 1/2
    assert b["chi2"]["statistic"] == pytest.approx(1.5) and b["chi2"]["df"] == 1
    assert "Kruskal-Wallis" in b["kruskal"]["test"] and "chi-square" in b["chi2"]["test"]


def test_between_groups_needs_two_groups():
    one = [r for r in RECORDS if r.group == "not"]
    assert "fewer than two" in between_groups(one, groups=GROUPS)["kruskal"]["note"]


def test_group_summary_pools_regular_trials():
    g = {item["group"]: item for item in group_summary(RECORDS, groups=GROUPS)}
    assert (g["not"]["binomial"]["k"], g["not"]["binomial"]["n"]) == (5, 8)
    assert (g["overall"]["binomial"]["k"], g["overall"]["binomial"]["n"]) == (6, 12)
    assert g["overall"]["binomial"]["p_value"] == pytest.approx(1.0)
    assert g["overall"]["binomial"]["d_prime"] == 0.0
    assert "binomial" not in g["somewhat"]


def test_wilcoxon_of_scores_against_half():
    records = [rec(f"p{i}", "very", 128, s) for i, outcomes in enumerate([(1, 1, 1, 0), (1, 1, 1, 1), (0, 1, 0, 0)])
               for s in outcomes]
    w = {item["group"]: item for item in group_summary(records, groups=GROUPS)}["very"]["wilcoxon"]
    # differences 0.25, 0.5, -0.25: |d| ranks 1.5, 3, 1.5; W- = 1.5 = min(W+, W-)
    assert w["statistic"] == pytest.approx(1.5)


def test_side_bias_and_attention():
    s = side_bias(RECORDS)
    # regular trials answered on the left: 12 regular, 3 on the right
    assert (s["binomial"]["k"], s["binomial"]["n"]) == (9, 12)
    a = attention(RECORDS)
    assert a["p1"] == {"catch": 1, "failed": 1, "flagged": True}
    assert a["p2"]["flagged"] is False and a["p3"]["flagged"] is False
    assert attention(RECORDS, max_failures=1)["p1"]["flagged"] is False


def test_summarise_excludes_flagged_participants_on_request():
    kept = summarise(RECORDS, crop_sizes=[128, 256], groups=GROUPS)
    assert kept["excluded"] == ["p1"] and set(kept["participants"]) == {"p2", "p3"}
    assert kept["table"]["rows"][-1]["participants"] == 2
    every = summarise(RECORDS, crop_sizes=[128, 256], groups=GROUPS, exclude_flagged=False)
    assert every["flagged"] == ["p1"] and every["excluded"] == []
    assert every["table"]["rows"][-1]["participants"] == 3


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match="not in"):
        table2([rec("x", "expert", 128, 1)], crop_sizes=[128], groups=GROUPS)


def test_upper_median_takes_the_larger_middle_value_of_an_even_count():
    from surveys.core.stats import upper_median

    assert upper_median([300, 100, 200]) == 200
    assert upper_median([400, 100, 300, 200]) == 300  # not 250: a time that occurred
    assert upper_median([7]) == 7
    assert upper_median([]) is None


def test_response_medians_per_participant_count_catch_trials_and_list_those_without_times():
    from surveys.core.stats import response_medians

    records = [
        TrialRecord("p1", "not", 128, True, True, response_ms=900),
        TrialRecord("p1", "not", 128, False, True, response_ms=100),
        TrialRecord("p1", "not", 256, True, True, catch=True, response_ms=500),
        TrialRecord("p1", "not", 256, True, True, response_ms=None),
        TrialRecord("p2", "very", 128, True, True, response_ms=40),
        TrialRecord("p2", "very", 128, True, True, response_ms=60),
        TrialRecord("p3", "very", 128, True, True),
    ]
    assert response_medians(records) == {"p1": 500, "p2": 60, "p3": None}
    assert response_medians([]) == {}
