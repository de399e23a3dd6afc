# The two Quick start commands: `make demo` and `make test`. Both create .venv if needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench wheel-check catalog clean fuzz coverage

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/starrules check schemes/anyang.star
	$(BIN)/starrules run schemes/anyang.star schemes/examples/anyang.csv

test: $(STAMP)
	$(BIN)/ruff check starrules tests
	$(BIN)/mypy
	$(BIN)/python -m pytest starrules tests

# Speed, measured (never asserted): writes docs/performance.md.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py --entities 20000 --population 1000000 --write

# The message catalog (starrules/i18n.py): extract every _() / N_() message, add the new
# ones to the Chinese .po (translate them there), drop the gone ones, compile the .mo.
# tests/test_i18n.py fails when this would change anything or a message lacks a translation.
catalog: $(STAMP)
	$(BIN)/python tools/catalog.py

# Builds the wheel and installs it in a scratch venv: the grammar must ship inside it.
wheel-check: $(STAMP)
	rm -rf build/wheel-check && mkdir -p build/wheel-check
	$(BIN)/python -m build --wheel --outdir build/wheel-check . >/dev/null
	$(PY) -m venv build/wheel-check/venv
	build/wheel-check/venv/bin/pip install --quiet build/wheel-check/*.whl
	cd build/wheel-check && venv/bin/starrules check ../../schemes/anyang.star

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache

# The fuzzer (tests/fuzz/): mutated schemes (2/3 of the time) and odd values (1/3), for
# FUZZ_MINUTES (30) in all; a load over 1 s fails here (only reported in `make test`).
FUZZ_MINUTES ?= 30
fuzz: $(STAMP)
	STARRULES_FUZZ_LONG=1 STARRULES_FUZZ_MINUTES=$(FUZZ_MINUTES) STARRULES_FUZZ_EXAMPLES=300 \
		$(BIN)/python -m pytest tests/fuzz -x -q -s -p no:cacheprovider

# Branch coverage (coverage.py, [tool.coverage] in pyproject.toml) of the whole suite:
# prints the figure for the language, checker and engines; html in build/coverage. The SQL
# backend's own tests (DuckDB, Spark: the slowest) are left out: they cover starrules/sql/.
coverage: $(STAMP)
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest starrules tests --ignore=tests/test_sql_entity.py --ignore=tests/test_sql_engine.py \
		--ignore=tests/test_sql_population.py --ignore=tests/test_sql_spark.py \
		--ignore=tests/test_sql_spark_population.py
	$(BIN)/coverage report --show-missing --skip-covered
	$(BIN)/coverage html -d build/coverage
