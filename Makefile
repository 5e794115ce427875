# Atlas ZMP. The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# The geodata mirror: the environment wins; else ../shared/geodata when it exists; else geodata downloads
# the pinned public originals and checks their sha256.
ATLAS_GEODATA_MIRROR ?= $(wildcard $(abspath ../shared/geodata))
export ATLAS_GEODATA_MIRROR
# Python keeps compiled modules (and pytest its assert-rewritten test modules) in __pycache__/ only when
# PYTHONDONTWRITEBYTECODE is unset. Where the environment sets it, each of the test run's processes compiled every
# test module again: 6.1 s of CPU to collect the suite, 2.6 s with the cache (measured on this machine).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast system serve bench geodata check-data clean venv venv-dev plotly-bundle

$(VENV)/.runtime: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

geodata: venv
	$(PY) -m geodata prepare

## system packages (Chromium, chromedriver, poppler, redis, fonts): installed when missing
system:
	@bash scripts/system-packages.sh

# The dashboard's partial plotly.js (js/: pinned npm lockfile + esbuild) into the git-ignored .cache/js/,
# sha256 checked against js/plotly-atlas.sha256. Without Node.js the step says so and the app serves the full one.
PLOTLY_BUNDLE := $(or $(ATLAS_CACHE_DIR),.cache)/js/plotly-atlas.min.js
$(PLOTLY_BUNDLE): js/package.json js/package-lock.json js/entry.js js/build.mjs js/plotly-atlas.sha256 | $(VENV)/.runtime
	$(PY) -m dashboard.serving.plotly_bundle build --force || test $$? -eq 3

plotly-bundle: $(PLOTLY_BUNDLE)

## make run: set up and start the dashboard on http://127.0.0.1:8050
run: system geodata plotly-bundle
	$(PY) app.py

## make test: set up and run the whole test suite (browser tests in headless Chromium included). The test
## files are spread over TEST_WORKERS processes (pytest-xdist); a file's tests share one process, so its
## module-scoped server and browser are started once; the files of one of tests/conftest.py's SHARED_PROCESS
## groups share one process too, and with it a server or a kaleido Chromium. On 2 cores 3 processes were the
## fastest (194 s of pytest with 3, 212 s with 2, 202 s with 4; later 302 s with 3, 317 s with 4, then 257 s with
## 3, 252 s with 4): a browser test waits on Chromium and its server much of its time; a third process fills that.
TEST_WORKERS ?= 3
test: system venv-dev geodata plotly-bundle
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

## make test-fast: the inner loop — no browser, no servers
test-fast: venv-dev geodata
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser and not server"

## make serve: production server (gunicorn), see README
serve: geodata plotly-bundle
	$(VENV)/bin/gunicorn -c gunicorn.conf.py app:server

## make bench: every benchmark, one table, bench/results.json
bench: venv-dev geodata plotly-bundle
	$(PY) -m bench

check-data: geodata
	$(PY) -m dashboard check-data

clean:
	rm -rf .cache
