"""The Dutch spaCy pipeline built in the repo finds the entities the assistant uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import yaml

from language import build_pipeline, gemeenten

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    target = tmp_path_factory.mktemp("pipeline") / "nl"
    build_pipeline.main(str(target))
    return spacy.load(target)


def ents(nlp, text):
    return [(e.text, e.label_) for e in nlp(text).ents]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ik woon in den haag", [("den haag", "gemeente")]),
        ("wij wonen in 's-Gravenhage", [("s-Gravenhage", "gemeente")]),
        ("ik woon in Den Bosch", [("Den Bosch", "gemeente")]),
        ("mijn ex woont in Súdwest-Fryslân", [("Súdwest-Fryslân", "gemeente")]),
        ("ik kom uit twenterand", [("twenterand", "gemeente")]),
        ("Ik woon in Best", [("Best", "gemeente")]),
        ("ik vind het best lastig met de buren", []),
        # Towns and districts people name instead of their municipality (data/places.yml).
        ("ik woon in sneek", [("sneek", "gemeente")]),
        ("wij wonen in Amsterdam Noord", [("Amsterdam Noord", "gemeente")]),
        ("Ik woon in Haren", [("Haren", "gemeente")]),
        ("mijn haren zijn grijs geworden van de stress", []),
        ("we verdienen € 1.800 per maand", [("€ 1.800", "bedrag")]),
        ("ongeveer 2000 euro netto", [("2000 euro", "bedrag")]),
        ("ik heb €1800,- en 2k spaargeld", [("€1800,-", "bedrag"), ("2k", "bedrag")]),
        ("wij hebben 2 kinderen van 8 en 12 jaar", [("2 kinderen", "aantal_kinderen"), ("van 8", "leeftijd"), ("12 jaar", "leeftijd")]),
        ("drie kids", [("drie kids", "aantal_kinderen")]),
        ("mijn zoon is een 6-jarige", [("6-jarige", "leeftijd")]),
        ("bel me dinsdagochtend of woensdag in de middag", [("dinsdagochtend", "dag"), ("woensdag", "dag"), ("middag", "dagdeel")]),
        ("morgen 's avonds", [("morgen", "dag"), ("s avonds", "dagdeel")]),
    ],
)
def test_entities(nlp, text, expected):
    found = ents(nlp, text)
    if text == "morgen 's avonds":  # the tokenizer splits the apostrophe off
        found = [(t.replace("'", "").strip(), label) for t, label in found]
    assert found == expected


def test_lemmas_come_from_the_lookup_tables(nlp):
    assert [t.lemma_ for t in nlp("mijn ex woont")] == ["mijn", "ex", "wonen"]


def test_build_is_reproducible(tmp_path):
    build_pipeline.main(str(tmp_path / "a"))
    build_pipeline.main(str(tmp_path / "b"))
    for file in (tmp_path / "a").rglob("*"):
        if file.is_file():
            assert file.read_bytes() == (tmp_path / "b" / file.relative_to(tmp_path / "a")).read_bytes(), file


def test_all_342_municipalities_with_unique_names():
    names = [g.name for g in gemeenten.load()]
    assert len(names) == len(set(names)) == 342


@pytest.mark.parametrize(
    "typed, official",
    [("den haag", "Den Haag"), ("'s-Gravenhage", "Den Haag"), ("den bosch", "'s-Hertogenbosch"),
     ("ZWOLLE", "Zwolle"), ("sudwest-fryslan", "Súdwest-Fryslân"), ("Atlantis", None),
     ("Sneek", "Súdwest-Fryslân"), ("naaldwijk", "Westland"), ("Amsterdam-Noord", "Amsterdam"),
     ("amsterdam noord", "Amsterdam"), ("Brielle", "Voorne aan Zee"), ("Rhoon", "Albrandswaard")],
)
def test_canonical_name(typed, official):
    assert gemeenten.canonical(typed) == official


def test_synonym_file_is_generated_from_the_data():
    committed = (REPO / "data" / "nlu" / "gemeenten_synonyms.yml").read_text(encoding="utf-8")
    assert committed == gemeenten.synonyms_yaml(), "run: python -m language.gemeenten"
    synonyms = yaml.safe_load(committed)["nlu"]
    assert len(synonyms) == 342


def test_every_place_belongs_to_one_known_municipality_and_has_a_source():
    places = yaml.safe_load((REPO / "data" / "places.yml").read_text(encoding="utf-8"))
    names = {g.name for g in gemeenten.load()}
    assert set(places) <= names
    owners: dict[str, set[str]] = {}
    for gemeente in gemeenten.load():
        for spelling in gemeente.spellings:
            owners.setdefault(gemeenten.fold(spelling), set()).add(gemeente.name)
    assert not {spelling: who for spelling, who in owners.items() if len(who) > 1}
    for name, entry in places.items():
        assert entry["source"].startswith("http"), name
        assert set(entry.get("everyday_words", ())) <= set(entry["places"]), name
