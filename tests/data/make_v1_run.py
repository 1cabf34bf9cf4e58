"""Write the schema-version-1 run folder ``tests/data/run_v1/`` from the real builder.

The folder is what ``insightlib run`` wrote before ``insights.json`` became schema version 2: the
story fixture (``tests/fixtures_story.py``) fused and told by the builder, compared with an
earlier run (one insight continuing, one resolved), with a team's verdict and answer applied
and the track record added — exactly the steps of the version-1 pipeline. It needs the
version-1 code, so it is run from a checkout of commit f3c47fe::

    git worktree add /tmp/insightlib-v1 f3c47fe
    cd /tmp/insightlib-v1 && PYTHONPATH=$PWD:$PWD/tests python tests/data/make_v1_run.py OUT

and ``OUT/2026-W47/insights.json`` is copied to ``tests/data/run_v1/insights.json``.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from fixtures_story import ID_DE, ID_SIGNUP, document

from insightlib.memory import history
from insightlib.memory import verdicts as loop


def main(out: Path) -> Path:
    db = out / history.DB_NAME
    doc = document()
    earlier = copy.deepcopy(doc)
    earlier["period"].update(label="2026-W46", start="2026-11-09", end="2026-11-15")
    earlier["insights"] = [i for i in earlier["insights"] if i["id"] in (ID_SIGNUP, ID_DE)]
    earlier["insights"].append({**earlier["insights"][0], "id": "metric_change:orders:all"})
    folder = out / "2026-W46"
    folder.mkdir(parents=True)
    (folder / "insights.json").write_text(json.dumps(earlier), encoding="utf-8")
    history.record_run(db, earlier)
    loop.record_questions(db, earlier)
    when = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    loop.annotate(out, ID_SIGNUP, team="Engineering", verdict="confirmed", note="SMS provider bug",
                  now=when)  # fmt: skip
    loop.annotate(out, ID_DE, team="Marketing", verdict="refuted", now=when)
    # the steps of the version-1 pipeline after build_document
    doc = document(score_factors=loop.score_factors(db, "Basketly", "2026-W47", "2026-11-16"))
    doc["history"] = history.compare(db, doc)
    loop.apply_learning(doc, db, rescore=False)
    continuing = set(doc["history"].get("continuing", []))
    for ins in doc["insights"]:
        ins["status"] = "continuing" if ins["id"] in continuing else "new"
    folder = out / "2026-W47"
    folder.mkdir()
    (folder / "insights.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(main(Path(sys.argv[1])))
