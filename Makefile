# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@$(BIN)/chorus info | sed -n 2p
	$(BIN)/chorus brief examples/corpus
	@echo
	@echo "Next: '$(BIN)/chorus brief examples/corpus --format html --out briefing.html'," \
	      "or '$(BIN)/chorus ingest examples/corpus' then '$(BIN)/chorus articles'."
	@echo "Browse it: $(BIN)/chorus ingest examples/corpus && $(BIN)/chorus serve   (then open http://127.0.0.1:8000/)"

test: $(STAMP)
	bash scripts/install-system-deps.sh
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
