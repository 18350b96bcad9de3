"""What the tests share: helpers, constants and builders that test modules import.

Test modules import from here (and get fixtures from the conftest files), never from each
other. Nothing here is collected as a test.
"""
