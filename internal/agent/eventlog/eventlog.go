// Package eventlog is the host agent's Windows Event Log input. It reads
// channels (Security, System, Microsoft-Windows-Sysmon/Operational,
// Microsoft-Windows-PowerShell/Operational, …) through the Event Log API,
// renders each event as the XML Windows shows, and ships its fields as a
// JSON object with format "winevent" — the shape the EVTX input ships — so
// the server parses and normalizes it like any Windows event.
//
// Each channel resumes after the last EventRecordID it shipped; a channel
// with no saved position starts at its newest record, as a new journald
// input starts at the end of the journal. A channel whose records restart
// below the saved id was cleared, and is read from its start. On systems
// other than Windows, Run returns ErrUnavailable.
package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

// Format is the parser name the records carry.
const Format = "winevent"

// ErrUnavailable means the Event Log API does not exist on this system.
var ErrUnavailable = errors.New("the Windows Event Log API is not available on this system: eventlog input skipped")

// Position is how far a channel was read.
type Position struct {
	Channel  string `json:"channel"`
	RecordID uint64 `json:"record_id"`
}

// Key is the checkpoint key of a channel.
func Key(channel string) string { return "eventlog:" + channel }

// Config is one Event Log input.
type Config struct {
	Channels    []string
	Checkpoints map[string]Position
	Poll        time.Duration // default 2s
	Log         *slog.Logger
}

// batchSize is how many events one read renders.
const batchSize = 256

// api is the Event Log API as the input uses it.
type api interface {
	// Read renders up to max events of channel whose record id is above
	// after, oldest first, as XML.
	Read(channel string, after uint64, max int) ([][]byte, error)
	// Newest is the channel's newest record id (0 when it is empty).
	Newest(channel string) (uint64, error)
}

// Run follows the channels until ctx ends.
func Run(ctx context.Context, cfg Config, out chan<- []input.Record) error {
	a, err := openAPI()
	if err != nil {
		return err
	}
	return run(ctx, cfg, a, out)
}

func run(ctx context.Context, cfg Config, a api, out chan<- []input.Record) error {
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	last := map[string]uint64{}
	for _, ch := range cfg.Channels {
		if p, ok := cfg.Checkpoints[Key(ch)]; ok {
			last[ch] = p.RecordID
			continue
		}
		newest, err := a.Newest(ch)
		if err != nil {
			return fmt.Errorf("eventlog input: channel %q: %w", ch, err)
		}
		last[ch] = newest
	}
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for {
		for _, ch := range cfg.Channels {
			if err := readChannel(ctx, a, ch, last, out); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if cfg.Log != nil {
					cfg.Log.Warn("eventlog input: read failed", "channel", ch, "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// readChannel ships the channel's events above its saved record id.
func readChannel(ctx context.Context, a api, ch string, last map[string]uint64, out chan<- []input.Record) error {
	if newest, err := a.Newest(ch); err == nil && newest < last[ch] {
		last[ch] = 0 // cleared: its ids start again
	}
	for {
		events, err := a.Read(ch, last[ch], batchSize)
		if err != nil {
			return err
		}
		recs := make([]input.Record, 0, len(events))
		for _, x := range events {
			fields, err := Fields(x)
			if err != nil {
				continue // not an event Windows would render; nothing to ship
			}
			data, err := json.Marshal(fields)
			if err != nil {
				continue
			}
			if id := recordID(fields); id > last[ch] {
				last[ch] = id
			}
			recs = append(recs, input.Record{Source: "eventlog:" + ch, Format: Format, Data: data,
				Key: Key(ch), Pos: Position{Channel: ch, RecordID: last[ch]}})
		}
		if len(recs) > 0 {
			select {
			case out <- recs:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if len(events) < batchSize {
			return nil
		}
	}
}
