"""The named personas of tests/conftest.py, as lists for table-driven permission tests."""

# Every persona fixture: one per role, two caseworkers at different desks.
PERSONAS = [
    "caseworker_irsina",
    "caseworker_picerno",
    "supervisor_irsina",
    "operator_school_potenza",
    "staff_school_matera",
    "manager_association",
    "editor",
    "official",
    "administrator",
]

# Who may read a person followed by the PUA desk of Irsina: its own desk and the administrators.
SEES_PERSON_AT_IRSINA = {"caseworker_irsina", "supervisor_irsina", "administrator"}
PERSON_AT_IRSINA_MATRIX = [(persona, persona in SEES_PERSON_AT_IRSINA) for persona in PERSONAS]
