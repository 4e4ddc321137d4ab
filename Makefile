# The two set-up commands: `make run` (venv, install, index, chat) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint index eval bench serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/kundenfokus index --if-missing
	@$(BIN)/kundenfokus chat

test: $(STAMP)
	@$(BIN)/pytest

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

index: $(STAMP)
	@$(BIN)/kundenfokus index

eval: $(STAMP)
	@$(BIN)/kundenfokus eval ../shared/eval/dev-assessments.jsonl
	@$(BIN)/kundenfokus eval ../shared/eval/dev-questions.jsonl

bench: $(STAMP)
	@$(BIN)/kundenfokus bench

serve: $(STAMP)
	@$(BIN)/kundenfokus serve

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
