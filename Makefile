# Two commands matter: `make run` (the portal with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install run test worker lint format messages rtl e2e

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# The local demo turns the second factor off (AIPIM_MFA_REQUIRED=false); production refuses that.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	AIPIM_MFA_REQUIRED=$${AIPIM_MFA_REQUIRED:-false} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest

e2e: install
	$(BIN)/pytest tests/e2e

worker: install
	$(BIN)/celery -A aipim worker --beat --loglevel=info

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy aipim schools pua portal_sync associations

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Update the catalogues from the code and templates, then compile them (both are committed).
messages: install
	$(BIN)/python manage.py makemessages --all --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

# Regenerate our copies of Bootstrap Italia's CSS: without the Video.js icon font (a data: URL
# that the CSP refuses) and a right-to-left build made with rtlcss (Bootstrap Italia ships none).
BI_CSS = $$($(BIN)/python -c "import bootstrap_italia_template, pathlib; print(pathlib.Path(bootstrap_italia_template.__file__).parent / 'static/css/bootstrap-italia.min.css')")
rtl: install
	cp $(BI_CSS) static/css/bootstrap-italia.min.css
	$(BIN)/python -c "import re, pathlib; p = pathlib.Path('static/css/bootstrap-italia.min.css'); p.write_text(re.sub(r'@font-face\{font-family:VideoJS;[^}]*\}', '', p.read_text('utf-8')), 'utf-8')"
	npx --yes rtlcss@4 static/css/bootstrap-italia.min.css static/css/bootstrap-italia.rtl.min.css
