from helpers import load_script


def load():
    return load_script("cli_reference")


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
