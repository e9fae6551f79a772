"""The automatic mapping guess from header names (no database)."""

from __future__ import annotations

from schools.importing.mapping import guess_mapping, mapping_problems, usable_saved_mapping


def test_guess_for_a_spaggiari_like_attendance_export():
    headers = ["Alunno", "Codice alunno", "Classe", "Data", "Assenza", "Ore assenza", "Giustificata"]
    assert guess_mapping("attendance", headers) == {
        "register_id": "Codice alunno",
        "student_name": "Alunno",
        "date": "Data",
        "status": "Assenza",
        "absent_hours": "Ore assenza",
        "justified": "Giustificata",
    }


def test_guess_for_results_and_behaviour_in_english_and_italian():
    assert guess_mapping("results", ["Student ID", "Student", "Date", "Subject", "Grade", "Term"]) == {
        "register_id": "Student ID",
        "student_name": "Student",
        "date": "Date",
        "subject": "Subject",
        "grade": "Grade",
        "term": "Term",
    }
    assert guess_mapping("behaviour", ["Cod. Alunno", "Data", "Nota disciplinare", "Gravità"]) == {
        "register_id": "Cod. Alunno",
        "date": "Data",
        "text": "Nota disciplinare",
        "severity": "Gravità",
    }


def test_a_header_is_used_once():
    mapping = guess_mapping("results", ["Codice", "Data voto", "Data", "Materia", "Voto"])
    assert mapping["date"] in {"Data", "Data voto"}
    assert len(set(mapping.values())) == len(mapping)


def test_saved_mapping_wins_where_its_columns_are_in_the_file():
    saved = {"register_id": "Matricola", "date": "Giorno", "status": "Evento X"}
    mapping = usable_saved_mapping("attendance", saved, ["Matricola", "Giorno", "Assenza"])
    assert mapping == {"register_id": "Matricola", "date": "Giorno", "status": "Assenza"}


def test_problems_of_a_mapping(settings):
    settings.LANGUAGE_CODE = "en"
    assert mapping_problems("attendance", {"register_id": "A", "date": "B", "status": "C"}) == []
    problems = mapping_problems("attendance", {"register_id": "A", "date": "A"})
    assert any("hours of absence" in problem for problem in problems)
    assert any("one field only" in problem for problem in problems)
    assert mapping_problems("results", {"register_id": "A", "date": "B", "subject": "C"})
