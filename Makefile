# The two commands of the README's quick start.
.PHONY: demo test setup

setup:
	bash .ci/setup.sh

demo: setup
	.venv/bin/litellm-tray demo

# pytest exits 5 when it collected no tests: that is a failure here, never hidden.
test: setup
	.venv/bin/python -m pytest -q -ra
