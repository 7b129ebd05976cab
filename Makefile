# The two commands of the README:
#   make demo   - the benchmark on the virtual cluster (8 containers, SSH on 44222, Slurm, PDSH)
#   make test   - the whole test suite (unit, lint, sanity, molecule, end to end)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLLECTION_LINK := .cache/collections/ansible_collections/spectrumx/h200_benchmark
NODES ?= 2

.PHONY: setup demo test unit coverage lint sanity molecule e2e images cluster-up cluster-down clean scaling-plan

$(VENV)/.installed: requirements.txt requirements/*.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip wheel setuptools
	# torch first (the CPU build on local disk), so DeepSpeed's sdist builds against it
	$(VENV)/bin/pip install -q torch==2.13.0
	DS_BUILD_OPS=0 $(VENV)/bin/pip install -q --no-build-isolation -r requirements/dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

setup: $(VENV)/.installed $(COLLECTION_LINK)

images: setup
	bash tests/images/ensure_docker.sh
	bash tests/images/build_base.sh

# The virtual cluster (docs/virtual-cluster.md): 8 containers, SSH on 44222, Slurm, PDSH. Idempotent.
cluster-up: images
	$(VENV)/bin/ansible-playbook -i inventory/virtual.yml tests/virtual_cluster/up.yml

cluster-down: setup
	$(VENV)/bin/ansible-playbook -i inventory/virtual.yml tests/virtual_cluster/down.yml

# Prepared as the real cluster is (site.yml), then benchmarked with CPU-sized workload settings
# (tests/virtual_cluster/benchmark_vars.yml).
demo: cluster-up
	$(VENV)/bin/ansible-playbook -i inventory/virtual.yml playbooks/site.yml
	$(VENV)/bin/ansible-playbook -i inventory/virtual.yml playbooks/benchmark.yml -e nodes=$(NODES) \
	  -e @tests/virtual_cluster/benchmark_vars.yml

unit: setup
	SUITES=unit bash tests/run_all.sh

# Branch coverage of plugins/ by the plugin tests (docs/testing.md has the figure and the uncovered branches).
coverage: setup
	rm -rf .cache/coverage && mkdir -p .cache/coverage
	$(VENV)/bin/coverage run -m pytest -q -p no:cacheprovider tests/unit --ignore=tests/unit/workload
	$(VENV)/bin/coverage combine -q
	$(VENV)/bin/coverage report

lint: setup
	$(VENV)/bin/ruff check plugins files tests
	$(VENV)/bin/ansible-lint --profile production

sanity: setup
	bash tests/sanity.sh

molecule: images
	bash tests/molecule.sh

e2e: cluster-up
	$(VENV)/bin/pytest -q tests/e2e

test: setup
	bash tests/run_all.sh

# The planning table of the owners' configurations (docs/scaling-model.md), from the scaling model alone.
scaling-plan: setup
	PYTHONPATH=files:.cache/collections $(PY) benchmarks/scaling_plan.py --json benchmarks/results/scaling_plan.json \
	  > docs/scaling-plan.md

clean:
	rm -rf .cache results
