# The two commands a newcomer needs: `make run` and `make test`.
PORT ?= 8000
PY := .venv/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test setup lint typecheck format worker demo clean

## run: install everything, migrate, load demo content and serve on http://127.0.0.1:$(PORT)
run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) load_demo
	@echo "Serving the portal on http://127.0.0.1:$(PORT) (admin: /admin/)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

## test: install everything and run the whole test suite (browser tests included)
test: setup
	./scripts/ensure-chromium.sh
	$(PY) -m pytest $(PYTEST_ARGS)

## setup: install uv, Python and npm packages, build the front end
setup:
	./scripts/bootstrap.sh

## lint: the checks CI runs before the tests
lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) makemigrations --check --dry-run
	$(MAKE) --no-print-directory typecheck

## typecheck: mypy (with django-stubs) on the services, selectors and portal/lib ([tool.mypy] in pyproject.toml)
typecheck:
	.venv/bin/mypy

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

## worker: run background tasks (production queue) in this terminal
worker:
	TASKS_BACKEND=django_tasks_db.DatabaseBackend $(MANAGE) db_worker

clean:
	rm -rf .venv node_modules static/build staticfiles
