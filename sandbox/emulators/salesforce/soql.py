"""The SOQL subset the sandbox answers; everything else is a MALFORMED_QUERY naming what is unsupported."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.world.clock import iso_date, parse_instant, sf_datetime


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
""", re.VERBOSE)

UNSUPPORTED_KEYWORDS = {"GROUP", "HAVING", "TYPEOF", "WITH", "FOR", "USING", "ROLLUP", "CUBE", "EXCLUDES", "INCLUDES"}
DATE_FUNCTIONS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "LAST_MONTH", "THIS_MONTH",
                  "LAST_N_DAYS", "NEXT_N_DAYS", "LAST_90_DAYS", "THIS_YEAR", "LAST_YEAR", "N_DAYS_AGO"}


@dataclass
class Literal:
    kind: str       # datetime, date, number, string, boolean, null
    value: Any


@dataclass
class Query:
    obj: str
    fields: list[str]
    count_only: bool = False
    where: Callable[[dict[str, Any]], bool] | None = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # (field, descending, nulls_last)
    limit: int | None = None
    offset: int = 0


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise SoqlError("MALFORMED_QUERY", f"unexpected character {text[pos]!r} at column {pos + 1}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup or "", m.group()))
    return out


class _Parser:
    def __init__(self, text: str, schema: Callable[[str], tuple[str, dict[str, str]] | None]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.schema = schema
        self.types: dict[str, str] = {}
        self.canon: dict[str, str] = {}
        self.obj = ""

    def peek(self, k: int = 0) -> tuple[str, str]:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else ("eof", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def kw(self, word: str) -> bool:
        kind, val = self.peek()
        if kind == "ident" and val.upper() == word:
            self.i += 1
            return True
        return False

    def expect_kw(self, word: str) -> None:
        if not self.kw(word):
            raise SoqlError("MALFORMED_QUERY", f"expected {word} but found {self.peek()[1] or 'end of query'!r}")

    def field_name(self, name: str) -> str:
        if "." in name:
            raise SoqlError("MALFORMED_QUERY", f"relationship field {name!r} is not supported by the sandbox "
                                               "(query the related object separately)")
        canon = self.canon.get(name.lower())
        if canon is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{self.obj}'. If you are attempting "
                                             "to use a custom field, be sure to append the '__c' after the custom "
                                             "field name. Please reference your WSDL or the describe call for the "
                                             "appropriate names.")
        return canon

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        raw_fields: list[str] = []
        count_only = False
        while True:
            kind, val = self.take()
            if kind != "ident":
                raise SoqlError("MALFORMED_QUERY", f"expected a field name in SELECT, found {val!r}")
            if self.peek()[1] == "(":
                up = val.upper()
                if up == "COUNT" and self.peek(1)[1] == ")":
                    self.i += 2
                    count_only = True
                else:
                    raise SoqlError("MALFORMED_QUERY", f"function {val}(...) in SELECT is not supported by the "
                                                       "sandbox (supported: plain field lists and COUNT())")
            elif val.upper() == "SELECT":
                raise SoqlError("MALFORMED_QUERY", "sub-queries are not supported by the sandbox")
            else:
                raw_fields.append(val)
            if self.peek()[1] == ",":
                self.i += 1
                continue
            break
        if self.peek()[1] == "(":
            raise SoqlError("MALFORMED_QUERY", "sub-queries are not supported by the sandbox")
        self.expect_kw("FROM")
        kind, obj = self.take()
        found = self.schema(obj) if kind == "ident" else None
        if found is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{obj}' is not supported. If you are attempting to use a "
                                            "custom object, be sure to append the '__c' after the entity name. Please "
                                            "reference your WSDL or the describe call for the appropriate names.")
        obj, schema = found
        self.obj = obj
        self.types = schema
        self.canon = {f.lower(): f for f in schema}
        fields = [self.field_name(f) for f in raw_fields]
        if count_only and fields:
            raise SoqlError("MALFORMED_QUERY", "COUNT() cannot be combined with other fields")
        q = Query(obj=obj, fields=fields, count_only=count_only)
        if self.kw("WHERE"):
            q.where = self.or_expr()
        if self.kw("ORDER"):
            self.expect_kw("BY")
            while True:
                kind, val = self.take()
                if kind != "ident":
                    raise SoqlError("MALFORMED_QUERY", f"expected a field after ORDER BY, found {val!r}")
                name = self.field_name(val)
                desc = self.kw("DESC")
                if not desc:
                    self.kw("ASC")
                nulls_last = desc
                if self.kw("NULLS"):
                    nulls_last = self.kw("LAST")
                    if not nulls_last:
                        self.expect_kw("FIRST")
                q.order.append((name, desc, nulls_last))
                if self.peek()[1] != ",":
                    break
                self.i += 1
        if self.kw("LIMIT"):
            q.limit = self.integer("LIMIT")
        if self.kw("OFFSET"):
            q.offset = self.integer("OFFSET")
            if q.offset > 2000:
                raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is 2000 (got {q.offset})")
        kind, val = self.peek()
        if kind != "eof":
            if val.upper() in UNSUPPORTED_KEYWORDS:
                raise SoqlError("MALFORMED_QUERY", f"{val.upper()} is not supported by the sandbox")
            raise SoqlError("MALFORMED_QUERY", f"unexpected token {val!r} (the sandbox supports SELECT fields FROM "
                                               "object [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n])")
        return q

    def integer(self, what: str) -> int:
        kind, val = self.take()
        if kind != "number" or not val.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"{what} needs a non-negative integer, found {val!r}")
        return int(val)

    def or_expr(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self.and_expr()]
        while self.kw("OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_expr(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self.not_expr()]
        while self.kw("AND"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def not_expr(self) -> Callable[[dict[str, Any]], bool]:
        if self.kw("NOT"):
            inner = self.not_expr()
            return lambda r: not inner(r)
        if self.peek()[1] == "(":
            self.i += 1
            inner = self.or_expr()
            if self.take()[1] != ")":
                raise SoqlError("MALFORMED_QUERY", "missing closing parenthesis in WHERE")
            return inner
        return self.condition()

    def literal(self, name: str) -> Literal:
        kind, val = self.take()
        ftype = self.types[name]
        if kind == "ident":
            up = val.upper()
            if up in ("TRUE", "FALSE"):
                lit = Literal("boolean", up == "TRUE")
            elif up == "NULL":
                return Literal("null", None)
            elif up.split(":")[0] in DATE_FUNCTIONS:
                raise SoqlError("MALFORMED_QUERY", f"date literal {val} is not supported by the sandbox; use an "
                                                   "explicit dateTime such as 2024-01-01T00:00:00Z")
            else:
                raise SoqlError("MALFORMED_QUERY", f"unexpected {val!r} where a value was expected")
        elif kind == "datetime":
            lit = Literal("datetime", sf_datetime(parse_instant(val)))
        elif kind == "date":
            lit = Literal("date", val)
        elif kind == "number":
            lit = Literal("number", float(val))
        elif kind == "string":
            lit = Literal("string", re.sub(r"\\(.)", r"\1", val[1:-1]))
        else:
            raise SoqlError("MALFORMED_QUERY", f"unexpected {val!r} where a value was expected")
        want = {"datetime": "datetime", "date": "date", "boolean": "boolean", "int": "number", "double": "number",
                "currency": "number", "percent": "number"}.get(ftype, "string")
        if lit.kind != want:
            if want == "datetime" and lit.kind == "date":
                raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                                                 "dateTime and should not be enclosed in quotes")
            quoted = " and should " + ("" if want == "string" else "not ") + "be enclosed in quotes"
            label = {"number": "double", "datetime": "dateTime"}.get(want, want)
            raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                                             f"{label}{quoted}")
        return lit

    def condition(self) -> Callable[[dict[str, Any]], bool]:
        kind, val = self.take()
        if kind != "ident":
            raise SoqlError("MALFORMED_QUERY", f"expected a field name in WHERE, found {val!r}")
        name = self.field_name(val)
        negate = self.kw("NOT")
        if self.kw("IN"):
            if self.take()[1] != "(":
                raise SoqlError("MALFORMED_QUERY", "IN needs a parenthesised list of values")
            if self.kw("SELECT"):
                raise SoqlError("MALFORMED_QUERY", "semi-join sub-queries (IN (SELECT ...)) are not supported")
            values = []
            while True:
                values.append(self.literal(name).value)
                sep = self.take()[1]
                if sep == ")":
                    break
                if sep != ",":
                    raise SoqlError("MALFORMED_QUERY", "malformed IN list")
            vals = set(values)
            return (lambda r: r.get(name) not in vals) if negate else (lambda r: r.get(name) in vals)
        if negate:
            raise SoqlError("MALFORMED_QUERY", "NOT must be followed by IN here")
        if self.kw("LIKE"):
            lit = self.literal(name)
            pattern = re.compile("^" + re.escape(str(lit.value)).replace("%", ".*").replace("_", ".") + "$", re.I)
            return lambda r: r.get(name) is not None and bool(pattern.match(str(r.get(name))))
        kind, op = self.take()
        if kind != "op":
            raise SoqlError("MALFORMED_QUERY", f"unsupported operator {op!r} (supported: = != < <= > >= IN LIKE)")
        lit = self.literal(name)
        v = lit.value
        if lit.kind == "date" and self.types[name] == "date":
            v = iso_date(parse_instant(v))
        if op == "=":
            return lambda r: r.get(name) == v
        if op in ("!=", "<>"):
            return lambda r: r.get(name) != v
        if v is None:
            raise SoqlError("MALFORMED_QUERY", f"operator {op} cannot be used with null")
        cmp = {"<": lambda a: a < v, "<=": lambda a: a <= v, ">": lambda a: a > v, ">=": lambda a: a >= v}[op]
        return lambda r: (x := r.get(name)) is not None and cmp(x)


def parse(text: str, schema: Callable[[str], tuple[str, dict[str, str]] | None]) -> Query:
    """Parse `text`; `schema(obj)` gives (canonical name, {field: type}) for a known object, None otherwise."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "empty query")
    if "FIELDS(" in text.upper().replace(" ", ""):
        raise SoqlError("MALFORMED_QUERY", "FIELDS(...) is not supported by the sandbox; list the fields")
    return _Parser(text, schema).parse()


def sort_records(records: list[dict[str, Any]], order: list[tuple[str, bool, bool]]) -> list[dict[str, Any]]:
    out = list(records)
    for name, desc, nulls_last in reversed(order or [("Id", False, False)]):
        present = [r for r in out if r.get(name) is not None]
        nulls = [r for r in out if r.get(name) is None]
        present.sort(key=lambda r: r[name], reverse=desc)
        out = present + nulls if nulls_last else nulls + present
    return out
