"""A hand-made week that mirrors the sample's planted stories, for fuse and narrate tests.

Findings, themes and knowledge are built directly (no quant or qual run), so the tests pin the
fusion and narrative logic:

- sign-up completion falls overall and on Android (Android drives 88% of it) in 2026-W47;
  the codebook theme ``verification_code`` rises among Android users; Engineering released
  "Android app 5.2" on 17 Nov (``platform=android``) and Customer Service noted missing codes
  on 19 Nov (everyone);
- the distractor: Marketing's "Autumn newsletter to France" (16 Nov, ``country=FR``), with no
  change in France; France appears only as a minor driver of the overall sign-up fall;
- the unexplained: orders in Germany +25% (a question for Marketing); the complaint theme rose
  in Germany too, but no more than Germany's share of all feedback, so it must not link;
- a trend: Plus plan active customers growing since Marketing's free-trial campaign (21 Sep);
- an anomaly: web checkout completion collapses on Fri 20 Nov, the day of an Engineering
  incident.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from insightlib.model import Driver, Finding, Quote, Theme
from insightlib.workspace.config import AudienceSpec, Config, MetricSpec, ThemeSpec
from insightlib.workspace.periods import parse_period

PERIOD = parse_period("2026-W47")
QUIET_N_TESTS = 120  # the checks of the quiet week (nothing found)
B0, B1 = date(2026, 10, 19), date(2026, 11, 15)
ANDROID = (("platform", "android"),)
IOS = (("platform", "ios"),)
WEB = (("platform", "web"),)
DE = (("country", "DE"),)
FR = (("country", "FR"),)
PLUS = (("plan", "plus"),)

ID_ANDROID = "segment_driver:signup_completion:platform=android"
ID_SIGNUP = "metric_change:signup_completion:all"
ID_DE = "segment_driver:orders:country=DE"
ID_TREND = "trend:active_customers:plan=plus"
ID_OUTAGE = "anomaly:checkout_completion:platform=web"
ID_THEME = "emerging_theme:verification_code:all"


def config(**kw: Any) -> Config:
    metrics = {
        "signup_completion": MetricSpec(
            "signup_completion",
            "conversion",
            "Sign-up completion",
            from_event="signup_start",
            to_event="signup_complete",
        ),
        "orders": MetricSpec("orders", "count", "Orders", event="purchase"),
        "active_customers": MetricSpec("active_customers", "distinct_users", "Active customers"),
        "checkout_completion": MetricSpec(
            "checkout_completion",
            "conversion",
            "Checkout completion",
            from_event="checkout_start",
            to_event="purchase",
        ),
        "revenue": MetricSpec(
            "revenue", "sum", "Revenue", event="purchase", column="revenue", unit="EUR"
        ),
    }
    base = dict(
        root=Path("/nonexistent"),
        path=Path("/nonexistent/insight.toml"),
        project="Basketly",
        sources={},
        segments=("platform", "country", "plan"),
        metrics=metrics,
        themes={
            "verification_code": ThemeSpec(
                "verification_code",
                "verification code never arrives",
                ("code", "sms", "verification"),
            )
        },
        audiences={
            "team": AudienceSpec("team", "detailed", None),
            "board": AudienceSpec("board", "summary", 5),
        },
    )
    base.update(kw)
    return Config(**base)


def finding(
    kind: str,
    metric: str | None,
    segment: tuple,
    direction: str,
    current: float,
    baseline: float,
    n_current: int,
    n_baseline: int,
    score: float,
    *,
    drivers: tuple = (),
    theme: str | None = None,
    start: date = PERIOD.start,
    end: date = PERIOD.end,
    details: dict | None = None,
    ci: tuple = (None, None),
    better: bool | None = None,
    method: str = "two-proportion z-test against the mean of the 4 previous weeks; "
    "Benjamini-Hochberg across 210 tests",
    q_value: float | None = 2e-8,
) -> Finding:
    rel = (current - baseline) / baseline if baseline else None
    return Finding(
        kind=kind,
        metric=metric,
        segment=segment,
        direction=direction,
        current=current,
        baseline=baseline,
        change_abs=current - baseline,
        change_rel=rel,
        p_value=1e-9,
        q_value=q_value,
        ci_low=ci[0],
        ci_high=ci[1],
        effect_size=-0.4,
        n_current=n_current,
        n_baseline=n_baseline,
        window_start=start,
        window_end=end,
        baseline_start=B0,
        baseline_end=B1,
        method=method,
        better=better,
        score=score,
        drivers=tuple(drivers),
        theme=theme,
        details=details or {},
    )


def quant_findings() -> list[Finding]:
    drivers = (
        Driver(ANDROID, 0.88, -0.075, 0.402, 0.624, 480, 1950),
        Driver(IOS, 0.07, -0.006, 0.63, 0.64, 560, 2240),
        Driver(WEB, 0.05, -0.004, 0.63, 0.635, 350, 1400),
        Driver(FR, 0.14, -0.011, 0.56, 0.63, 200, 800),
    )
    return [
        finding(
            "metric_change", "signup_completion", (), "down", 0.553, 0.632, 1390, 5590, 0.9,
            drivers=drivers, ci=(-0.1, -0.06), better=False,
        ),
        finding(
            "segment_driver", "signup_completion", ANDROID, "down", 0.402, 0.624, 480, 1950,
            0.93, ci=(-0.25, -0.19), better=False,
        ),
        finding(
            "segment_driver", "orders", DE, "up", 2345, 1876, 2345, 7504, 0.7,
            ci=(300, 640), better=True,
            method="Poisson rate test against the mean of the 4 previous weeks",
        ),
        finding(
            "trend", "active_customers", PLUS, "up", 3400, 2150, 3400, 2150, 0.6,
            details={"onset": "2026-09-21"}, better=True,
            method="Mann-Kendall trend test over the last 9 weeks",
        ),
        finding(
            "anomaly", "checkout_completion", WEB, "down", 0.12, 0.83, 180, 5800, 0.8,
            start=date(2026, 11, 20), end=date(2026, 11, 20),
            details={"day": "2026-11-20", "expected_low": 0.78, "expected_high": 0.87},
            better=False, method="daily value outside the robust band of the previous 28 days",
        ),
    ]  # fmt: skip


QUOTES = (
    Quote(
        "fb-0101",
        "I never get the SMS code, tried five times",
        "app_review",
        date(2026, 11, 18),
        {"platform": "android"},
    ),
    Quote(
        "fb-0102",
        "Verification code never arrives. Call me on +44 20 7946 0958",
        "support_ticket",
        date(2026, 11, 19),
        {"platform": "android"},
    ),
)


def themes() -> tuple[Theme, ...]:
    return (
        Theme(
            "verification_code", "verification code never arrives", ("code", "sms", "verification"),
            120, 0.05, -0.6, 76, 2.25, 0.2, 0.01, 32.8, {"app_review": 60}, {}, QUOTES, True,
        ),
        Theme(
            "driver_was_late", "driver was late", ("late", "driver"),
            400, 0.2, -0.4, 40, 40.0, 0.1, 0.1, 0.0, {}, {}, (), False,
        ),
    )  # fmt: skip


def theme_counts() -> pd.DataFrame:
    rows = []
    for i in range(5):
        week = B0 + timedelta(weeks=i)
        cur = i == 4
        rows += [
            ("verification_code", week, "all", 76 if cur else 2, 500),
            ("verification_code", week, "platform=android", 68 if cur else 1, 180),
            ("verification_code", week, "platform=ios", 5 if cur else 1, 200),
            ("verification_code", week, "platform=web", 3 if cur else 0, 120),
            ("verification_code", week, "country=DE", 10 if cur else 0, 100),
            ("verification_code", week, "country=FR", 8 if cur else 0, 70),
            ("driver_was_late", week, "all", 40, 500),
            ("driver_was_late", week, "platform=android", 14, 180),
            ("driver_was_late", week, "country=DE", 7, 100),
        ]
    return pd.DataFrame(rows, columns=["theme", "period_start", "segment", "count", "total"])


def qual(with_theme_finding: bool = True) -> SimpleNamespace:
    findings = ()
    if with_theme_finding:
        # like qual: current/baseline are shares of all feedback, counts are in details
        findings = (
            finding(
                "emerging_theme", None, (), "up", 0.152, 0.0045, 500, 2000, 0.75,
                theme="verification_code", ci=(0.12, 0.18),
                method="two-proportion test on theme share of feedback (overdispersion-"
                "adjusted), BH",
                drivers=(
                    Driver(ANDROID, 0.91, 68.0, 0.378, 0.0056, 180, 720),
                    Driver(IOS, 0.05, 3.5, 0.025, 0.005, 200, 800),
                ),
                details={"count_current": 76, "count_baseline": 9,
                         "count_baseline_per_period": 2.25, "concentrated_in": {"platform": "android"}},
            ),
        )  # fmt: skip
    return SimpleNamespace(
        themes=themes(),
        findings=findings,
        theme_counts=theme_counts(),
        assignments=pd.DataFrame({"id": range(2100)}),
    )


def quant() -> SimpleNamespace:
    return SimpleNamespace(findings=tuple(quant_findings()), n_tests=210)


def knowledge() -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(
                date=date(2026, 9, 21), team="Marketing", kind="campaign",
                title="Plus free-trial month", details="First month of Plus free for new sign-ups.",
                segment="plan=plus", end_date=date(2026, 10, 18),
            ),
            dict(
                date=date(2026, 11, 16), team="Marketing", kind="campaign",
                title="Autumn newsletter to France", details=None, segment="country=FR",
                end_date=None,
            ),
            dict(
                date=date(2026, 11, 17), team="Engineering", kind="release",
                title="Android app 5.2 released",
                details="Switches to a new SMS verification provider.",
                segment="platform=android", end_date=None,
            ),
            dict(
                date=date(2026, 11, 19), team="Customer Service", kind="note",
                title="Many contacts about missing sign-up codes",
                details="Mostly Android customers say the SMS code never arrives.",
                segment=None, end_date=None,
            ),
            dict(
                date=date(2026, 11, 20), team="Engineering", kind="incident",
                title="Web checkout outage", details="Payment page returned errors for 3 hours.",
                segment="platform=web", end_date=None,
            ),
        ]
    )  # fmt: skip


PROVENANCE = {
    "files": {
        "events": {"path": "events.parquet", "sha256": "0" * 64, "rows": 512345},
        "feedback": {"path": "feedback.csv", "sha256": "1" * 64, "rows": 2100},
    },
    "parameters": {"period": "2026-W47"},
}


def document(**kw: Any) -> dict[str, Any]:
    from insightlib.narrate.assemble import build_document

    args: dict[str, Any] = dict(
        quant=quant(),
        qual=qual(),
        knowledge=knowledge(),
        glossary=None,
        config=config(),
        period=PERIOD,
        provenance=PROVENANCE,
    )
    args.update(kw)
    return build_document(**args).to_dict()
