# Two commands set everything up on a fresh machine: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: run serve test install bench capacity lint fmt e2e clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"

$(STAMP): $(PY) pyproject.toml constraints.txt
	rm -f $(VENV)/.installed-*
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(STAMP)

STREAMLIT := $(VENV)/bin/streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The demo: migrate, seed the demo accounts and data into an empty database, serve.
run: install
	$(VENV)/bin/aigov db upgrade
	$(VENV)/bin/aigov demo --if-empty
	@echo ""
	@echo "  AI 风险治理成熟度自评估平台 → http://$(HOST):$(PORT)"
	@echo ""
	$(STREAMLIT)

# A real installation: migrate and serve, never seed; the first visit creates the first administrator.
serve: install
	$(VENV)/bin/aigov db upgrade
	@echo ""
	@echo "  AI 风险治理成熟度自评估平台 → http://$(HOST):$(PORT)"
	@echo ""
	$(STREAMLIT)

test: lint
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

e2e: install
	$(VENV)/bin/pytest -q -m e2e

bench: install
	$(PY) -m perf

# Respondents answering at once against real servers, before and after (perf/capacity.py; minutes).
capacity: install
	$(PY) -m perf.capacity $(CAPACITY_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/vulture

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
