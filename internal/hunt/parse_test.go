package hunt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParse covers every production: the canonical form printed back
// shows the tree the parser built.
func TestParse(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// filters
		{"empty", "", ""},
		{"only spaces", "  \t ", ""},
		{"bare word", "mimikatz", "mimikatz"},
		{"bare phrase", `"logon failed"`, `"logon failed"`},
		{"phrase escapes", `"say \"hi\" C:\dir\\"`, `"say \"hi\" C:\\dir\\"`},
		{"bare wildcard", "mimi*", "mimi*"},
		{"field value", "user.name:alice", "user.name:alice"},
		{"field phrase", `user.name:"alice smith"`, `user.name:"alice smith"`},
		{"quoted wildcard is literal", `f:"a*"`, `f:"a*"`},
		{"field wildcard", "host.name:ws-0?", "host.name:ws-0?"},
		{"windows path value", `process.executable:C:\Windows\*`, `process.executable:C:\Windows\*`},
		{"value with colons", "destination.ip:2001:db8::1", "destination.ip:2001:db8::1"},
		{"greater", "bytes:>10", "bytes:>10"},
		{"greater or equal", "bytes:>=10", "bytes:>=10"},
		{"less", "bytes:<10", "bytes:<10"},
		{"less or equal", "bytes:<=10", "bytes:<=10"},
		{"compare phrase", `name:>"a b"`, `name:>"a b"`},
		{"range", "bytes:[10 TO 20]", "bytes:[10 TO 20]"},
		{"range open low", "bytes:[* TO 20]", "bytes:[* TO 20]"},
		{"range open high", "bytes:[10 TO *]", "bytes:[10 TO *]"},
		{"range quoted", `name:["a b" TO c]`, `name:["a b" TO c]`},
		{"range spaces", "bytes:[ 1  TO  2 ]", "bytes:[1 TO 2]"},
		{"cidr", "source.ip:10.0.0.0/8", "source.ip:10.0.0.0/8"},
		{"cidr is masked", "source.ip:10.1.2.3/8", "source.ip:10.0.0.0/8"},
		{"a slash starts a regex", "url.path:/var/log/x", "url.path:/var/ AND log/x"},
		{"quoted path", `url.path:"/var/log/x"`, `url.path:"/var/log/x"`},
		{"path with digits is not cidr", "url.path:a/10", "url.path:a/10"},
		{"regex", `user.name:/^adm(in)?\d+$/`, `user.name:/^adm(in)?\d+$/`},
		{"regex slash", `url.path:/a\/b/`, `url.path:/a\/b/`},
		{"exists", "user.name:*", "user.name:*"},
		{"and", "a:1 AND b:2", "a:1 AND b:2"},
		{"adjacent is and", "a:1 b:2 c", "a:1 AND b:2 AND c"},
		{"or", "a:1 OR b:2", "a:1 OR b:2"},
		{"and binds tighter than or", "a:1 OR b:2 c:3", "a:1 OR b:2 AND c:3"},
		{"not", "NOT a:1", "NOT a:1"},
		{"not not", "NOT NOT a:1", "NOT NOT a:1"},
		{"not binds tighter than and", "NOT a:1 b:2", "NOT a:1 AND b:2"},
		{"parentheses", "(a:1 OR b:2) c:3", "(a:1 OR b:2) AND c:3"},
		{"nested parentheses", "((a))", "a"},
		{"right-nested and", "a (b c)", "a AND (b AND c)"},
		{"right-nested or", "a OR (b OR c)", "a OR (b OR c)"},
		{"not of a group", "NOT (a OR b) c", "NOT (a OR b) AND c"},
		{"lower-case and is a word", "a and b", "a AND and AND b"},
		{"keyword as field", "AND:1", "AND:1"},
		{"unicode", "user.name:ユーザー 検索", "user.name:ユーザー AND 検索"},
		// stages
		{"where filter", "| where a:1", "| where a:1"},
		{"where compare", "| where n > 5", "| where n:>5"},
		{"where compare no spaces", "| where n>=5", "| where n:>=5"},
		{"where equals", "| where user.name = alice", "| where user.name:alice"},
		{"where double equals wildcard", "| where user.name == adm*", "| where user.name:adm*"},
		{"where not equals", `| where user.name != "a b"`, `| where NOT user.name:"a b"`},
		{"where boolean", "| where n > 5 AND (x:1 OR NOT y < 2)", "| where n:>5 AND (x:1 OR NOT y:<2)"},
		{"stats count", "| stats count()", "| stats count()"},
		{"stats all", "| stats count(), count(a), dc(a), sum(b), avg(b), min(b), max(b), values(c)",
			"| stats count(), count(a), dc(a), sum(b), avg(b), min(b), max(b), values(c)"},
		{"stats as by", "| stats count() as n, dc(source.ip) as ips by user.name, host.name",
			"| stats count() as n, dc(source.ip) as ips by user.name, host.name"},
		{"sort", "| sort -count, host.name", "| sort -count, host.name"},
		{"head default", "| head", "| head 10"},
		{"head n", "| head 5", "| head 5"},
		{"fields", "| fields @timestamp, user.name", "| fields @timestamp, user.name"},
		{"dedup", "| dedup user.name, host.name", "| dedup user.name, host.name"},
		{"top", "| top user.name", "| top 10 user.name"},
		{"top n", "| top 3 user.name", "| top 3 user.name"},
		{"rare n", "| rare 3 process.name", "| rare 3 process.name"},
		{"timechart default span", "| timechart count()", "| timechart span=1h count()"},
		{"timechart", "| timechart span=15m count() by host.name", "| timechart span=15m count() by host.name"},
		{"timechart days", "| timechart span=1d dc(user.name)", "| timechart span=1d dc(user.name)"},
		{"filter and stages", "event.code:4625 | stats count() by user.name | sort -count | head 5",
			"event.code:4625 | stats count() by user.name | sort -count | head 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if got := q.String(); got != c.want {
				t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
			}
			// The printed form parses to the same tree.
			again, err := Parse(q.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", q.String(), err)
			}
			if again.String() != q.String() {
				t.Errorf("reparse of %q gave %q", q.String(), again.String())
			}
		})
	}
}

func TestParseTermKinds(t *testing.T) {
	cases := []struct {
		in   string
		kind TermKind
	}{
		{"a", TermWord}, {`"a b"`, TermWord}, {"f:a", TermMatch}, {`f:"a*"`, TermMatch},
		{"f:a*", TermWildcard}, {"f:a?", TermWildcard}, {"f:>1", TermCompare}, {"f:[1 TO 2]", TermRange},
		{"f:10.0.0.0/8", TermCIDR}, {"f:/a/", TermRegex}, {"f:*", TermExists},
	}
	for _, c := range cases {
		q, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if term, ok := q.Filter.(*Term); !ok || term.Kind != c.kind {
			t.Errorf("Parse(%q) = %#v, want kind %d", c.in, q.Filter, c.kind)
		}
	}
}

// TestParseErrors checks that every error names the right column and says
// what to do.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		col  int
		want string
	}{
		{"user.name: alice", 11, "has no value"},
		{"user.name:", 11, "has no value"},
		{":alice", 1, "without a field name"},
		{"a:1 :b", 5, "without a field name"},
		{`"unterminated`, 1, "unterminated quoted phrase"},
		{`f:"unterminated`, 3, "unterminated quoted phrase"},
		{"f:/abc", 3, "unterminated regular expression"},
		{"f:/a(/", 3, "invalid regular expression"},
		{"(a:1", 5, "expected ')' to close the '(' at column 1"},
		{"a:1)", 4, "')' without a matching '('"},
		{"()", 2, "')' where a term was expected"},
		{"AND a", 1, "AND needs a term on its left"},
		{"a OR", 5, "ends where a term was expected"},
		{"NOT", 4, "ends where a term was expected"},
		{"a:(b", 3, "unexpected '(' after a:"},
		{"f:>", 4, "needs a value after it"},
		{"f:[1 TO", 8, "expected a bound"},
		{"f:[1 2]", 6, "expected TO"},
		{"f:[1 TO 2", 10, "expected ']' to close the range opened at column 3"},
		{"f:[* TO *]", 3, "open at both ends"},
		{"f:1.2.3.4/33", 3, "not a valid CIDR block"},
		{"f:2001:db8::/32", 3, "only IPv4 CIDR blocks"},
		{"a |", 4, "expected a stage"},
		{"| frobnicate", 3, `unknown stage "frobnicate"`},
		{"| stats", 8, "needs an aggregation"},
		{"| stats median(x)", 9, "needs an aggregation"},
		{"| stats count", 14, "expected '(' after count"},
		{"| stats count(a", 16, "expected ')' to close count("},
		{"| stats sum()", 9, "sum() needs a field"},
		{"| stats count(), count()", 18, `two columns named "count"`},
		{"| stats count() by", 19, "needs field names"},
		{"| stats count() by a b", 22, "unexpected \"b\" at the end of stats"},
		{"| stats count() as", 19, "expected a name after 'as'"},
		{"| sort", 7, "sort needs field names"},
		{"| sort -", 8, `unexpected '-'`},
		{"| head 0", 8, "head takes a count from 1 to"},
		{"| head 99999999", 8, "head takes a count from 1 to"},
		{"| head x", 8, `unexpected "x" at the end of head`},
		{"| fields", 9, "fields needs field names"},
		{"| fields a,", 12, "fields needs field names"},
		{"| dedup 5", 9, "dedup needs field names"},
		{"| top", 6, "top needs a field name"},
		{"| rare 0 x", 8, "rare takes a count"},
		{"| timechart span=1x count()", 18, "span"},
		{"| timechart span=0s count()", 18, "span"},
		{"| timechart span 1h count()", 18, "expected '=' after span"},
		{"| timechart count() by", 23, "needs one field name"},
		{"| where", 8, "ends where a term was expected"},
		{"| where n >", 12, "needs a value after it"},
		{"| where n ! 3", 11, "'!' is not an operator"},
		{"| where > 3", 9, `">" needs a field name`},
		{"a:1 | where x:1 )", 17, "')' without a matching '('"},
		{"| fields a; b", 11, "unexpected ';' in a pipe stage"},
		{"a:1 \xff", 5, "not valid UTF-8"},
		{"a:\x00", 3, "NUL byte"},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), 65, "nested deeper than 64"},
		{strings.Repeat("NOT ", 70) + "a", 257, "nested deeper than 64"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", c.in, err)
			}
			if e.Column() != c.col || !strings.Contains(e.Msg, c.want) {
				t.Errorf("Parse(%q) = column %d %q, want column %d containing %q", c.in, e.Column(), e.Msg, c.col, c.want)
			}
		})
	}
}

func TestParseTooLong(t *testing.T) {
	_, err := Parse(strings.Repeat("a ", MaxQueryLength))
	if err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorCaret(t *testing.T) {
	_, err := Parse("user.name:ü x:")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	want := "user.name:ü x:\n              ^ x: has no value: write x:value (no space after ':'), x:\"a phrase\" or x:* for any value"
	if got := e.Caret(); got != want {
		t.Errorf("Caret =\n%s\nwant\n%s", got, want)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"now", now},
		{"-24h", now.Add(-24 * time.Hour)},
		{"-7d", now.Add(-7 * 24 * time.Hour)},
		{"-15m", now.Add(-15 * time.Minute)},
		{"now-1h", now.Add(-time.Hour)},
		{"-1h30m", now.Add(-90 * time.Minute)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00+09:00", time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "-", "-0h", "+1h", "24h", "-5x"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

func TestHistogramSpan(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		d    time.Duration
		want time.Duration
	}{
		{time.Hour, time.Minute}, {24 * time.Hour, 15 * time.Minute}, {7 * 24 * time.Hour, 3 * time.Hour},
		{30 * 24 * time.Hour, 12 * time.Hour}, {365 * 24 * time.Hour, 7 * 24 * time.Hour},
	}
	for _, c := range cases {
		if got := HistogramSpan(base, base.Add(c.d)); got != c.want {
			t.Errorf("HistogramSpan(%v) = %v, want %v", c.d, got, c.want)
		}
	}
	if got := HistogramSpan(time.Time{}, base); got != 24*time.Hour {
		t.Errorf("unbounded span = %v", got)
	}
}

func TestParseTooManyTerms(t *testing.T) {
	_, err := Parse(strings.Repeat("a ", maxTerms+1))
	if err == nil || !strings.Contains(err.Error(), "more than 512 terms") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse(strings.Repeat("a ", maxTerms)); err != nil {
		t.Fatalf("%d terms refused: %v", maxTerms, err)
	}
}
