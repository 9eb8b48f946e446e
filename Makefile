# gopherops.baremetal: the two commands that matter are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLL_LINK := .build/collections/ansible_collections/gopherops/baremetal
# ansible-lint and molecule copy the collection into $ANSIBLE_HOME/collections unless a link to this
# checkout is already there; a home of our own keeps that out of ~/.ansible and never stale.
TOOL_HOME := $(CURDIR)/.build/ansible-home
TOOL_LINK := $(TOOL_HOME)/collections/ansible_collections/gopherops/baremetal
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PYTHONDONTWRITEBYTECODE := 1
export GOTOOLCHAIN := local

.PHONY: help demo test venv collection host-deps lab-image lab-up lab-down lab-purge lab-status deploy \
        unit sanity lint molecule integration integration-paramiko build-collection ee-context clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.stamp ## create the virtualenv with pinned tools (Ansible, molecule, Go, ...)

$(COLL_LINK) $(TOOL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

collection: $(COLL_LINK) $(TOOL_LINK) ## make this checkout importable as gopherops.baremetal

host-deps: ## make sure a Docker engine answers (installs docker.io and starts dockerd as root)
	@scripts/host-deps.sh

lab-image: venv host-deps ## build the lab base image (debootstrap, once)
	$(BIN)/python scripts/lab.py image

lab-up: venv host-deps ## start the lab (LAB_HOSTS=4 app hosts + HAProxy) and write inventories/lab/hosts.yml
	$(BIN)/python scripts/lab.py up

lab-down: ## remove the lab hosts (a no-op when there is no lab)
	@$(PYTHON) scripts/lab.py down

lab-purge: ## lab-down, and remove the cached base image too
	@$(PYTHON) scripts/lab.py purge

lab-status: ## show the lab hosts and the version each one serves
	@$(PYTHON) scripts/lab.py status

deploy: venv collection ## run playbooks/deploy.yml against inventories/lab
	$(BIN)/ansible-playbook playbooks/deploy.yml -i inventories/lab $(ANSIBLE_ARGS)

demo: lab-up collection ## the whole demo: lab, build, deploy, and where to reach the service
	$(BIN)/ansible-playbook playbooks/deploy.yml -i inventories/lab $(ANSIBLE_ARGS)
	@$(BIN)/python scripts/lab.py status

unit: venv collection ## unit tests: pytest for the plugins, go test for the example service
	cd examples/hello && go vet ./... && go test ./...
	PYTHONPATH=$(CURDIR)/.build/collections $(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

sanity: venv ## ansible-test sanity on a copy placed at ansible_collections/gopherops/baremetal
	scripts/sanity.sh

lint: venv collection ## ansible-lint (production profile) and yamllint
	$(BIN)/yamllint -s .
	$(BIN)/antsibull-changelog lint
	ANSIBLE_HOME=$(TOOL_HOME) $(BIN)/ansible-lint --offline --profile production

molecule: venv collection host-deps lab-image ## molecule scenarios on lab containers, verified with testinfra
	ANSIBLE_HOME=$(TOOL_HOME) scripts/molecule.sh

integration: venv collection lab-up ## end-to-end suites against the lab
	PYTHONPATH=$(CURDIR)/.build/collections $(BIN)/python -m pytest -q -rs -p no:cacheprovider tests/integration

ROLLOUT_SUITES := tests/integration/test_rollout_lb.py tests/integration/test_rollout_faults.py \
                  tests/integration/test_rollout_lock_audit.py
integration-paramiko: venv collection lab-up ## the rollout suites once more, over the paramiko connection
	LAB_CONNECTION=paramiko PYTHONPATH=$(CURDIR)/.build/collections $(BIN)/python -m pytest -q -p no:cacheprovider \
	  $(ROLLOUT_SUITES)

test: ## every test layer, with a summary
	@scripts/test.sh

build-collection: venv ## build the Galaxy tarball into .build/dist
	mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

ee-context: build-collection ## the execution environment's build context in .build/ee (then: podman build .build/ee)
	cp "$$(ls -t .build/dist/gopherops-baremetal-[0-9]*.tar.gz | head -1)" .build/dist/gopherops-baremetal.tar.gz
	$(BIN)/ansible-builder create -f ee/execution-environment.yml --context .build/ee

clean: lab-down ## remove the lab, the virtualenv and build outputs
	rm -rf .build .venv
