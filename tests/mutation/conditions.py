"""Mutants of DynamoDB condition expressions: the operators mutmut does not have.

A small parser for the subset the handlers and the state machine write (AND, OR, NOT,
parentheses, comparisons, IN, functions) and the mutants the team's rule asks every test
suite to kill: the whole condition made always true, each comparator flipped,
``attribute_exists`` swapped with ``attribute_not_exists``, each NOT removed, each value of
an IN list dropped, each operand of an AND or OR dropped, and each ordering comparator
moved across its boundary (``<=`` to ``<``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALWAYS_TRUE = "attribute_exists(#id)"
FLIPS = {"=": "<>", "<>": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
BOUNDARIES = {"<=": "<", "<": "<=", ">=": ">", ">": ">="}
SWAPS = {"attribute_exists": "attribute_not_exists", "attribute_not_exists": "attribute_exists"}
_TOKEN = re.compile(r"\s*(<>|<=|>=|[=<>(),]|[#:]?[A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Node:
    kind: str  # "or", "and", "not", "func", "cmp", "in"
    parts: tuple[object, ...]


def tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.i]
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected}, got {token}")
        self.i += 1
        return token

    def expression(self) -> Node:
        return self._chain("OR", self._and)

    def _and(self) -> Node:
        return self._chain("AND", self._not)

    def _chain(self, word: str, lower: object) -> Node:
        parts = [lower()]  # type: ignore[operator]
        while self.peek() == word:
            self.take()
            parts.append(lower())  # type: ignore[operator]
        return parts[0] if len(parts) == 1 else Node(word.lower(), tuple(parts))

    def _not(self) -> Node:
        if self.peek() == "NOT":
            self.take()
            return Node("not", (self._not(),))
        return self._primary()

    def _primary(self) -> Node:
        if self.peek() == "(":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        left = self._operand()
        if isinstance(left, Node):  # a function used as a condition
            return left
        op = self.take()
        if op == "IN":
            self.take("(")
            values = [self.take()]
            while self.peek() == ",":
                self.take(",")
                values.append(self.take())
            self.take(")")
            return Node("in", (left, tuple(values)))
        if op not in FLIPS:
            raise ValueError(f"unknown comparator {op}")
        return Node("cmp", (left, op, self._operand()))

    def _operand(self) -> object:
        token = self.take()
        if self.peek() == "(":
            self.take("(")
            args = [self.take()]
            while self.peek() == ",":
                self.take(",")
                args.append(self.take())
            self.take(")")
            call = Node("func", (token, tuple(args)))
            return call if token != "size" else render(call)
        return token


def parse(text: str) -> Node:
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise ValueError(f"trailing {parser.peek()}")
    return node


def render(node: object, parent: str | None = None) -> str:
    if not isinstance(node, Node):
        return str(node)
    match node.kind:
        case "or" | "and":
            text = f" {node.kind.upper()} ".join(render(p, node.kind) for p in node.parts)
            return f"({text})" if parent is not None and parent != node.kind else text
        case "not":
            return f"NOT {render(node.parts[0], 'not')}"
        case "func":
            name, args = node.parts
            return f"{name}({', '.join(args)})"  # type: ignore[arg-type]
        case "cmp":
            left, op, right = node.parts
            return f"{render(left)} {op} {render(right)}"
        case "in":
            left, values = node.parts
            return f"{render(left)} IN ({', '.join(values)})"  # type: ignore[arg-type]
    raise ValueError(node.kind)


@dataclass(frozen=True)
class Mutant:
    operator: str
    text: str


def mutants(condition: str) -> list[Mutant]:
    """Every mutant of ``condition`` (each distinct from it and from the others)."""
    tree = parse(condition)
    found = [Mutant("always-true", ALWAYS_TRUE)]
    for operator, mutated in _mutate(tree):
        found.append(Mutant(operator, render(mutated)))
    original = " ".join(render(tree).split())
    unique: dict[str, Mutant] = {}
    for mutant in found:
        if " ".join(mutant.text.split()) != original:
            unique.setdefault(mutant.text, mutant)
    return list(unique.values())


def _mutate(node: Node) -> list[tuple[str, Node]]:
    out: list[tuple[str, Node]] = []
    match node.kind:
        case "or" | "and":
            for index in range(len(node.parts)):
                rest = node.parts[:index] + node.parts[index + 1 :]
                out.append(
                    (
                        f"drop-{node.kind}-operand",
                        rest[0] if len(rest) == 1 else Node(node.kind, rest),
                    )
                )  # type: ignore[arg-type]
            for index, part in enumerate(node.parts):
                for operator, changed in _mutate(part):  # type: ignore[arg-type]
                    parts = node.parts[:index] + (changed,) + node.parts[index + 1 :]
                    out.append((operator, Node(node.kind, parts)))
        case "not":
            out.append(("drop-not", node.parts[0]))  # type: ignore[arg-type]
            for operator, changed in _mutate(node.parts[0]):  # type: ignore[arg-type]
                out.append((operator, Node("not", (changed,))))
        case "func":
            name, args = node.parts
            if name in SWAPS:
                out.append(("swap-exists", Node("func", (SWAPS[name], args))))  # type: ignore[index]
        case "cmp":
            left, op, right = node.parts
            out.append(("flip-comparator", Node("cmp", (left, FLIPS[op], right))))  # type: ignore[index]
            if op in BOUNDARIES:
                out.append(("shift-boundary", Node("cmp", (left, BOUNDARIES[op], right))))  # type: ignore[index]
        case "in":
            left, values = node.parts
            if len(values) > 1:  # type: ignore[arg-type]
                for index in range(len(values)):  # type: ignore[arg-type]
                    rest = values[:index] + values[index + 1 :]  # type: ignore[index]
                    out.append(("drop-in-value", Node("in", (left, rest))))
    return out


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"[#:][A-Za-z0-9_]+", text))
