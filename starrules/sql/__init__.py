"""The SQL backend: a checked scheme lowered to SQL expression trees (sqlglot).

Stages:

1. :mod:`starrules.sql.lower` takes the checked :class:`~starrules.model.Program` (the same
   IR the two Python engines run) and gives a ``sqlglot`` ``SELECT``: one row per entity
   with what the reference interpreter gives before quotas (validation, eligibility,
   scores, band, vetoes/caps/demotions, badges). Constructs it cannot express exactly are
   refused up front with :class:`starrules.sql.lower.SqlUnsupported` naming the construct
   and its line.
2. :mod:`starrules.sql.duck` runs that query on DuckDB (extra ``starrules[duckdb]``) over
   Python records, for the tests and the population engine.

Contract (kept true by ``tests/test_sql_entity.py``)
----------------------------------------------------

Reserved names. Scheme names (inputs, scores, enumeration members) are ``NAME`` tokens
of the grammar, word characters only; every column this backend invents contains ``#`` or
``:``, so it can never clash with a scheme name. Names are always quoted identifiers
(``exp.to_identifier(name, quoted=True)``) and texts string literals: names are data.

Source table (``entity_query(program, source="input", types=None)``):

- one column per declared input, named exactly as the input (``program.inputs``); by
  default every column is text, as CSV gives it (NULL or blank = missing), read with the
  same spellings :mod:`starrules.values` accepts; ``types`` may declare a column typed
  (``{"name": "number" | "bool" | "list"}``: a DECIMAL/INTEGER column, a BOOLEAN column, a
  list of texts for a set);
- ``#row``: BIGINT, 0-based, the record's place in the input (= ``Outcome.row``; the
  outcomes of a ``Rating`` are in this order). Columns not named here are ignored.

Entity relation (the query's output), one row per source row, every row kept:

- ``#row`` BIGINT as given;
- ``#status`` VARCHAR: ``rated`` | ``invalid`` | ``ineligible``;
- ``#reason`` VARCHAR or NULL: for a bad input, the text of the ``InputError`` the Python
  engines raise (``str(exc)``, which is ``Outcome.reason``: ``"{input}: {repr(raw)} is not
  valid; expected {expected}"`` joined by ``"; "``); for a failed ``require`` /
  ``disqualify`` the rule's name; for a rated entity the veto/cap/demotion that fixed the
  level (``Result.reason``), else NULL;
- ``#problem:<input>`` VARCHAR or NULL, one per input: the ``expected`` text of that
  input's problem (``InputProblem.expected``), NULL when the value reads; with the source
  cell it rebuilds ``Outcome.problems`` (in declared input order);
- ``#id`` VARCHAR: the id cell as ``_raw_id`` gives it (trimmed text; NULL when no id field
  or missing), for every row; ``#group:<field>`` VARCHAR per group field: the trimmed text
  ('' when missing), for every row (``Outcome.groups`` of invalid rows);
- ``#rank`` INTEGER: the level before quotas as a rank (0 = the floor,
  ``Result.level_rank``), NULL unless rated; ``#band_rank`` INTEGER the band's rank before
  overrides; ``#limit`` INTEGER the highest rank vetoes and caps allow (``Result.limit_rank``),
  NULL where none held;
- ``#total`` DECIMAL: ``Result.total`` (NULL unless rated);
- ``<input>``: each input's value as read, under its own name, NULL unless the row reads:
  numbers, counts and percentages (as a ratio, 85% = 0.85) DECIMAL(p, s), bool BOOLEAN,
  one-of/id/group/text VARCHAR (trimmed); a set VARCHAR of its members in declared order
  joined by ``、`` ('' for none) — sets cannot be ranking keys;
- ``<score>``: every score, bonus, penalty, total and badges count under its own name,
  DECIMAL(p, s) with the precision and scale the declarations imply (NULL unless rated);
- ``veto:<rule>``, ``cap:<rule>``, ``demote:<rule>`` BOOLEAN: whether the condition held
  (NULL unless rated). ``Result.vetoes`` is the held ``veto:`` columns and ``Result.held``
  the held ``cap:``/``demote:`` columns, in ``program.overrides`` order;
- ``badge:<block>:<label>`` BOOLEAN: the badge star was won (``<block>`` the badges
  score's name, which has no ``:``); ``Result.badges`` lists the won ones in declared
  order (NULL unless rated).

``lower.columns(program)`` gives these names (so no caller spells them).

Flags from the FINAL level: ``lower.flag_conditions(program, level, table=None)`` returns
``[(flag name, sqlglot condition)]`` in declared order, each over the entity relation's
columns (qualified by ``table`` when given) with ``level`` (any sqlglot expression giving a
rank) standing for ``level``; ``lower.condition(program, expr, level, table=None)`` lowers
any model condition (a selection's ``among``) the same way.
"""
