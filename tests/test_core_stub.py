"""The type stub ``chipwar/_core.pyi`` names exactly what the compiled module holds, each with the same kind, so the
stub that type checkers and editors read cannot drift from the bindings (regenerate it as the README says)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from chipwar import _core

STUB = Path(_core.__file__).with_name("_core.pyi")
if not STUB.is_file():  # an installed wheel ships the stub next to the module; a developer build finds it in the tree
    STUB = Path(__file__).resolve().parents[1] / "python" / "chipwar" / "_core.pyi"


def _stub_kinds(body: list[ast.stmt]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kinds[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            kinds[node.name] = "class"
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            kinds[node.target.id] = "attribute"
        elif isinstance(node, ast.Assign):
            kinds.update({t.id: "attribute" for t in node.targets if isinstance(t, ast.Name)})
    return {name: kind for name, kind in kinds.items() if not name.startswith("__")}


def _runtime_kind(value: object) -> str:
    if inspect.isclass(value):
        return "class"
    return "function" if callable(value) else "attribute"


def _runtime_kinds(namespace: object) -> dict[str, str]:
    return {name: _runtime_kind(getattr(namespace, name)) for name in dir(namespace) if not name.startswith("_")}


def _public(kinds: dict[str, str]) -> dict[str, str]:
    return {name: kind for name, kind in kinds.items() if not name.startswith("_")}


@pytest.fixture(scope="module")
def stub() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def test_stub_names_match_the_compiled_module(stub):
    in_stub = _public(_stub_kinds(stub.body))
    compiled = _runtime_kinds(_core)
    assert sorted(set(compiled) - set(in_stub)) == [], "in the compiled module but not in _core.pyi"
    assert sorted(set(in_stub) - set(compiled)) == [], "in _core.pyi but not in the compiled module"
    assert {n: k for n, k in in_stub.items() if compiled[n] != k} == {}, "kind differs (stub side shown)"


def test_stub_all_lists_every_public_name(stub):
    declared = next(
        ast.literal_eval(node.value)
        for node in stub.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__"
    )
    assert sorted(declared) == sorted(_runtime_kinds(_core))


def test_stub_classes_match_their_members(stub):
    # bound classes and enums: every public member on one side is on the other
    for node in stub.body:
        if not isinstance(node, ast.ClassDef):
            continue
        in_stub = _public(_stub_kinds(node.body))
        compiled = {n for n in dir(getattr(_core, node.name)) if not n.startswith("_")}
        assert sorted(compiled ^ set(in_stub)) == [], f"members of {node.name} differ"
