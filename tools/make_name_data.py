"""Write the word lists that :mod:`insightlib.text.redact` reads offline.

``insightlib/text/data/first_names.txt``: common given names of the UK,
Ireland, India, Pakistan, Spain and Latin America, Portugal and Brazil, France, Germany,
Italy, the Netherlands, Poland, the Nordic countries and New Zealand, from the person providers of Faker (MIT
licence, Copyright (c) 2012 Daniele Faraglia), Latin script only, lower case, with an
accent-free twin ("joaquín", "joaquin"). Left out: names of three letters or fewer ("Dev",
"Mar", "Pol"), names that are also English words in lower case in the system word lists
(``/usr/share/dict/american-english`` and ``british-english``, Debian's ``wamerican`` and
``wbritish``: "Edit", "Constant", "Corona", "Cooper", "Saga") and a few words of other
languages that reviews use (:data:`NOT_NAMES`: Spanish "pero", German "leider"). The US
census lists come from the ``names`` package at run time.

Run ``python tools/make_name_data.py FAKER_DIR`` with FAKER_DIR a folder holding the
``faker`` package (``pip download --no-deps faker`` and unzip the wheel).
"""

from __future__ import annotations

import importlib
import sys
import unicodedata
from pathlib import Path

LOCALES = (
    "en_GB en_IE ga_IE en_IN en_PK en_NZ es_ES es_MX es_CO es_AR es_CL pt_PT pt_BR fr_FR fr_BE "
    "de_DE de_AT de_CH it_IT nl_NL nl_BE pl_PL sv_SE da_DK no_NO fi_FI"
).split()
OUT = Path(__file__).resolve().parents[1] / "insightlib" / "text" / "data"
DICTS = ("/usr/share/dict/american-english", "/usr/share/dict/british-english")
NOT_NAMES = frozenset(
    "pero leider theres mare bella linda bonita amor nada todo paulo washington america "
    "américa lotta kaiser".split()
)


def english_words() -> set[str]:
    """Lower-case entries of the system word lists (ordinary words, not proper names)."""
    out: set[str] = set()
    for path in DICTS:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            w = line.strip()
            if w and w[0].islower():
                out.add(w.split("'")[0] if w.endswith("'s") else w)
    if not out:
        raise SystemExit("no word list: apt-get install wamerican wbritish")
    return out


def _latin(name: str) -> bool:
    return all(ch.isalpha() and ch < "\u0250" or ch in "-'" for ch in name) and name[:1].isalpha()


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def first_names(faker_dir: str) -> tuple[list[str], str]:
    sys.path.insert(0, faker_dir)
    version = importlib.import_module("faker").VERSION
    out: set[str] = set()
    common = english_words() | NOT_NAMES
    for loc in LOCALES:
        prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            found = getattr(prov, attr, ())
            if not isinstance(found, (tuple, list, dict)):  # a property of an instance
                continue
            for name in found:
                name = unicodedata.normalize("NFC", str(name)).strip().lower()
                if len(name) >= 4 and _latin(name):
                    out |= {n for n in (name, _fold(name)) if n not in common}
    return sorted(out), version


def main() -> int:
    names, version = first_names(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    head = (
        f"# Given names (lower case) from the person providers of Faker {version} for "
        f"{', '.join(LOCALES)}.\n# Faker: MIT licence, Copyright (c) 2012 Daniele Faraglia. "
        "Made by tools/make_name_data.py.\n"
    )
    (OUT / "first_names.txt").write_text(head + "\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} first names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
