// Package hunt is Yagura's threat-hunting query language: a hand-written
// lexer and parser (errors point at the column), an AST, and a compiler to
// the event store's SQL. One language serves the search bar, the API, the
// command line and saved and scheduled hunts.
//
//	event.dataset:windows.security event.code:4625 NOT user.name:svc_*
//	  | stats count() as failures, dc(source.ip) by user.name
//	  | where failures:>=10 | sort -failures | head 20
//
// docs/hunting.md documents the language and its grammar.
//
// The compiler must never put text from a query into SQL: values and field
// paths are bound parameters, output columns get generated names (c0, c1,
// …). It must never add the tenant predicate or choose partitions either:
// the store does that (store.EventStore.Query), so a compiled query cannot
// reach another tenant's events however it was written.
package hunt
