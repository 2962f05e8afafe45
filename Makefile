# The few targets people type. `make demo` runs the command centre; `make test` runs every check.
PY ?= 3.11
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: setup demo test lint typecheck bench audit requirements

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --python $(PY)

# DEMO_ARGS passes options through, e.g. make demo DEMO_ARGS="--minutes 1 --speed 600"
demo: setup
	$(UV) run --frozen xunfang demo $(DEMO_ARGS)

lint: setup
	$(UV) run --frozen ruff check src tests tools
	$(UV) run --frozen ruff format --check src tests tools

typecheck: setup
	$(UV) run --frozen mypy

test: lint typecheck
	$(UV) run --frozen pytest

bench: setup
	$(UV) run --frozen xunfang bench network --json

# Supply chain (docs/security.md): lock hashes, bandit (0 high), pip-audit (0 known vulnerabilities;
# needs the PyPI advisory service: exit 3 and "UNREACHABLE" when it cannot be reached).
audit: setup
	$(UV) run --frozen python tools/supply_chain.py

# requirements.txt with sha256 hashes for `pip install --require-hashes -r build/requirements.txt`
requirements: setup
	@mkdir -p build
	$(UV) export --frozen --format requirements-txt --no-emit-project --no-dev -o build/requirements.txt
