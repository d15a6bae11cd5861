package store

import "github.com/yagura-soc/yagura/internal/event"

// CompiledQuery is a hunt (package hunt) compiled to the event store's SQL.
// It never names the tenant or a partition: the store runs it over a
// relation called "events" that it builds itself from the tenant's own
// partitions in the time range, with the tenant predicate added. Every
// value in the text is a placeholder ("?") bound from the Args slices, in
// order.
type CompiledQuery struct {
	// Where is a boolean SQL expression over the columns of one partition,
	// pushed into every partition's scan; empty matches all events.
	Where     string
	WhereArgs []any
	// SQL is one SELECT over the relation "events". When Events is true it
	// selects the event columns and each row is one event; otherwise it
	// selects the columns named by Columns, in order.
	SQL     string
	Args    []any
	Events  bool
	Columns []string
	// EventKeys, for an event query, lists the only fields (native or ECS)
	// the caller reads: the store leaves every other field out of the
	// events it returns, which is much cheaper for wide events. The
	// event's id, tenant and times are always there; its source, parse
	// error and raw text may be left out unless EventKeys name them
	// (event.FieldSource, event.FieldParseError, event.FieldOriginal).
	// Nil means whole events.
	EventKeys []string
	// CountSQL, when set, is a SELECT over "events" answering one integer:
	// how many rows SQL would give without its display limit.
	CountSQL  string
	CountArgs []any
	// Limit is SQL's display limit, when it has one: an answer with fewer
	// rows is complete, and the store may skip CountSQL.
	Limit int
	// TotalColumn, for a query that is not an event query, says SQL
	// selects one more column after Columns: the number of rows without
	// the display limit (count(*) OVER ()), the same on every row. The
	// store reads Total from it and never runs CountSQL, so a stats
	// query with more groups than its limit aggregates once, not twice.
	TotalColumn bool
	// Tokens, when set, are words (lower-case runs of ASCII letters,
	// digits and underscore) that every event Where matches holds in its
	// raw text or message. A store with a token index may skip the blocks
	// of rows that hold none of some token; it must not change the answer.
	Tokens []string
}

// QueryResult is the answer of EventStore.Query.
type QueryResult struct {
	Columns []string
	Rows    [][]any        // when the query is not an event query
	Events  []*event.Event // when it is
	// Total is the value of CountSQL, or the number of rows when the
	// query has no CountSQL.
	Total int64
}
