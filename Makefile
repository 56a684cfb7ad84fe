# kdebug.kernel developer and CI entry points. `make help` lists the targets.
# Everything installs itself: Python tools into virtual environments from requirements-dev.txt
# (pinned), nothing by hand. Each target prints what it does.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Interpreters (pyenv on the dev machines and CI; override on the command line elsewhere).
PYENV_VERSIONS ?= $(HOME)/.pyenv/versions
PYTHON311 ?= $(firstword $(wildcard $(PYENV_VERSIONS)/3.11.7/bin/python) python3)
PYTHON312 ?= $(firstword $(wildcard $(PYENV_VERSIONS)/3.12.1/bin/python) python3.12)
# Target interpreters for the integration tests (modules must run on RHEL 7/8 era Pythons).
PY27 ?= $(PYENV_VERSIONS)/2.7.18/bin/python
PY36 ?= $(PYENV_VERSIONS)/3.6.15/bin/python

# Controller matrix: ansible-core 2.16 (last for 2.7/3.6 targets), 2.19, newest (Python 3.12).
ANSIBLE_CORE_2.16 := 2.16.19
ANSIBLE_CORE_2.19 := 2.19.14
ANSIBLE_CORE_2.21 := 2.21.5
PYTHON_2.16 := $(PYTHON311)
PYTHON_2.19 := $(PYTHON311)
PYTHON_2.21 := $(PYTHON312)
MATRIX := 2.16 2.19 2.21
# The `ansible` package (awx.awx, community.general, ... for ansible-lint) that goes with each
# leg's ansible-core (it pins ansible-core ~=X.Y.Z).
ANSIBLE_PACKAGE_2.16 := 9.13.0
ANSIBLE_PACKAGE_2.19 := 12.3.0
ANSIBLE_PACKAGE_2.21 := 14.5.0

# The default venv (.venv) is the 2.19 leg; the other legs get .venv-<core>.
VENV := $(ROOT)/.venv
VENV_2.19 := $(VENV)
VENV_2.16 := $(ROOT)/.venv-2.16
VENV_2.21 := $(ROOT)/.venv-2.21

REQS := $(ROOT)/requirements-dev.txt
# Venvs are (re)installed when this key changes: the requirements' content and the leg pins.
REQS_HASH := $(shell (cat $(REQS); echo $(foreach v,$(MATRIX),$(ANSIBLE_CORE_$(v)) $(ANSIBLE_PACKAGE_$(v)))) | sha256sum | cut -c1-16)
STAMP_NAME := .kdebug-requirements-$(REQS_HASH)

BUILD := $(ROOT)/build
# ansible-playbook/ansible-doc find kdebug.kernel through this symlink to the checkout
# (ansible.cfg points collections_path here; `make venv` creates it).
COLLECTIONS_DIR := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS_DIR)/ansible_collections/kdebug/kernel

KDEBUG_CACHE ?= $(HOME)/.cache/kdebug
LAB_INVENTORY ?= $(KDEBUG_CACHE)/lab/inventory.yml

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR):$(HOME)/.ansible/collections:/usr/share/ansible/collections
export KDEBUG_CACHE

# $(call step,NAME,COMMAND): print what runs, run it, print how long it took (also to
# build/timings.txt, summarised at the end of `make test`).
define step
@echo "==> [$(1)] $$(date +%T) start"; \
	start=$$(date +%s); \
	if $(2); then rc=0; else rc=$$?; fi; \
	secs=$$(( $$(date +%s) - start )); \
	mkdir -p $(BUILD); printf '%-28s %5ss  rc=%s\n' '$(1)' "$$secs" "$$rc" >> $(BUILD)/timings.txt; \
	echo "<== [$(1)] $${secs}s rc=$$rc"; \
	exit $$rc
endef

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_.%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | expand -t24

# ---------------------------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------------------------
.PHONY: venv link
venv: $(VENV)/$(STAMP_NAME) link ## Create/update .venv (Python 3.11, ansible-core 2.19, all dev tools)

$(VENV)/$(STAMP_NAME):
	@echo "==> venv: $(VENV) from $(notdir $(REQS)) with $(PYTHON311)"
	@start=$$(date +%s); \
	$(PYTHON311) -m venv $(VENV); \
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(REQS); \
	rm -f $(VENV)/.kdebug-requirements-*; touch $@; \
	echo "<== venv ready in $$(( $$(date +%s) - start ))s: $$($(VENV)/bin/ansible --version | awk 'NR==1')"

# Matrix legs: the lines of requirements-dev.txt tagged "matrix", ansible-core pinned per leg.
$(ROOT)/.venv-%/$(STAMP_NAME):
	@echo "==> venv: $(ROOT)/.venv-$* (ansible-core $(ANSIBLE_CORE_$*)) with $(PYTHON_$*)"
	@mkdir -p $(BUILD); req=$(BUILD)/requirements-core-$*.txt; \
	grep -E '#[[:space:]]*matrix' $(REQS) | sed -E 's/[[:space:]]*#.*$$//; s/^ansible-core==.*/ansible-core==$(ANSIBLE_CORE_$*)/; s/^ansible==.*/ansible==$(ANSIBLE_PACKAGE_$*)/' > $$req; \
	start=$$(date +%s); \
	$(PYTHON_$*) -m venv $(ROOT)/.venv-$*; \
	$(ROOT)/.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -r $$req; \
	rm -f $(ROOT)/.venv-$*/.kdebug-requirements-*; touch $@; \
	echo "<== .venv-$* ready in $$(( $$(date +%s) - start ))s: $$($(ROOT)/.venv-$*/bin/ansible --version | awk 'NR==1')"

.PHONY: venv-2.16 venv-2.19 venv-2.21
venv-2.16: $(VENV_2.16)/$(STAMP_NAME) link ## Create .venv-2.16 (ansible-core 2.16, Python 3.11)
venv-2.19: venv
venv-2.21: $(VENV_2.21)/$(STAMP_NAME) link ## Create .venv-2.21 (newest ansible-core, Python 3.12)

# awx.awx (playbooks/awx_configure.yml) for every leg: the `ansible` package has it up to 12.x
# (ansible-core 2.19) only, so the copy in .venv's pinned `ansible` goes on the collections path.
AWX_COLLECTION := $(COLLECTIONS_DIR)/ansible_collections/awx/awx
.PHONY: awx-collection
awx-collection: venv ## Copy awx.awx from .venv's ansible package to build/collections (all legs use it)
	@src=$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections/awx/awx; \
	if ! cmp -s $$src/MANIFEST.json $(AWX_COLLECTION)/MANIFEST.json; then \
		rm -rf $(AWX_COLLECTION); mkdir -p $(dir $(AWX_COLLECTION)); cp -a $$src $(AWX_COLLECTION); \
		echo "==> awx-collection: $(AWX_COLLECTION) from $$src"; fi

link: ## Symlink build/collections/ansible_collections/kdebug/kernel -> this checkout
	@mkdir -p $(dir $(COLLECTION_LINK))
	@if [ "$$(readlink $(COLLECTION_LINK) 2>/dev/null)" != "../../../.." ]; then \
		ln -sfn ../../../.. $(COLLECTION_LINK); \
		echo "==> link: $(COLLECTION_LINK) -> $(ROOT)"; fi

# ---------------------------------------------------------------------------------------------
# Lint
# ---------------------------------------------------------------------------------------------
PY_TARGET_CODE := plugins/modules plugins/module_utils

.PHONY: lint lint-static lint-yaml lint-ruff lint-vermin lint-docs lint-ansible
lint: lint-static lint-ansible ## All linters (yamllint, ruff, vermin, antsibull-docs, ansible-lint)

lint-static: lint-yaml lint-ruff lint-vermin lint-docs ## Linters that do not depend on ansible-core's version

lint-yaml: venv
	@echo "==> yamllint (.yamllint)"
	@$(VENV)/bin/yamllint --strict .

lint-ruff: venv
	@echo "==> ruff check ($(notdir $(ROOT))/ruff.toml)"
	@$(VENV)/bin/ruff check .

lint-vermin: venv
	@echo "==> vermin: $(PY_TARGET_CODE) must run on Python 2.7 and 3.6+"
	@files=$$(find $(PY_TARGET_CODE) -name '*.py' 2>/dev/null | sort); \
	if [ -z "$$files" ]; then echo "vermin: no Python files in $(PY_TARGET_CODE) yet"; exit 0; fi; \
	$(VENV)/bin/vermin -t=2.7- -t=3.6- --no-tips --violations --eval-annotations --no-parse-comments $$files

lint-docs: venv
	@echo "==> antsibull-docs lint-collection-docs (plugin docs, RST in docs/)"
	@$(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_LINK)

# ansible-lint with the venv of a leg: make lint-ansible-2.16
lint-ansible: lint-ansible-2.19 ## ansible-lint (production profile) with the default venv
.PHONY: lint-ansible-%
lint-ansible-%: venv-% link awx-collection
	@echo "==> ansible-lint (production profile) with ansible-core $(ANSIBLE_CORE_$*)"
	@PATH=$(VENV_$*)/bin:$$PATH $(VENV_$*)/bin/ansible-lint --profile production

# ---------------------------------------------------------------------------------------------
# ansible-test sanity (no docker: the leg's own Python)
# ---------------------------------------------------------------------------------------------
.PHONY: sanity
sanity: sanity-2.19 ## ansible-test sanity with the default venv (Python 3.11, ansible-core 2.19)

.PHONY: sanity-% sanity-compile-old
sanity-%: venv-%
	@$(ROOT)/.ci/sanity $(VENV_$*) $(SANITY_ARGS)

# ansible-core 2.16 still supports Python 2.7 and 3.6 targets: its compile test on both
# (the integration tests then really run the modules there).
sanity-compile-old: venv-2.16 ## ansible-test sanity --test compile on Python 2.7 and 3.6 (ansible-core 2.16)
	@for py in $(PY27) $(PY36); do \
		v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		PATH=$$(dirname $$py):$$PATH $(ROOT)/.ci/sanity $(VENV_2.16) --test compile --python $$v; \
	done

# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
.PHONY: unit unit-% integration bench
unit: unit-2.19 ## Unit tests (pytest tests/unit, includes ansible-doc rendering of every module)

# Tests marked one_leg (tests/conftest.py: independent of ansible-core) run in the 2.19 leg only.
unit-%: venv-% link awx-collection
	@echo "==> pytest tests/unit (ansible-core $(ANSIBLE_CORE_$*))$(if $(filter 2.19,$*),, without the one_leg tests: the 2.19 leg runs them)"
	@PATH=$(VENV_$*)/bin:$$PATH $(VENV_$*)/bin/python -m pytest tests/unit $(if $(filter 2.19,$*),,-m "not one_leg") $(PYTEST_ARGS)

integration: venv-2.16 ## Run every module under Python 2.7 and 3.6 targets with ansible-core 2.16
	@echo "==> integration: tests/integration/targets x {2.7: $(PY27), 3.6: $(PY36)} with ansible-core $(ANSIBLE_CORE_2.16)"
	@PATH=$(VENV_2.16)/bin:$$PATH KDEBUG_PY27=$(PY27) KDEBUG_PY36=$(PY36) \
		$(VENV_2.16)/bin/python -m pytest tests/integration $(PYTEST_ARGS)

bench: venv ## Benchmarks (prints figures): parsers (time vs grep -c, peak RSS), environment fingerprint
	@echo "==> python tests/bench/run.py"
	@$(VENV)/bin/python tests/bench/run.py
	@echo "==> python tests/bench/environment.py"
	@$(VENV)/bin/python tests/bench/environment.py

# One matrix leg: ansible-lint, ansible-test sanity and unit tests against one ansible-core.
.PHONY: matrix matrix-%
matrix: $(addprefix matrix-,$(MATRIX)) ## lint+sanity+unit against ansible-core 2.16, 2.19 and 2.21

matrix-%:
	$(call step,venv-$*,$(MAKE) venv-$*)
	$(call step,ansible-lint-$*,$(MAKE) lint-ansible-$*)
	$(call step,sanity-$*,$(MAKE) sanity-$*)
	$(if $(filter 2.16,$*),$(call step,sanity-compile-old,$(MAKE) sanity-compile-old))
	$(call step,unit-$*,$(MAKE) unit-$*)

# ---------------------------------------------------------------------------------------------
# Lab, Molecule, quickstart (playbooks and scenarios: see playbooks/, molecule/)
# ---------------------------------------------------------------------------------------------
.PHONY: lab lab-build lab-down lab-reboots molecule quickstart collect
# Extra arguments of the lab playbook, e.g. a second lab beside the first (own cache, ports, names):
#   KDEBUG_CACHE=/tmp/lab2 make quickstart LAB_ARGS='-e lab_ssh_port_base=2300 -e lab_vm_name_prefix=lab2'
LAB_ARGS ?=
lab: venv ## Bring the lab VM(s) up (builds what is not cached under $(KDEBUG_CACHE))
	@echo "==> ansible-playbook playbooks/lab.yml -e lab_state=present $(LAB_ARGS)"
	@ansible-playbook playbooks/lab.yml -e lab_state=present $(LAB_ARGS)

lab-build: venv ## Build (or find cached) the lab's base image, debug kernel and test modules; boots nothing
	@echo "==> ansible-playbook playbooks/lab.yml -e lab_state=present -e lab_vm_count=0"
	@ansible-playbook playbooks/lab.yml -e lab_state=present -e lab_vm_count=0

lab-down: venv ## Stop the lab VM(s) and remove their overlays
	@echo "==> ansible-playbook playbooks/lab.yml -e lab_state=absent $(LAB_ARGS)"
	@ansible-playbook playbooks/lab.yml -e lab_state=absent $(LAB_ARGS)

N ?= 10
# overload preset of `make quickstart` (quick: a few minutes; full: the method, an hour or more under TCG)
PRESET ?= quick
lab-reboots: ## Reboot the running lab VM N times (make lab-reboots N=50): time per reboot, hangs (tests/lab/reboots)
	@echo "==> tests/lab/reboots $(N) (results: build/lab-reboots.tsv)"
	@$(ROOT)/tests/lab/reboots $(N)

.PHONY: lab-environment-proof
lab-environment-proof: venv ## Environment proof on two lab VMs (lab_vm_count=2): six known differences, a reboot (tests/lab/environment_proof.yml)
	@echo "==> ansible-playbook -i $(LAB_INVENTORY) tests/lab/environment_proof.yml (results: $(KDEBUG_CACHE)/lab/environment-proof)"
	@ANSIBLE_TIMEOUT=60 ansible-playbook -i $(LAB_INVENTORY) tests/lab/environment_proof.yml

# molecule links $(LAB_INVENTORY) into its ephemeral dir before `create` (the lab role) writes
# it, so a placeholder must exist on a fresh machine.
molecule: venv ## molecule test --all (scenarios use the lab role)
	@if [ ! -e $(LAB_INVENTORY) ]; then \
		mkdir -p $(dir $(LAB_INVENTORY)); \
		printf -- '---\n# Placeholder from `make molecule`; the lab role writes the real inventory.\nall:\n  hosts: {}\n' > $(LAB_INVENTORY); \
		echo "==> molecule: placeholder $(LAB_INVENTORY)"; fi
	@# A run that was killed (timeout, reboot of the host) leaves molecule's state saying
	@# `created: true`, and the next run would skip create and converge against no VM.
	@echo "==> molecule reset --all (forget the state of an earlier, interrupted run)"
	@molecule reset --all
	@echo "==> molecule test --all (KDEBUG_CACHE=$(KDEBUG_CACHE))"
	@molecule test --all

quickstart: ## The main job on the lab VM: bring it up, boot the debug kernel, run playbooks/stress.yml (preset quick), collect
	$(call step,venv,$(MAKE) venv)
	$(call step,lab,ansible-playbook playbooks/lab.yml $(LAB_ARGS))
	$(call step,stress,ANSIBLE_TIMEOUT=60 ansible-playbook -i $(LAB_INVENTORY) playbooks/stress.yml -e stress_hosts=lab -e stress_boot_debug_kernel=true -e '{"debug_kernel_package_file": "{{ kdebug_lab_debug_kernel_deb }}"}' -e overload_preset=$(PRESET))
	$(call step,collect,ansible-playbook -i $(LAB_INVENTORY) playbooks/collect.yml -e kdebug_hosts=lab)

collect: venv ## Collect findings (kmemleak, kernel log, SysRq d/w) from the lab VM(s) into $(KDEBUG_CACHE)/findings
	@ansible-playbook -i $(LAB_INVENTORY) playbooks/collect.yml -e kdebug_hosts=lab

# ---------------------------------------------------------------------------------------------
# Everything CI runs
# ---------------------------------------------------------------------------------------------
.PHONY: test build changelog clean
test: ## Everything CI runs: lint, the 3-version matrix (lint+sanity+unit), integration, molecule
	@rm -f $(BUILD)/timings.txt
	$(call step,venv,$(MAKE) venv)
	@# The lab's kernel build runs beside the lint and test steps, which mostly use one core;
	@# molecule waits for it. It runs in its own process group (setsid), so that a failed
	@# step stops it (below) instead of leaving a kernel build running after `make test`.
	@# `set +e`: the recipe shell's -e would end the subshell on a failed build before it wrote
	@# the exit status, and the wait would never end.
	@mkdir -p $(BUILD); rm -f $(BUILD)/lab-build.rc; \
	echo "==> lab-build started in the background (log: $(BUILD)/lab-build.log)"; \
	setsid bash -c 'set +e; $(MAKE) lab-build > $(BUILD)/lab-build.log 2>&1; echo $$? > $(BUILD)/lab-build.rc' & \
	echo $$! > $(BUILD)/lab-build.pid
	@if $(MAKE) test-steps; then rc=0; else rc=$$?; fi; \
	pid=$$(cat $(BUILD)/lab-build.pid 2>/dev/null || true); \
	if [ -n "$$pid" ] && kill -0 -- "-$$pid" 2>/dev/null; then \
		echo "==> make test: a step failed; stopping the background lab-build (process group $$pid)"; \
		kill -TERM -- "-$$pid" 2>/dev/null || true; fi; \
	exit $$rc

.PHONY: test-steps
test-steps:
	$(call step,lint-static,$(MAKE) lint-static)
	$(call step,matrix-2.16,$(MAKE) matrix-2.16)
	$(call step,matrix-2.19,$(MAKE) matrix-2.19)
	$(call step,matrix-2.21,$(MAKE) matrix-2.21)
	$(call step,integration,$(MAKE) integration)
	$(call step,build,$(MAKE) build)
	$(call step,lab-build,$(ROOT)/.ci/wait-lab-build $(BUILD))
	$(call step,molecule,$(MAKE) molecule)
	@echo "==> make test: all steps passed"; cat $(BUILD)/timings.txt

build: venv ## ansible-galaxy collection build into build/dist
	@echo "==> ansible-galaxy collection build --output-path build/dist"
	@ansible-galaxy collection build --force --output-path $(BUILD)/dist .

changelog: venv ## Check the changelog fragments (antsibull-changelog lint)
	@echo "==> antsibull-changelog lint"
	@antsibull-changelog lint

clean: ## Remove build/ and caches (keeps the venvs and $(KDEBUG_CACHE))
	rm -rf $(BUILD) .pytest_cache .ruff_cache tests/output
