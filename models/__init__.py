"""The small test model (test/) and the script that trains it (train_test_model.py).

Installed as the package ``clipdesk.models`` (pyproject.toml maps this folder there), so
``importlib.resources.files("clipdesk.models") / "test"`` finds the model in an editable
install, a wheel and the PyInstaller bundle alike. This file makes it a regular package: an
editable install maps only those.
"""
