// Package cloudtrail parses AWS CloudTrail records: one event object per
// record (as CloudWatch Logs, EventBridge and most shippers deliver them),
// or the {"Records":[…]} files CloudTrail writes to S3, split by Records.
// Nested objects are flattened to dotted keys ("userIdentity.arn");
// eventTime (or a shipper's @timestamp) is the record time.
//
// Pure functions: no I/O, no shared state, never panics.
package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
)

// Format is the record format name.
const Format = "cloudtrail"

// Parser parses one CloudTrail event.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether a JSON object is a CloudTrail event or file.
func Looks(data []byte) bool {
	s := data[:min(len(data), 2000)] // bytes, not a string copy: this runs on every JSON line
	return bytes.HasPrefix(s, []byte(`{"Records":`)) ||
		(bytes.Contains(s, []byte(`"eventSource"`)) && bytes.Contains(s, []byte(`"eventName"`)) &&
			(bytes.Contains(s, []byte(`"awsRegion"`)) || bytes.Contains(s, []byte(`"eventVersion"`))))
}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	f := make(event.Fields, 32)
	if err := jsonlog.Flatten(data, f); err != nil {
		return parse.Record{}, fmt.Errorf("cloudtrail: %w", err)
	}
	if _, ok := f["eventName"]; !ok {
		if _, file := f["Records"]; file {
			return parse.Record{}, fmt.Errorf("cloudtrail: a Records file holds many events: split it with cloudtrail.Records")
		}
		return parse.Record{}, fmt.Errorf("cloudtrail: no eventName: not a CloudTrail event")
	}
	// Shippers (Logstash, Beats) that drop eventTime leave @timestamp.
	return parse.Record{Format: Format, Time: jsonlog.TimeOf(f, "eventTime", "@timestamp"), Fields: f}, nil
}

// Records parses a {"Records":[…]} file into one record per event.
func Records(data []byte) ([]parse.Record, error) {
	var file struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("cloudtrail: not a {\"Records\":[…]} file: %w", err)
	}
	out := make([]parse.Record, 0, len(file.Records))
	for i, r := range file.Records {
		rec, err := Parser{}.Parse(r)
		if err != nil {
			return out, fmt.Errorf("cloudtrail: record %d: %w", i, err)
		}
		out = append(out, rec)
	}
	return out, nil
}
