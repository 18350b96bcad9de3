"""ClipDesk's data: vocabularies/ (the tags a new library starts with) and icons/ (hicolor).

Installed as the package ``clipdesk.resources`` (pyproject.toml maps this folder there), so
``importlib.resources.files("clipdesk.resources")`` finds it in an editable install, a wheel
and the PyInstaller bundle alike. This file makes it a regular package: an editable install
maps only those.
"""
