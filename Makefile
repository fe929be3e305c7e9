# Accord: `make run` (the main job) and `make test` (the suite). Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run evaluate test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: 2.13.0 is a CPU wheel on disk; letting another package pull torch fetches a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/accord data build -c training/configs/data.yaml
	$(VENV)/bin/accord train classifier -c training/configs/classifier/tfidf.yaml
	$(VENV)/bin/accord train classifier -c training/configs/classifier/minilm_news.yaml
	$(VENV)/bin/accord train summariser -c training/configs/summariser/quick.yaml
	$(VENV)/bin/accord classify seeds/*.txt --out models/seeds.classified.jsonl --briefs models/seeds.briefs.jsonl \
		--report models/seeds.report.html --print-briefs --quiet
	@echo "Sentences: models/seeds.classified.jsonl; briefs: models/seeds.briefs.jsonl; page: models/seeds.report.html"
	@echo "Review the runs: $(VENV)/bin/accord ui   (prints the runs and registry links; Ctrl-C stops it)"
	@echo "Summariser evaluation runs (real test, curated test, XSum; ~25 min): make evaluate"

# The champions against the baselines on the test sets, one MLflow evaluation run each, and the reports.
evaluate: $(STAMP)
	$(VENV)/bin/accord evaluate classifier --split real_test
	$(VENV)/bin/accord evaluate summariser

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) data/processed models/checkpoints
