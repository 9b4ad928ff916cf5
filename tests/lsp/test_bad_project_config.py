"""A `[tool.gradguard]` value of the wrong type (issue 19, item 6): the server says so once, in the
CLI's words, and goes on analysing with the default settings."""

from lsp_helpers import NOT_CALLED, codes, file_uri, open_doc, published, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient


async def test_a_wrong_type_is_logged_once_and_defaults_apply(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradguard]\nper-file-ignores = { "x.py" = 5 }\n')
    uris = [file_uri(tmp_path, "first.py"), file_uri(tmp_path, "second.py")]
    for uri in uris:
        open_doc(client, uri, NOT_CALLED)
        await wait_until(lambda uri=uri: published(client, uri))
        assert codes(published(client, uri)) == ["GG101"]

    expected = (
        f'[gradguard] {tmp_path / "pyproject.toml"}: tool.gradguard.per-file-ignores."x.py": expected a list '
        "of rule codes, got 5; checking with the default settings until it is fixed"
    )
    assert [m.message for m in client.log_messages if "per-file-ignores" in m.message] == [expected]
    assert not any(m.type == types.MessageType.Error for m in client.log_messages)
