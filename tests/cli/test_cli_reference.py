import importlib.util

from helpers import ROOT


def load():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_cli_md_is_generated_from_the_help():
    """Fails when a command or option changes without `make docs`."""
    reference = load()
    assert reference.TARGET.read_text() == reference.reference()


def test_every_command_is_in_the_reference():
    reference = load()
    text = reference.reference()
    for path, command in reference.commands(reference.cli, ["tgpipe"]):
        assert f"## `{' '.join(path)}`" in text
        assert "Example:" in (command.help or ""), f"{' '.join(path)} has no example"
