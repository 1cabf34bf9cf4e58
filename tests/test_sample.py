"""The seeded sample workspace: deterministic, big enough, and carrying its planted stories."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from insightlib.errors import InputError
from insightlib.sample.story import SAMPLE_FILES, write_sample
from insightlib.workspace.config import load_config

VERIFY_KEYWORDS = ("verification code", "sms code", "code never", "didn't get the code", "otp")
BASELINE = [43, 44, 45, 46]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def events(sample_ws: Path) -> pd.DataFrame:
    e = pd.read_parquet(sample_ws / "events.parquet")
    e["week"] = e["timestamp"].dt.isocalendar().week.astype(int)
    e["date"] = e["timestamp"].dt.strftime("%Y-%m-%d")
    return e


@pytest.fixture(scope="module")
def feedback(sample_ws: Path) -> pd.DataFrame:
    f = pd.read_csv(sample_ws / "feedback.csv", keep_default_na=False, dtype=str)
    f["week"] = pd.to_datetime(f["created_at"]).dt.isocalendar().week.astype(int)
    return f


def _conversion(df: pd.DataFrame, a: str, b: str) -> float:
    """Share of users who did ``a`` that also did ``b`` (the metric's definition)."""
    did_a = set(df.loc[df["event"] == a, "user_id"])
    did_b = set(df.loc[df["event"] == b, "user_id"])
    return len(did_a & did_b) / len(did_a)


def _weekly(df: pd.DataFrame, fn) -> pd.Series:
    return pd.Series({w: fn(g) for w, g in df.groupby("week")})


def _change(series: pd.Series, week: int = 47) -> float:
    return series[week] / series[BASELINE].mean() - 1


# -------------------------------------------------------------------------------------------
def test_same_seed_writes_byte_identical_files(sample_ws: Path, tmp_path: Path) -> None:
    again = write_sample(tmp_path / "again")
    assert sorted(p.name for p in again.iterdir()) == sorted(SAMPLE_FILES)
    for name in SAMPLE_FILES:
        assert _sha(again / name) == _sha(sample_ws / name), name
    # Writing again over a previous sample replaces it without asking.
    (again / "feedback.csv").write_text("tampered")
    write_sample(again)
    assert _sha(again / "feedback.csv") == _sha(sample_ws / "feedback.csv")


def test_other_seed_writes_other_data(sample_ws: Path, tmp_path: Path) -> None:
    other = write_sample(tmp_path / "other", seed=7)
    assert _sha(other / "events.parquet") != _sha(sample_ws / "events.parquet")
    assert _sha(other / "insight.toml") == _sha(sample_ws / "insight.toml")


def test_config_and_sizes(sample_ws: Path, events: pd.DataFrame, feedback: pd.DataFrame) -> None:
    cfg = load_config(sample_ws)
    assert cfg.project == "Basketly"
    assert len(cfg.sources) >= 4
    assert len(cfg.segments) >= 3
    assert {"active_users", "signup_completion", "checkout_conversion", "orders"} <= set(
        cfg.metrics
    )
    assert "verification_code" in cfg.themes
    assert len(events) >= 200_000
    assert len(feedback) >= 1_500
    assert events["week"].nunique() >= 14
    knowledge = pd.read_csv(sample_ws / "knowledge.csv", keep_default_na=False)
    assert knowledge["team"].nunique() >= 3
    glossary = pd.read_csv(sample_ws / "glossary.csv")
    assert {"OTP", "Plus", "AOV"} <= set(glossary["term"])


def test_event_columns(sample_ws: Path, events: pd.DataFrame) -> None:
    schema = pq.read_schema(sample_ws / "events.parquet")
    assert str(schema.field("timestamp").type) == "timestamp[us]"
    assert set(events["platform"]) == {"ios", "android", "web"}
    assert set(events["country"]) == {"US", "GB", "DE", "FR", "ES", "IE"}
    assert set(events["plan"]) == {"free", "plus"}
    purchase = events["event"] == "purchase"
    assert events.loc[purchase, "revenue"].notna().all()
    assert events.loc[~purchase, "revenue"].isna().all()
    assert 40 < events.loc[purchase, "revenue"].mean() < 65
    # Segment attributes are stable per user.
    assert events.groupby("user_id")[["platform", "country", "plan"]].nunique().max().max() == 1
    # The extract ends early on Tuesday 24 Nov.
    assert events["timestamp"].max() < pd.Timestamp("2026-11-24T08:00")
    assert events["timestamp"].min() >= pd.Timestamp("2026-08-17")


# ------------------------------------------------------------------ planted stories
def test_android_signup_completion_drops_in_w47(events: pd.DataFrame) -> None:
    signups = events[events["event"].isin(["signup_start", "signup_complete"])]
    for platform in ("android", "ios", "web"):
        rate = _weekly(
            signups[signups["platform"] == platform],
            lambda g: _conversion(g, "signup_start", "signup_complete"),
        )
        base, now = rate[BASELINE].mean(), rate[47]
        assert 0.58 < base < 0.68, platform
        if platform == "android":
            assert now < 0.47
        else:
            assert abs(now - base) < 0.04, platform
    starts = signups[(signups["event"] == "signup_start") & (signups["platform"] == "android")]
    assert starts.groupby("week")["user_id"].nunique()[range(34, 48)].min() >= 400


def test_android_support_contacts_rise(events: pd.DataFrame) -> None:
    support = events[events["event"] == "support_contact"]
    android = support[support["platform"] == "android"].groupby("week").size()
    ios = support[support["platform"] == "ios"].groupby("week").size()
    assert _change(android) > 0.25
    assert abs(_change(ios)) < 0.15


def test_verification_code_complaints_emerge(feedback: pd.DataFrame) -> None:
    text = feedback["text"].str.lower()
    hit = text.apply(lambda t: any(k in t for k in VERIFY_KEYWORDS))
    per_week = feedback[hit].groupby("week").size().reindex(range(34, 48), fill_value=0)
    assert per_week[range(34, 47)].max() <= 5
    assert 50 <= per_week[47] <= 100
    w47 = feedback[hit & (feedback["week"] == 47)]
    assert (w47["platform"] == "android").mean() > 0.9


def test_web_checkout_outage_on_friday_20_nov(events: pd.DataFrame) -> None:
    web = events[(events["platform"] == "web") & (events["event"] == "purchase")]
    daily = web.groupby("date").size()
    fridays = daily[["2026-10-23", "2026-10-30", "2026-11-06", "2026-11-13"]].mean()
    assert daily["2026-11-20"] < 0.55 * fridays
    for day, usual in (("2026-11-19", "2026-11-12"), ("2026-11-21", "2026-11-14")):
        assert abs(daily[day] / daily[usual] - 1) < 0.2, day


def test_plus_grows_free_does_not(events: pd.DataFrame) -> None:
    wau = events.groupby(["plan", "week"])["user_id"].nunique()
    plus, free = wau["plus"], wau["free"]
    weekly_growth = (plus[47] / plus[39]) ** (1 / 8) - 1
    assert 0.025 < weekly_growth < 0.045
    assert abs(plus[38] / plus[34] - 1) < 0.05  # flat before the 21 Sep campaign
    assert abs(free[47] / free[39] - 1) < 0.05


def test_germany_orders_jump_and_nothing_else_moves(events: pd.DataFrame) -> None:
    orders = events[events["event"] == "purchase"].groupby(["country", "week"]).size()
    assert 0.18 < _change(orders["DE"]) < 0.32
    for country in ("US", "GB", "FR", "ES"):
        assert abs(_change(orders[country])) < 0.08, country
    wau = events.groupby(["country", "week"])["user_id"].nunique()
    assert abs(_change(wau["DE"])) < 0.08  # more baskets, not more customers


def test_france_newsletter_has_no_effect(sample_ws: Path, events: pd.DataFrame) -> None:
    knowledge = pd.read_csv(sample_ws / "knowledge.csv", keep_default_na=False)
    entry = knowledge[knowledge["title"] == "Autumn newsletter to France"]
    assert entry[["date", "segment"]].values.tolist() == [["2026-11-16", "country=FR"]]
    fr = events[events["country"] == "FR"]
    assert abs(_change(fr.groupby("week")["user_id"].nunique())) < 0.06
    assert abs(_change(fr[fr["event"] == "purchase"].groupby("week").size())) < 0.06
    checkout = _weekly(fr, lambda g: _conversion(g, "view_cart", "purchase"))
    assert abs(checkout[47] - checkout[BASELINE].mean()) < 0.04


def test_ireland_is_tiny(events: pd.DataFrame) -> None:
    wau = events[events["country"] == "IE"].groupby("week")["user_id"].nunique()
    assert wau[range(34, 48)].between(10, 60).all()
    assert (
        events.loc[events["country"] == "IE", "user_id"].nunique()
        < 0.01 * events["user_id"].nunique()
    )


def test_planted_knowledge_entries(sample_ws: Path) -> None:
    k = pd.read_csv(sample_ws / "knowledge.csv", keep_default_na=False)
    assert {"Engineering", "Customer Service", "Marketing", "Pricing", "Product"} <= set(k["team"])
    rows = {r.title: r for r in k.itertuples()}
    release = rows["Android app 5.2 released"]
    assert (release.date, release.team, release.kind, release.segment) == (
        "2026-11-17",
        "Engineering",
        "release",
        "platform=android",
    )
    assert "SMS verification" in release.details
    outage = rows["Payment page outage on web (2 h)"]
    assert (outage.date, outage.kind, outage.segment) == ("2026-11-20", "incident", "platform=web")
    trial = rows["Plus free-trial month"]
    assert (trial.date, trial.team, trial.segment) == ("2026-09-21", "Marketing", "plan=plus")
    assert rows["Spike in Android sign-up tickets about missing codes"].date == "2026-11-19"
    assert not k["segment"].str.contains("country=DE").any()  # the German jump is unexplained


def test_feedback_is_realistic(feedback: pd.DataFrame) -> None:
    assert set(feedback["source"]) == {"support_ticket", "nps", "survey", "app_review", "interview"}
    team = feedback.groupby("source")["team"].unique().map(list).to_dict()
    assert team["support_ticket"] == ["Customer Service"]
    assert team["app_review"] == ["Marketing"]
    assert feedback["id"].is_unique
    nps = pd.to_numeric(feedback.loc[feedback["source"] == "nps", "score"])
    assert nps.between(0, 10).all()
    stars = pd.to_numeric(feedback.loc[feedback["source"] == "app_review", "score"])
    assert stars.between(1, 5).all()
    assert (feedback.loc[feedback["source"] == "survey", "score"] == "").all()
    text = feedback["text"]
    assert text.str.contains(r"[\w.]+@example\.(?:com|org)").any()
    assert text.str.contains(r"\+1 415 555 01\d\d|\+44 7700 900\d{3}").any()
    assert text.str.contains(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b").any()
    foreign = r"\b(?:pedido|llegó|Lieferung|Bestellung|commande|livraison|très|muy|sehr)\b"
    assert text.str.contains(foreign, case=False).sum() >= 10
    assert feedback.duplicated(["created_at", "text", "user_id"]).sum() >= 3
    # A big complaint theme that stays flat (late deliveries) must not look emerging.
    late = feedback[text.str.contains(r"\blate\b", case=False)].groupby("week").size()
    assert late[range(34, 48)].min() >= 10
    assert abs(_change(late)) < 0.35


def test_refuses_to_overwrite_foreign_folder(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        write_sample(dest)
    with pytest.raises(InputError):
        write_sample(dest)
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    write_sample(dest, overwrite=True)
    assert (dest / "notes.txt").read_text() == "keep me"
    assert (dest / "events.parquet").exists()


def test_rejects_a_file_as_destination(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        write_sample(target)
