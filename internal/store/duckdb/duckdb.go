// Package duckdb is the embedded event store: one DuckDB file, partitioned
// by tenant and UTC day so that retention drops whole tables instead of
// deleting rows. Core ECS fields are typed columns for fast filters; the
// rest of each event is kept as JSON.
//
// One process owns the file. Writes go through a single connection (DuckDB
// serialises writers anyway); reads use the pool. Every query names the
// tenant's own partitions and adds the tenant predicate as well.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
	"github.com/yagura-soc/yagura/internal/store"
)

// typedColumns are the ECS fields stored as their own columns. Queries on
// them use the column; every other field is read from the JSON.
var typedColumns = []struct{ Field, Column string }{
	{"event.dataset", "dataset"},
	{"event.code", "event_code"},
	{"event.category", "event_category"},
	{"event.outcome", "event_outcome"},
	{"host.name", "host_name"},
	{"user.name", "user_name"},
	{"source.ip", "source_ip"},
	{"destination.ip", "destination_ip"},
	{"process.command_line", "process_command_line"},
	{"message", "message"},
	// Added later (after ecs in columnsDDL): a hunt filters web logs by
	// status all the time, and reading it from the JSON of every row was
	// the one slow shape of the hunting benchmark.
	{"http.response.status_code", "http_response_status_code"},
}

// typedField tells the ECS fields that have a typed column.
var typedField = func() map[string]bool {
	m := make(map[string]bool, len(typedColumns))
	for _, c := range typedColumns {
		m[c.Field] = true
	}
	return m
}()

// ColumnFor returns the typed column that holds an ECS field, if any.
func ColumnFor(field string) (string, bool) {
	for _, c := range typedColumns {
		if c.Field == field {
			return c.Column, true
		}
	}
	return "", false
}

// Store is the DuckDB event store.
type Store struct {
	db *sql.DB

	mu        sync.Mutex // guards writer, appenders and parts
	writer    *sql.Conn
	appenders map[string]*duck.Appender
	parts     map[partKey]string // (tenant, day) → table name
	nextTable int
}

type partKey struct {
	tenant string
	day    int64 // unix seconds of UTC midnight
}

// Options tune an opened store.
type Options struct {
	// MemoryLimit caps DuckDB's memory (its buffer pool and query
	// intermediates), in DuckDB's notation ("2GB", "512MB"); empty keeps
	// DuckDB's default, 80 % of physical memory. A retro-hunt over 10M
	// events peaked at 10.4 GB RSS with the default and 6.6 GB at 2GB
	// (docs/performance.md); larger aggregations then spill to disk.
	MemoryLimit string
}

// memoryLimit is what Options.MemoryLimit accepts.
var memoryLimit = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// Open opens or creates the store at path (a file; its folder is created).
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.MemoryLimit != "" && !memoryLimit.MatchString(opts.MemoryLimit) {
		return nil, fmt.Errorf("event store: memory limit %q: write a size such as 2GB or 512MB", opts.MemoryLimit)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("event store: create folder: %w", err)
	}
	db, err := openAttached(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("event store: open %s: %w", path, err)
	}
	s := &Store{db: db, appenders: map[string]*duck.Appender{}, parts: map[partKey]string{}}
	if opts.MemoryLimit != "" {
		// The value matched memoryLimit above: digits and a unit only.
		if _, err := db.ExecContext(ctx, "SET memory_limit = '"+opts.MemoryLimit+"'"); err != nil {
			db.Close()
			return nil, fmt.Errorf("event store: memory limit %q: %w", opts.MemoryLimit, err)
		}
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("event store: open %s: %w", path, err)
	}
	return s, nil
}

// rowGroupRows and walCheckpoint size DuckDB's checkpoints. Commits
// append to the WAL; every walCheckpoint of it, a commit checkpoints: it
// compresses the rows written since into the file, and rewrites each
// table's last, partly filled row group whole — holding every other commit
// meanwhile. With DuckDB's defaults (row groups of 122,880 rows, a 16 MB
// WAL) the rewrites cost more than the new rows; raising the WAL to 256 MB
// made them rare but each then stalled intake for about a second (p99
// 1.3–1.65 s at 10,000 events/s). Row groups of 16,384 rows bound the
// rewrite, and a 64 MB WAL bounds the new rows: p99 0.33–0.44 s at the
// same load, for the same CPU and disk (docs/performance.md).
const (
	rowGroupRows  = 16384
	walCheckpoint = "64MB"
)

// openAttached opens the store's file attached, under the name storeCatalog,
// to an in-memory DuckDB and made every connection's default: the row group
// size is an option of ATTACH only.
func openAttached(ctx context.Context, path string) (*sql.DB, error) {
	attach := fmt.Sprintf("ATTACH IF NOT EXISTS %s AS %s (ROW_GROUP_SIZE %d)", sqlLiteral(path), storeCatalog, rowGroupRows)
	conn, err := duck.NewConnector("", func(ex driver.ExecerContext) error {
		// A pooled connection is made whenever one is needed, after Open.
		if _, err := ex.ExecContext(context.Background(), attach, nil); err != nil {
			return err
		}
		_, err := ex.ExecContext(context.Background(), "USE "+storeCatalog, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	// An in-memory database spills to ./.tmp; a file's own would be
	// beside it, where the operator expects it.
	if _, err := db.ExecContext(ctx, "SET temp_directory = "+sqlLiteral(path+".tmp")); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "SET wal_autocheckpoint = '"+walCheckpoint+"'"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqlLiteral quotes s as an SQL string literal, for the statements that
// take no parameters (ATTACH, SET, COPY … TO): quotes inside are doubled.
func sqlLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// storeCatalog is the name the store's file is attached under.
const storeCatalog = "yagura_events"

func (s *Store) init(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, tokenBlocksDDL); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS partitions (
		tenant VARCHAR NOT NULL, day DATE NOT NULL, tbl VARCHAR NOT NULL,
		PRIMARY KEY (tenant, day))`); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT tenant, day, tbl FROM partitions`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tenant, tbl string
		var day time.Time
		if err := rows.Scan(&tenant, &day, &tbl); err != nil {
			return err
		}
		s.parts[partKey{tenant, day.UTC().Unix()}] = tbl
		var n int
		if _, err := fmt.Sscanf(tbl, "ev_%d", &n); err == nil && n >= s.nextTable {
			s.nextTable = n + 1
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := s.addColumns(ctx); err != nil {
		return err
	}
	s.writer, err = s.db.Conn(ctx)
	return err
}

// addColumns brings partitions written before a typed column existed up
// to the schema: the column is added and filled from the ECS JSON, in one
// transaction per partition, so a query on it sees every row. The typed
// columns after ecs in columnsDDL are those added later: ALTER TABLE
// appends, so old and new partitions keep one column order.
func (s *Store) addColumns(ctx context.Context) error {
	ecsAt := slices.Index(tableColumns, "ecs")
	for i, c := range typedColumns {
		if typedPosition[i] < ecsAt {
			continue // in the schema from the start
		}
		for _, tbl := range s.tables() {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?`,
				tbl, c.Column).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			// tbl comes from the partitions catalog, c from this package.
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "ALTER TABLE "+tbl+" ADD COLUMN "+c.Column+" VARCHAR")
			if err == nil {
				_, err = tx.ExecContext(ctx, "UPDATE "+tbl+" SET "+c.Column+" = json_extract_string(ecs, ?) WHERE contains(ecs, ?)",
					`$."`+c.Field+`"`, `"`+c.Field+`":`)
			}
			if err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
			if err != nil {
				return fmt.Errorf("add column %s to %s: %w", c.Column, tbl, err)
			}
		}
	}
	return nil
}

// tables lists the partition tables.
func (s *Store) tables() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.parts))
	for _, tbl := range s.parts {
		out = append(out, tbl)
	}
	slices.Sort(out)
	return out
}

// fields and ecs hold JSON documents in VARCHAR columns: the appender
// would encode a Go string bound for a JSON column as a JSON string.
//
// The three text columns that hold most of an event's bytes are always
// FSST-compressed, the method DuckDB picks for log text anyway: left to
// choose, every checkpoint also analyses them for dictionary compression
// first, which cost 4 % of the server's CPU at saturation for files of
// the same size (docs/performance.md).
const columnsDDL = `tenant VARCHAR NOT NULL, id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
	ingested TIMESTAMP NOT NULL, source VARCHAR, dataset VARCHAR, event_code VARCHAR,
	event_category VARCHAR, event_outcome VARCHAR, host_name VARCHAR, user_name VARCHAR,
	source_ip VARCHAR, destination_ip VARCHAR, process_command_line VARCHAR, message VARCHAR,
	raw VARCHAR USING COMPRESSION fsst, parse_error VARCHAR,
	fields VARCHAR USING COMPRESSION fsst, ecs VARCHAR USING COMPRESSION fsst,
	http_response_status_code VARCHAR`

// selectColumns lists the columns read back to rebuild an event: the typed
// columns too, since the ECS JSON leaves out the string values they hold.
const selectColumns = `tenant, id, ts, ingested, source, raw, parse_error, fields, ecs,
	dataset, event_code, event_category, event_outcome, host_name, user_name,
	source_ip, destination_ip, process_command_line, message, http_response_status_code`

// tableColumns are the partition's columns in table order (the
// appender's), and typedPosition the place of each typed column in it.
var tableColumns, typedPosition = func() ([]string, []int) {
	var cols []string
	for _, def := range strings.Split(columnsDDL, ",") {
		cols = append(cols, strings.Fields(def)[0])
	}
	pos := make([]int, len(typedColumns))
	for i, c := range typedColumns {
		pos[i] = slices.Index(cols, c.Column)
	}
	return cols, pos
}()

// Append writes events durably, in one transaction. A large batch is
// prepared on all cores, in contiguous parts (each its own token block).
func (s *Store) Append(ctx context.Context, events []*event.Event) error {
	if len(events) == 0 {
		return nil
	}
	parts := min(runtime.GOMAXPROCS(0), (len(events)+255)/256)
	batches := make([]store.PreparedEvents, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := range parts {
		part := events[i*len(events)/parts : (i+1)*len(events)/parts]
		wg.Go(func() { batches[i], errs[i] = s.Prepare(part) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("event store: append: %w", err)
	}
	return s.AppendPrepared(ctx, batches)
}

// preparedRows is a batch encoded as appender rows.
type preparedRows struct {
	events []*event.Event
	rows   [][]driver.Value
	tokens []byte // the batch's token filter (tokens.go)
}

func (p *preparedRows) Len() int { return len(p.events) }

// Prepare implements store.EventPreparer: it encodes the events' rows (the
// field maps as JSON, the costliest part of a write) on the caller's
// goroutine.
func (s *Store) Prepare(events []*event.Event) (store.PreparedEvents, error) {
	p := &preparedRows{events: events, rows: make([][]driver.Value, len(events))}
	var arena []byte
	for i, ev := range events {
		row, err := encodeRow(ev, &arena)
		if err != nil {
			return nil, fmt.Errorf("event store: encode event %s: %w", ev.ID, err)
		}
		p.rows[i] = row
	}
	p.tokens = eventTokens(events)
	return p, nil
}

// AppendPrepared implements store.EventPreparer.
func (s *Store) AppendPrepared(ctx context.Context, batches []store.PreparedEvents) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.writer.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("event store: begin: %w", err)
	}
	if err := s.appendLocked(ctx, batches); err != nil {
		s.writer.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		s.dropAppenders() // their buffers belong to the failed transaction
		return fmt.Errorf("event store: append: %w", err)
	}
	if _, err := s.writer.ExecContext(ctx, "COMMIT"); err != nil {
		s.dropAppenders()
		return fmt.Errorf("event store: commit: %w", err)
	}
	return nil
}

func (s *Store) appendLocked(ctx context.Context, batches []store.PreparedEvents) error {
	used := map[string]*duck.Appender{}
	var notes blockNotes
	blooms := make([][]byte, len(batches))
	for bi, b := range batches {
		p, ok := b.(*preparedRows)
		if !ok {
			return fmt.Errorf("a prepared batch of type %T did not come from this store's Prepare", b)
		}
		blooms[bi] = p.tokens
		for i, ev := range p.events {
			tbl, err := s.partitionLocked(ctx, ev.Tenant, ev.Timestamp)
			if err != nil {
				return err
			}
			app, err := s.appenderLocked(tbl)
			if err != nil {
				return err
			}
			if err := notes.add(ctx, s.writer, bi, tbl); err != nil {
				return err
			}
			used[tbl] = app
			if err := app.AppendRow(p.rows[i]...); err != nil {
				return err
			}
		}
	}
	if err := notes.record(ctx, s.writer, blooms); err != nil {
		return err
	}
	for _, app := range used {
		if err := app.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// inTypedColumn tells the ECS values the JSON leaves out because their typed
// column holds them exactly: non-empty strings (a message or a command line
// stored twice was a tenth of an event's bytes). Other values (arrays,
// numbers) stay in the JSON so that they read back with their type.
func inTypedColumn(k string, v any) bool {
	s, ok := v.(string)
	return ok && s != "" && typedField[k]
}

// encodeRow builds an event's appender row. Both field maps are encoded
// into the batch's arena, and the row's two JSON strings share its bytes:
// nothing writes to bytes a string was made from (the arena only grows
// past them, or is replaced), and the appender copies them into DuckDB.
// A right-sized buffer per event was a fifth of a worker's allocated
// bytes, and the copy into a string 5 % of its CPU time, in profiles of
// the demo mix.
func encodeRow(ev *event.Event, arena *[]byte) ([]driver.Value, error) {
	buf := *arena
	if cap(buf)-len(buf) < 4<<10 {
		buf = make([]byte, 0, 64<<10)
	}
	start := len(buf)
	buf, err := appendFields(buf, ev.Fields, nil)
	if err != nil {
		return nil, fmt.Errorf("encode fields: %w", err)
	}
	split := len(buf)
	if buf, err = appendFields(buf, ev.ECS, inTypedColumn); err != nil {
		return nil, fmt.Errorf("encode ECS fields: %w", err)
	}
	*arena = buf
	both := unsafe.String(&buf[start], len(buf)-start)
	split -= start
	row := make([]driver.Value, len(tableColumns))
	row[0], row[1], row[2], row[3], row[4] = ev.Tenant, ev.ID, ev.Timestamp.UTC(), ev.Ingested.UTC(), ev.Source
	for i, c := range typedColumns {
		row[typedPosition[i]] = nullableString(ev.ECS[c.Field])
	}
	row[15], row[16], row[17], row[18] = ev.Raw, nullableString(ev.ParseError), both[:split], both[split:]
	return row, nil
}

func nullableString(v any) any {
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok && s != "" {
		return v // the map's own interface value: boxing s again allocates
	}
	if s := event.String(v); s != "" {
		return s
	}
	return nil
}

// partitionLocked returns the table for (tenant, day of ts), creating it.
func (s *Store) partitionLocked(ctx context.Context, tenant string, ts time.Time) (string, error) {
	day := ts.UTC().Truncate(24 * time.Hour)
	key := partKey{tenant, day.Unix()}
	if tbl, ok := s.parts[key]; ok {
		return tbl, nil
	}
	tbl := fmt.Sprintf("ev_%d", s.nextTable)
	// DDL runs inside the caller's transaction, so a failed batch leaves
	// no empty partition behind.
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE "+tbl+" ("+columnsDDL+")"); err != nil {
		return "", fmt.Errorf("create partition: %w", err)
	}
	if _, err := s.writer.ExecContext(ctx, `INSERT INTO partitions VALUES (?, ?, ?)`, tenant, day, tbl); err != nil {
		return "", fmt.Errorf("register partition: %w", err)
	}
	s.nextTable++
	s.parts[key] = tbl
	return tbl, nil
}

func (s *Store) appenderLocked(tbl string) (*duck.Appender, error) {
	if app, ok := s.appenders[tbl]; ok {
		return app, nil
	}
	var app *duck.Appender
	err := s.writer.Raw(func(dc any) error {
		var err error
		app, err = duck.NewAppenderFromConn(dc.(driver.Conn), "", tbl)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("appender for %s: %w", tbl, err)
	}
	s.appenders[tbl] = app
	return app, nil
}

func (s *Store) dropAppenders() {
	for tbl, app := range s.appenders {
		app.Close()
		delete(s.appenders, tbl)
	}
	// A rolled-back transaction may have created partitions; forget them
	// and reload from the catalog.
	s.parts = map[partKey]string{}
	rows, err := s.writer.QueryContext(context.Background(), `SELECT tenant, day, tbl FROM partitions`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var tenant, tbl string
		var day time.Time
		if rows.Scan(&tenant, &day, &tbl) == nil {
			s.parts[partKey{tenant, day.UTC().Unix()}] = tbl
		}
	}
}

// tablesFor lists the tenant's partition tables that overlap [from, to).
func (s *Store) tablesFor(tenant string, from, to time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	type dayTable struct {
		day int64
		tbl string
	}
	var out []dayTable
	for k, tbl := range s.parts {
		if k.tenant != tenant {
			continue
		}
		start := time.Unix(k.day, 0)
		end := start.Add(24 * time.Hour)
		if (!from.IsZero() && !end.After(from)) || (!to.IsZero() && !start.Before(to)) {
			continue
		}
		out = append(out, dayTable{k.day, tbl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].day > out[j].day })
	tables := make([]string, len(out))
	for i, d := range out {
		tables[i] = d.tbl
	}
	return tables
}

// Search implements store.EventStore.
func (s *Store) Search(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	if q.Tenant == "" {
		return store.EventPage{}, errors.New("event store: search without a tenant")
	}
	tables := s.tablesFor(q.Tenant, q.From, q.To)
	if len(tables) == 0 {
		return store.EventPage{}, nil
	}
	where, args := whereClause(q)
	union := unionOf(tables, where)
	// The union is repeated for the count; each branch is pruned by the
	// same predicates, so DuckDB scans only what matches.
	var total int
	countSQL := "SELECT count(*) FROM (" + union + ")"
	if err := s.db.QueryRowContext(ctx, countSQL, repeatArgs(args, len(tables))...).Scan(&total); err != nil {
		return store.EventPage{}, fmt.Errorf("event store: count: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	listSQL := "SELECT " + selectColumns + " FROM (" + union + ") ORDER BY ts DESC, id DESC LIMIT ?"
	rows, err := s.db.QueryContext(ctx, listSQL, append(repeatArgs(args, len(tables)), limit)...)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("event store: search: %w", err)
	}
	defer rows.Close()
	page := store.EventPage{Total: total}
	for rows.Next() {
		ev, err := scanEvent(rows, nil)
		if err != nil {
			return store.EventPage{}, fmt.Errorf("event store: read: %w", err)
		}
		page.Items = append(page.Items, ev)
	}
	return page, rows.Err()
}

func unionOf(tables []string, where string) string {
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "SELECT * FROM " + t + " WHERE " + where
	}
	return strings.Join(parts, " UNION ALL ")
}

func repeatArgs(args []any, n int) []any {
	out := make([]any, 0, len(args)*n)
	for range n {
		out = append(out, args...)
	}
	return out
}

// whereClause builds the predicate; every value is a bound parameter.
func whereClause(q store.EventQuery) (string, []any) {
	conds := []string{"tenant = ?"}
	args := []any{q.Tenant}
	if !q.From.IsZero() {
		conds = append(conds, "ts >= ?")
		args = append(args, q.From.UTC())
	}
	if !q.To.IsZero() {
		conds = append(conds, "ts < ?")
		args = append(args, q.To.UTC())
	}
	for _, t := range q.Terms {
		if t.Field == "" {
			conds = append(conds, "(raw ILIKE ? OR message ILIKE ?)")
			pat := "%" + escapeLike(t.Value) + "%"
			args = append(args, pat, pat)
			continue
		}
		expr, exprArgs := FieldExpr(t.Field)
		args = append(args, exprArgs...)
		if strings.ContainsAny(t.Value, "*?") {
			conds = append(conds, expr+" ILIKE ? ESCAPE '\\'")
			args = append(args, WildcardToLike(t.Value))
		} else {
			conds = append(conds, "lower("+expr+") = lower(?)")
			args = append(args, t.Value)
		}
	}
	return strings.Join(conds, " AND "), args
}

// FieldExpr is the SQL expression that reads a field: its typed column, or
// the ECS JSON with a fall-back to the native fields. The field name is
// passed as a parameter (a JSON path), never spliced into the SQL. The hunt
// compiler reads fields through it too, so search and hunt agree.
func FieldExpr(field string) (string, []any) {
	if col, ok := ColumnFor(field); ok {
		return col, nil
	}
	if field == event.FieldID {
		return "id", nil
	}
	path := jsonPath(field)
	return "coalesce(json_extract_string(ecs, ?), json_extract_string(fields, ?))", []any{path, path}
}

// jsonPath quotes a field name as one JSON path step, so that dots stay
// part of the (flat, dotted) key; backslash and quote are escaped, so a
// name such as HKLM\"Run"\ is one key and not a broken path.
func jsonPath(field string) string {
	return `$."` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(field) + `"`
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// WildcardToLike turns the wildcards * and ? into LIKE's % and _, escaping
// LIKE's own metacharacters (use with ESCAPE '\').
func WildcardToLike(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func scanEvent(rows *sql.Rows, keep *jsonlog.KeySet) (*event.Event, error) {
	var ev event.Event
	var source, parseErr sql.NullString
	var fields, ecs any
	typed := make([]sql.NullString, len(typedColumns))
	dest := []any{&ev.Tenant, &ev.ID, &ev.Timestamp, &ev.Ingested, &source, &ev.Raw, &parseErr, &fields, &ecs}
	for i := range typed {
		dest = append(dest, &typed[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	ev.Timestamp, ev.Ingested = ev.Timestamp.UTC(), ev.Ingested.UTC()
	ev.Source, ev.ParseError = source.String, parseErr.String
	ev.Fields = jsonFields(fields, keep)
	ev.ECS = jsonFields(ecs, keep)
	for i, col := range typed {
		if !col.Valid || (keep != nil && !keep.Has(typedColumns[i].Field)) {
			continue
		}
		if ev.ECS == nil {
			ev.ECS = event.Fields{}
		}
		if _, ok := ev.ECS[typedColumns[i].Field]; !ok { // events stored before the JSON left them out have both
			ev.ECS[typedColumns[i].Field] = col.String
		}
	}
	return &ev, nil
}

// scanLeanEvent reads a row of EventColumnsFor (the tenant is the
// query's: every row of "events" is the tenant's).
func scanLeanEvent(rows *sql.Rows, tenant string, keep *jsonlog.KeySet) (*event.Event, error) {
	ev := event.Event{Tenant: tenant}
	var lean string
	if err := rows.Scan(&ev.ID, &ev.Timestamp, &ev.Ingested, &lean); err != nil {
		return nil, err
	}
	ev.Timestamp, ev.Ingested = ev.Timestamp.UTC(), ev.Ingested.UTC()
	typed, rest, _ := strings.Cut(lean, "\x00")
	fields, rest, _ := strings.Cut(rest, "\x00")
	ecs, rest, _ := strings.Cut(rest, "\x00")
	ev.Fields = jsonFields(fields, keep)
	ev.ECS = jsonFields(ecs, keep)
	if typed != "{}" {
		if ev.ECS == nil {
			ev.ECS = event.Fields{}
		}
		// An event stored before the ECS JSON left typed values out holds
		// them twice, the same.
		if err := jsonlog.FlattenStringKeys(typed, ev.ECS, keep); err != nil {
			return nil, fmt.Errorf("typed columns of %s: %w", ev.ID, err)
		}
	}
	for _, a := range leanAttributes {
		if !keep.Has(a.field) {
			continue
		}
		var part string
		part, rest, _ = strings.Cut(rest, "\x00")
		v, err := jsonlog.Unquote([]byte(part))
		if err != nil {
			return nil, fmt.Errorf("%s of %s: %w", a.field, ev.ID, err)
		}
		*a.in(&ev) = v
	}
	return &ev, nil
}

// jsonFields turns a JSON column value back into Fields, restoring
// integers (JSON numbers without a fraction) as int64; with keep, only
// those keys.
func jsonFields(v any, keep *jsonlog.KeySet) event.Fields {
	var m map[string]any
	switch x := v.(type) {
	case map[string]any:
		m = x
	case string:
		// The columns hold flat objects written by appendFields; jsonlog's
		// flattener reads them back with integers as int64, several times
		// faster than encoding/json (reading events back is most of a
		// retro-hunt's cost).
		if keep != nil {
			out := event.Fields{}
			if jsonlog.FlattenStringKeys(x, out, keep) != nil {
				return nil
			}
			return out
		}
		// Sized by its keys (each is followed by `":`; a value holding
		// that only oversizes the map): a fixed guess either grows the
		// table or clears more memory than the event needs.
		out := make(event.Fields, min(strings.Count(x, `":`), 256))
		if jsonlog.FlattenString(x, out) != nil {
			return nil
		}
		return out
	default:
		return nil
	}
	out := make(event.Fields, len(m))
	for k, val := range m {
		if keep != nil && !keep.Has(k) {
			continue
		}
		out[k] = restoreNumber(val)
	}
	return out
}

func restoreNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = restoreNumber(x[i])
		}
		return x
	}
	return v
}

// Partitions implements store.EventStore.
func (s *Store) Partitions(ctx context.Context, tenant string) ([]store.Partition, error) {
	tables := s.tablesFor(tenant, time.Time{}, time.Time{})
	var out []store.Partition
	for i := len(tables) - 1; i >= 0; i-- {
		var p store.Partition
		var day time.Time
		err := s.db.QueryRowContext(ctx, `SELECT day FROM partitions WHERE tbl = ? AND tenant = ?`, tables[i], tenant).Scan(&day)
		if err != nil {
			return nil, fmt.Errorf("event store: partitions: %w", err)
		}
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+tables[i]).Scan(&p.Events); err != nil {
			return nil, fmt.Errorf("event store: partitions: %w", err)
		}
		p.Day = day.UTC()
		out = append(out, p)
	}
	return out, nil
}

// DropPartition implements store.EventStore.
func (s *Store) DropPartition(ctx context.Context, tenant string, day time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := partKey{tenant, day.UTC().Truncate(24 * time.Hour).Unix()}
	tbl, ok := s.parts[key]
	if !ok {
		return store.ErrNotFound
	}
	if app, ok := s.appenders[tbl]; ok {
		app.Close()
		delete(s.appenders, tbl)
	}
	if _, err := s.writer.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	if _, err := s.writer.ExecContext(ctx, "DROP TABLE "+tbl); err != nil {
		s.writer.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("event store: drop %s: %w", tbl, err)
	}
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM token_blocks WHERE tbl = ?`, tbl); err != nil {
		s.writer.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("event store: drop %s: %w", tbl, err)
	}
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM partitions WHERE tbl = ?`, tbl); err != nil {
		s.writer.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("event store: drop %s: %w", tbl, err)
	}
	if _, err := s.writer.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	delete(s.parts, key)
	return nil
}

// Close flushes appenders and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tbl, app := range s.appenders {
		app.Close()
		delete(s.appenders, tbl)
	}
	if s.writer != nil {
		s.writer.Close()
	}
	return s.db.Close()
}

// ArchivePartition implements store.EventStore: COPY to Parquet with zstd.
func (s *Store) ArchivePartition(ctx context.Context, tenant string, day time.Time, path string) (int64, error) {
	s.mu.Lock()
	tbl, ok := s.parts[partKey{tenant, day.UTC().Truncate(24 * time.Hour).Unix()}]
	s.mu.Unlock()
	if !ok {
		return 0, store.ErrNotFound
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, fmt.Errorf("event store: archive folder: %w", err)
	}
	// COPY takes no parameters for its target; the path is Yagura's own
	// (data folder + validated tenant + date), and quotes are doubled anyway.
	quoted := sqlLiteral(path)
	if _, err := s.db.ExecContext(ctx, "COPY (SELECT * FROM "+tbl+" ORDER BY ts) TO "+quoted+" (FORMAT PARQUET, COMPRESSION ZSTD)"); err != nil {
		return 0, fmt.Errorf("event store: archive %s: %w", tbl, err)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+quoted+")").Scan(&n); err != nil {
		return 0, fmt.Errorf("event store: check archive %s: %w", path, err)
	}
	return n, nil
}

// Coverage implements store.EventStore.
func (s *Store) Coverage(ctx context.Context, tenant string, from, to time.Time) ([]store.CoverageRow, error) {
	q := store.EventQuery{Tenant: tenant, From: from, To: to}
	tables := s.tablesFor(tenant, from, to)
	if len(tables) == 0 {
		return nil, nil
	}
	where, args := whereClause(q)
	rows, err := s.db.QueryContext(ctx, `SELECT CAST(ts AS DATE) AS day, coalesce(source, ''), coalesce(dataset, ''), count(*)
		FROM (`+unionOf(tables, where)+`) GROUP BY ALL ORDER BY day, 2, 3`, repeatArgs(args, len(tables))...)
	if err != nil {
		return nil, fmt.Errorf("event store: coverage: %w", err)
	}
	defer rows.Close()
	var out []store.CoverageRow
	for rows.Next() {
		var r store.CoverageRow
		if err := rows.Scan(&r.Day, &r.Source, &r.Dataset, &r.Events); err != nil {
			return nil, err
		}
		r.Day = r.Day.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
