"""pytest plugin (loaded with -p beside pytest-odoo) that makes a pytest run of an addon's Odoo
tests select and run them as Odoo's own runner does (odoo --test-enable --test-tags=...).

It lives in scripts/, not in tests/conftest.py: pytest imports a conftest.py before pytest-odoo
has set up Odoo, when odoo.addons.workflow_engine cannot be imported yet.
"""

import pytest
import pytest_odoo

import odoo


def pytest_addoption(parser):
    parser.addoption(
        "--odoo-test-tags",
        help="Odoo's --test-tags specification ([-][tag][/module][:class][.method],...): "
        "only the tests it selects are run, the others are deselected",
    )


def pytest_configure(config):
    # pytest-odoo serves HTTP on a random port: the tests' server takes the one given with
    # --odoo-extra http-port=..., so that parallel runs each keep to the port they were given.
    pytest_odoo._get_available_random_port = lambda: odoo.tools.config["http_port"]


def _odoo_runs(item):
    """Whether Odoo's test loader takes this test: it takes a module's own test classes, not those
    it imports, and their own test methods, not inherited ones unless the class allows them."""
    test_class = getattr(item, "cls", None)
    if test_class is None or test_class.__module__ != item.module.__name__:
        return False
    return item.name in vars(test_class) or getattr(test_class, "allow_inherited_tests_method", False)


def pytest_collection_modifyitems(config, items):
    from odoo.tests.tag_selector import TagsSelector  # noqa: PLC0415 (Odoo is set up by then)

    spec = config.getoption("--odoo-test-tags")
    selector = TagsSelector(spec) if spec else None
    selected, deselected = [], []
    for item in items:
        chosen = _odoo_runs(item) and (selector is None or selector.check(item.cls(item.name)))
        (selected if chosen else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session", autouse=True)
def odoo_test_mode():
    # Odoo's runner flags its test runs so that, e.g., ir.mail_server sends no mail: as it does.
    odoo.modules.module.current_test = True
    yield
    odoo.modules.module.current_test = False
