# Youtility: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test setup lint lint-check format openapi bench fuzz

run:  ## install what is missing, migrate, load the demo and start every process
	bash scripts/bootstrap.sh
	bash scripts/run.sh

test:  ## install what is missing, lint, and run the whole suite against real services
	bash scripts/bootstrap.sh --test
	$(MAKE) --no-print-directory lint-check
	bash scripts/test.sh

fuzz:  ## schema fuzzing of every REST operation, FUZZ_EXAMPLES per operation (default 200; make test runs 8)
	bash scripts/bootstrap.sh --test
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} bash scripts/test.sh -m fuzz -q

setup:  ## only install and prepare services and databases
	bash scripts/bootstrap.sh

lint:  ## ruff (lint + format check), mypy and the import contracts (pyproject.toml)
	bash scripts/bootstrap.sh --python-only
	$(MAKE) --no-print-directory lint-check

lint-check:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy apps youtility $(wildcard bench/*.py)
	.venv/bin/lint-imports --no-cache

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

openapi:  ## regenerate the committed openapi.yaml
	$(PY) manage.py spectacular --file openapi.yaml --validate

bench:  ## make bench NAME=<benchmark>
	@test -n "$(NAME)" || (echo "usage: make bench NAME=<name>; available:"; ls bench/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '^_'; exit 2)
	EXTRA_DATABASES=youtility_bench bash scripts/bootstrap.sh
	bash scripts/bench.sh $(NAME)
