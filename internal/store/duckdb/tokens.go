package duckdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
)

// The token skip index. Every append batch records, per partition, the
// range of rowids it wrote and a Bloom filter of the words (runs of ASCII
// letters, digits and underscore, lower-cased) of its raw lines and
// messages. A search for a bare word reads the filters of the partitions
// in its range first and leaves out of the scan every block whose filter
// lacks one of the word's tokens: a rare word reads a few blocks of raw
// text instead of all of them.
//
// The filters are built by Prepare, on the caller's goroutine (the
// pipeline's workers), not by the serial writer, which only inserts one row
// per batch and partition. Rows with no block (written before the index
// existed) are always scanned, so the index can only make a search faster,
// never change its answer. Partitions are append-only, so a rowid range
// stays valid until the partition is dropped, and its blocks with it.

const tokenBlocksDDL = `CREATE TABLE IF NOT EXISTS token_blocks (
	tbl VARCHAR NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL, bloom BLOB NOT NULL)`

// bloomHashes is the number of bit positions per token; with ten bits per
// distinct token it gives about one false positive in a hundred blocks.
const (
	bloomHashes  = 7
	bloomBitsPer = 10
)

// IsWordByte reports whether b belongs to a token: ASCII letters, digits
// and underscore, the \w of RE2, so that a token search and the \b of the
// compiled pattern agree on where words end. The hunt compiler splits a
// query's words with it, so both sides share one definition.
func IsWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// wordFold maps a byte to itself lower-cased when it belongs to a token
// and to 0 when it does not: one load per byte instead of IsWordByte's
// comparisons and a case test.
var wordFold = func() (t [256]byte) {
	for c := range 256 {
		switch b := byte(c); {
		case b >= 'A' && b <= 'Z':
			t[c] = b + 'a' - 'A'
		case IsWordByte(b):
			t[c] = b
		}
	}
	return t
}()

// eachToken calls fn with the FNV-1a hash of every lower-cased token of s
// (never 0: the token set keeps 0 for an empty slot).
func eachToken(s string, fn func(h uint64)) {
	const offset, prime = 14695981039346656037, 1099511628211
	h, in := uint64(offset), false
	for i := 0; i < len(s); i++ {
		c := wordFold[s[i]]
		if c == 0 {
			if in {
				fn(max(h, 1))
				h, in = offset, false
			}
			continue
		}
		h = (h ^ uint64(c)) * prime
		in = true
	}
	if in {
		fn(max(h, 1))
	}
}

// tokenHash is the hash the index keeps for one token (already a word).
func tokenHash(tok string) uint64 {
	var out uint64
	eachToken(tok, func(h uint64) { out = h })
	return out
}

// bloom is a Bloom filter over token hashes, stored as little-endian
// 64-bit words.
type bloom []uint64

func newBloom(distinct int) bloom {
	return make(bloom, max(16, (distinct*bloomBitsPer+63)/64))
}

func (b bloom) add(h uint64) {
	n := uint64(len(b)) * 64
	h1, h2 := h, h>>31|1
	for i := uint64(0); i < bloomHashes; i++ {
		bit := (h1 + i*h2) % n
		b[bit/64] |= 1 << (bit % 64)
	}
}

func (b bloom) has(h uint64) bool {
	n := uint64(len(b)) * 64
	h1, h2 := h, h>>31|1
	for i := uint64(0); i < bloomHashes; i++ {
		bit := (h1 + i*h2) % n
		if b[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func (b bloom) bytes() []byte {
	out := make([]byte, 8*len(b))
	for i, w := range b {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

func bloomFrom(p []byte) bloom {
	b := make(bloom, len(p)/8)
	for i := range b {
		b[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
	return b
}

// tokenSet collects the distinct token hashes of texts (an open-addressing
// set: a Go map costs several times as much per token), then sizes and
// fills a filter for them.
type tokenSet struct {
	slots []uint64 // 0 is an empty slot (eachToken never gives 0)
	n     int
}

func newTokenSet(hint int) *tokenSet {
	size := 1024
	for size < 2*hint {
		size *= 2
	}
	return &tokenSet{slots: make([]uint64, size)}
}

func (t *tokenSet) add(h uint64) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case h:
			return
		case 0:
			t.slots[i] = h
			t.n++
			if 2*t.n > len(t.slots) {
				t.grow()
			}
			return
		}
	}
}

func (t *tokenSet) grow() {
	old := t.slots
	t.slots, t.n = make([]uint64, 2*len(old)), 0
	for _, h := range old {
		if h != 0 {
			t.add(h)
		}
	}
}

func (t *tokenSet) addText(s string) { eachToken(s, t.add) }

func (t *tokenSet) bloom() []byte {
	b := newBloom(t.n)
	for _, h := range t.slots {
		if h != 0 {
			b.add(h)
		}
	}
	return b.bytes()
}

// eventTokens is the filter of a batch's raw lines and messages.
func eventTokens(events []*event.Event) []byte {
	set := newTokenSet(16 * len(events))
	for _, ev := range events {
		set.addText(ev.Raw)
		if m, ok := ev.ECS["message"].(string); ok && !tokensWithin(ev.Raw, m) {
			set.addText(m)
		}
	}
	return set.bloom()
}

// tokensWithin reports whether every token of sub is a token of s: sub
// occurs in s and does not start or end inside one of s's words. A syslog
// line's message is the end of its raw text, read once instead of twice.
func tokensWithin(s, sub string) bool {
	if sub == "" {
		return true
	}
	i := strings.Index(s, sub)
	if i < 0 {
		return false
	}
	end := i + len(sub)
	startsClean := i == 0 || wordFold[s[i-1]] == 0 || wordFold[sub[0]] == 0
	endsClean := end == len(s) || wordFold[s[end]] == 0 || wordFold[sub[len(sub)-1]] == 0
	return startsClean && endsClean
}

// blockNotes counts, during one append, the rows each batch writes to
// each partition (batches write their rows in order, mostly to one
// partition), and each partition's row count before the append: its next
// rowid, since partitions are append-only.
type blockNotes struct {
	spans []blockSpan
	next  map[string]int64
}

type blockSpan struct {
	batch int
	tbl   string
	rows  int64
}

// add notes one row of batch written to tbl, before it is appended.
func (n *blockNotes) add(ctx context.Context, w *sql.Conn, batch int, tbl string) error {
	if k := len(n.spans) - 1; k >= 0 && n.spans[k].batch == batch && n.spans[k].tbl == tbl {
		n.spans[k].rows++
		return nil
	}
	if n.next == nil {
		n.next = map[string]int64{}
	}
	if _, ok := n.next[tbl]; !ok {
		// tbl comes from the partitions catalog (ev_N), never a caller.
		var rows int64
		if err := w.QueryRowContext(ctx, "SELECT count(*) FROM "+tbl).Scan(&rows); err != nil {
			return fmt.Errorf("token index: rows of %s: %w", tbl, err)
		}
		n.next[tbl] = rows
	}
	n.spans = append(n.spans, blockSpan{batch, tbl, 1})
	return nil
}

// record inserts the blocks of the append, inside its transaction.
func (n *blockNotes) record(ctx context.Context, w *sql.Conn, blooms [][]byte) error {
	for _, sp := range n.spans {
		lo := n.next[sp.tbl]
		n.next[sp.tbl] = lo + sp.rows
		if blooms[sp.batch] == nil {
			continue
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO token_blocks VALUES (?, ?, ?, ?)`, sp.tbl, lo, lo+sp.rows-1, blooms[sp.batch]); err != nil {
			return fmt.Errorf("token index: %w", err)
		}
	}
	return nil
}

// skipRanges lists the rowid ranges of tbl whose blocks hold none of the
// rows that could match: a block is skipped when its filter lacks one of
// tokens. Adjacent skipped blocks are merged.
func (s *Store) skipRanges(ctx context.Context, tbl string, tokens []string) ([][2]int64, error) {
	hashes := make([]uint64, len(tokens))
	for i, t := range tokens {
		hashes[i] = tokenHash(t)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT lo, hi, bloom FROM token_blocks WHERE tbl = ? ORDER BY lo`, tbl)
	if err != nil {
		return nil, fmt.Errorf("token index: %w", err)
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var lo, hi int64
		var raw []byte
		if err := rows.Scan(&lo, &hi, &raw); err != nil {
			return nil, fmt.Errorf("token index: %w", err)
		}
		b := bloomFrom(raw)
		skip := false
		for _, h := range hashes {
			if !b.has(h) {
				skip = true
				break
			}
		}
		if !skip {
			continue
		}
		if k := len(out) - 1; k >= 0 && out[k][1]+1 == lo {
			out[k][1] = hi
		} else {
			out = append(out, [2]int64{lo, hi})
		}
	}
	return out, rows.Err()
}

// skipPredicate is " AND NOT (rowid BETWEEN … OR …)" for the ranges, with
// its arguments.
func skipPredicate(ranges [][2]int64) (string, []any) {
	if len(ranges) == 0 {
		return "", nil
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(ranges))
	b.WriteString(" AND NOT (")
	for i, r := range ranges {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("rowid BETWEEN ? AND ?")
		args = append(args, r[0], r[1])
	}
	b.WriteString(")")
	return b.String(), args
}

// IndexTokens builds token blocks for the rows of every partition that no
// block covers (rows written before the index existed), blockRows rows
// at a time, and answers how many rows it indexed. It reads the raw text
// of those rows once; searches stay correct while it runs.
func (s *Store) IndexTokens(ctx context.Context, blockRows int64) (int64, error) {
	if blockRows <= 0 {
		blockRows = 50_000
	}
	var done int64
	for _, tbl := range s.tables() {
		n, err := s.indexTable(ctx, tbl, blockRows)
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (s *Store) indexTable(ctx context.Context, tbl string, blockRows int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var count int64
	if err := s.writer.QueryRowContext(ctx, "SELECT count(*) FROM "+tbl).Scan(&count); err != nil {
		return 0, fmt.Errorf("token index: %s: %w", tbl, err)
	}
	rows, err := s.writer.QueryContext(ctx, `SELECT lo, hi FROM token_blocks WHERE tbl = ? ORDER BY lo`, tbl)
	if err != nil {
		return 0, fmt.Errorf("token index: %s: %w", tbl, err)
	}
	var gaps [][2]int64
	var at int64
	for rows.Next() {
		var lo, hi int64
		if err := rows.Scan(&lo, &hi); err != nil {
			rows.Close()
			return 0, err
		}
		if lo > at {
			gaps = append(gaps, [2]int64{at, lo - 1})
		}
		at = max(at, hi+1)
	}
	rows.Close()
	if at < count {
		gaps = append(gaps, [2]int64{at, count - 1})
	}
	var done int64
	for _, g := range gaps {
		for lo := g[0]; lo <= g[1]; lo += blockRows {
			hi := min(lo+blockRows-1, g[1])
			set := newTokenSet(int(16 * (hi - lo + 1)))
			r, err := s.writer.QueryContext(ctx, "SELECT raw, message FROM "+tbl+" WHERE rowid BETWEEN ? AND ?", lo, hi)
			if err != nil {
				return done, fmt.Errorf("token index: %s: %w", tbl, err)
			}
			for r.Next() {
				var raw, msg *string
				if err := r.Scan(&raw, &msg); err != nil {
					r.Close()
					return done, err
				}
				if raw != nil {
					set.addText(*raw)
				}
				if msg != nil {
					set.addText(*msg)
				}
			}
			r.Close()
			if _, err := s.writer.ExecContext(ctx, `INSERT INTO token_blocks VALUES (?, ?, ?, ?)`, tbl, lo, hi, set.bloom()); err != nil {
				return done, fmt.Errorf("token index: %s: %w", tbl, err)
			}
			done += hi - lo + 1
		}
	}
	return done, nil
}
