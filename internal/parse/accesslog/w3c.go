package accesslog

import (
	"fmt"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// W3C reads IIS and other W3C extended log files line by line: "#Fields:"
// names the space-separated columns of the data lines that follow, and a
// new "#Fields:" replaces them. Fields keep their W3C names (cs-method,
// cs-uri-stem, c-ip, sc-status …), which Sigma's webserver rules use; "-"
// means empty and is left out. date and time are UTC, as IIS writes them.
type W3C struct {
	fields []string
}

// Line parses one line. Directive lines update the state and return
// ok=false; so do blank lines.
func (w *W3C) Line(line []byte) (rec parse.Record, ok bool, err error) {
	s := strings.TrimRight(string(line), "\r\n")
	if strings.TrimSpace(s) == "" {
		return parse.Record{}, false, nil
	}
	if s[0] == '#' {
		if names, found := strings.CutPrefix(s, "#Fields:"); found {
			w.fields = strings.Fields(names)
		}
		return parse.Record{}, false, nil
	}
	if len(w.fields) == 0 {
		return parse.Record{}, false, fmt.Errorf("accesslog: W3C data line before the #Fields: directive")
	}
	cols := strings.Split(s, " ")
	if len(cols) != len(w.fields) {
		return parse.Record{}, false, fmt.Errorf("accesslog: W3C line has %d columns, #Fields names %d", len(cols), len(w.fields))
	}
	f := make(event.Fields, len(cols)+1)
	for i, v := range cols {
		if v != "-" && v != "" {
			f[w.fields[i]] = v
		}
	}
	var ts time.Time
	if d, t := f["date"], f["time"]; d != nil && t != nil {
		if ts, err = time.Parse("2006-01-02 15:04:05", d.(string)+" "+t.(string)); err != nil {
			return parse.Record{}, false, fmt.Errorf("accesslog: W3C date/time %v %v are not yyyy-mm-dd hh:mm:ss", d, t)
		}
	}
	return parse.Record{Format: Format, Time: ts, Fields: f}, true, nil
}
