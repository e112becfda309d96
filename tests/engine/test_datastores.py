"""Datastore path resolution: every escape is refused, every honest path resolves."""

import os
from pathlib import Path

import pytest

from app.engine.context import StepContext
from app.engine.datastores import DatastoreError, Datastores, check_relative, resolve_in_root


@pytest.fixture
def root(tmp_path) -> Path:
    """A datastore root with a nested file, beside a secret file outside it."""
    store = tmp_path / "store"
    (store / "income" / "2024").mkdir(parents=True)
    (store / "income" / "2024" / "us.csv").write_text("a\n1\n")
    (store / "top.csv").write_text("a\n1\n")
    (tmp_path / "secret.txt").write_text("do not read")
    return store


@pytest.fixture
def stores(root, tmp_path) -> Datastores:
    """Two registered datastores."""
    other = tmp_path / "other"
    other.mkdir()
    return Datastores({"samples": root, "archive": other})


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("..", "contains '..'"),
        ("../secret.txt", "contains '..'"),
        ("income/../../secret.txt", "contains '..'"),
        ("income/..", "contains '..'"),
        ("/etc/passwd", "is absolute"),
        ("//server/share/x.csv", "is absolute"),
        ("C:/Windows/win.ini", "is absolute"),
        ("c:evil.csv", "is absolute"),
        ("C:\\Windows\\win.ini", "contains a backslash"),
        ("..\\secret.txt", "contains a backslash"),
        ("income\\us.csv", "contains a backslash"),
        ("\\\\server\\share", "contains a backslash"),
        ("%2e%2e/secret.txt", "contains '..'"),
        ("%2E%2E%2Fsecret.txt", "contains '..'"),
        ("income/%2e%2e/%2e%2e/secret.txt", "contains '..'"),
        ("%252e%252e/secret.txt", "contains '..'"),
        ("%2fetc%2fpasswd", "is absolute"),
        ("..%5csecret.txt", "contains a backslash"),
        ("\uff0e\uff0e/secret.txt", "contains '..'"),
        ("\u2025/secret.txt", "contains '..'"),
        ("\uff0fetc/passwd", "is absolute"),
        ("income\uff3c..", "contains a backslash"),
        ("us.csv\x00.txt", "contains a NUL byte"),
        ("us.csv%00.txt", "contains a NUL byte"),
    ],
)
def test_escapes_are_refused_with_the_reason(stores, path, reason):
    with pytest.raises(DatastoreError, match=f"The path .* {reason}; paths must stay inside"):
        stores.resolve("samples", path)


def test_refusal_names_the_path_and_the_datastore(stores):
    with pytest.raises(DatastoreError, match=r"'\.\./secret\.txt'") as info:
        stores.resolve("samples", "../secret.txt")
    assert info.value.datastore == "samples"
    assert info.value.path == "../secret.txt"


@pytest.mark.parametrize("path", ["", "   ", "\t\n"])
def test_empty_path_is_refused(stores, path):
    with pytest.raises(DatastoreError, match="The path is empty"):
        stores.resolve("samples", path)


def test_unknown_datastore_lists_the_registered_ones(stores):
    with pytest.raises(
        DatastoreError, match=r"Unknown datastore 'sample' \(registered: archive, samples\)"
    ) as info:
        stores.resolve("sample", "top.csv")
    assert info.value.datastore == "sample"


def test_unknown_datastore_when_none_are_registered():
    with pytest.raises(DatastoreError, match=r"Unknown datastore 'x' \(registered: none\)"):
        Datastores({}).resolve("x", "a.csv")


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        ("top.csv", "top.csv"),
        ("income/2024/us.csv", "income/2024/us.csv"),
        ("./income//2024/./us.csv", "income/2024/us.csv"),
        ("income/2024/", "income/2024"),
        ("income/2024/not-yet-written.csv", "income/2024/not-yet-written.csv"),
        ("new/folder/out.parquet", "new/folder/out.parquet"),
        ("...csv", "...csv"),
        ("a..b/c..", "a..b/c.."),
        ("with space/x.csv", "with space/x.csv"),
    ],
)
def test_valid_paths_resolve_inside_the_root(stores, root, path, relative):
    resolved = stores.resolve("samples", path)
    assert resolved == Path(os.path.realpath(root)) / relative
    assert resolved.is_absolute()


def test_dot_resolves_to_the_root_itself(stores, root):
    assert stores.resolve("samples", ".") == Path(os.path.realpath(root))


def test_check_relative_cleans_the_path():
    assert check_relative("./a//b/./c.csv") == "a/b/c.csv"


def test_symlinked_file_leading_out_is_refused(stores, root, tmp_path):
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(DatastoreError, match="leads outside the datastore.*symbolic link"):
        stores.resolve("samples", "leak.txt")


def test_symlinked_folder_leading_out_is_refused(stores, root, tmp_path):
    (root / "escape").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        stores.resolve("samples", "escape/secret.txt")
    # Writing through the link to a file that does not exist yet is refused too.
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        stores.resolve("samples", "escape/new.csv")


def test_dangling_symlink_leading_out_is_refused(stores, root, tmp_path):
    (root / "later.csv").symlink_to(tmp_path / "does-not-exist.csv")
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        stores.resolve("samples", "later.csv")


def test_symlink_to_the_parent_of_the_root_is_refused(stores, root):
    (root / "up").symlink_to(root.parent, target_is_directory=True)
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        stores.resolve("samples", "up/secret.txt")
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        stores.resolve("samples", "up")
    # Going out and straight back in lands inside the root, which is harmless.
    assert stores.resolve("samples", "up/store/top.csv") == Path(os.path.realpath(root / "top.csv"))


def test_symlink_into_a_sibling_root_with_a_common_prefix_is_refused(tmp_path):
    # "store" and "store-evil" share a string prefix: a naive startswith() check would pass.
    store, evil = tmp_path / "store", tmp_path / "store-evil"
    store.mkdir()
    evil.mkdir()
    (evil / "x.csv").write_text("a\n")
    (store / "x.csv").symlink_to(evil / "x.csv")
    with pytest.raises(DatastoreError, match="leads outside the datastore"):
        resolve_in_root(store, "x.csv")


def test_symlink_staying_inside_the_root_is_allowed(stores, root):
    (root / "latest").symlink_to(root / "income" / "2024", target_is_directory=True)
    (root / "alias.csv").symlink_to(root / "top.csv")
    real = Path(os.path.realpath(root))
    assert stores.resolve("samples", "latest/us.csv") == real / "income" / "2024" / "us.csv"
    assert stores.resolve("samples", "alias.csv") == real / "top.csv"


def test_root_that_is_itself_a_symlink_works(tmp_path, root):
    link = tmp_path / "link-to-store"
    link.symlink_to(root, target_is_directory=True)
    resolved = Datastores({"s": link}).resolve("s", "income/2024/us.csv")
    assert resolved == Path(os.path.realpath(root)) / "income" / "2024" / "us.csv"
    assert resolved.read_text() == "a\n1\n"


def test_step_context_resolves_through_its_datastores(stores, root):
    ctx = StepContext("n1", datastores=stores)
    assert ctx.resolve("samples", "top.csv").read_text() == "a\n1\n"
    with pytest.raises(DatastoreError, match="contains '..'"):
        ctx.resolve("samples", "../secret.txt")


def test_datastores_is_a_read_only_mapping(stores, root):
    assert sorted(stores) == ["archive", "samples"]
    assert len(stores) == 2
    assert stores["samples"] == root


def test_membership_and_get_of_an_unknown_name(stores):
    assert "samples" in stores
    assert "nope" not in stores
    assert stores.get("nope") is None


@pytest.mark.parametrize("path", [None, 3, ["a"]])
def test_non_text_path_is_refused(stores, path):
    with pytest.raises(DatastoreError, match="The path must be text"):
        stores.resolve("samples", path)
