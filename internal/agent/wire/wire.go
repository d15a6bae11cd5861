// Package wire is the protocol between the host agent (cmd/yagura-agent)
// and the server: the JSON bodies of enrollment and heartbeat, and the
// binary batch format the agent posts (gzip-compressed) to
// /api/v1/agents/batch.
//
// Both sides import it, so it must stay tiny and free of dependencies on
// other Yagura packages: the agent binary links nothing of the server.
// Decoding never panics on input; it returns an error naming the problem.
package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Paths of the agent endpoints.
const (
	PathEnroll    = "/api/v1/agents/enroll"
	PathHeartbeat = "/api/v1/agents/heartbeat"
	PathBatch     = "/api/v1/agents/batch"
)

// SecretPrefix marks agent secrets so secret scanners find leaks.
const SecretPrefix = "yga_"

// EnrollRequest is what an agent says about itself when it enrolls.
type EnrollRequest struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Version  string `json:"version"`
}

// EnrollResponse is the agent's identity. Secret is shown only here.
type EnrollResponse struct {
	AgentID string `json:"agent_id"`
	Tenant  string `json:"tenant"`
	Secret  string `json:"secret"`
	// CommandKey is the server's ed25519 public key: the agent obeys only
	// commands signed with it.
	CommandKey []byte `json:"command_key"`
}

// Heartbeat is an agent's report about itself.
type Heartbeat struct {
	Version         string  `json:"version"`
	UptimeSeconds   int64   `json:"uptime_seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	BufferBatches   int64   `json:"buffer_batches"`
	BufferBytes     int64   `json:"buffer_bytes"`
	BufferFull      bool    `json:"buffer_full"`
	Dropped         int64   `json:"dropped"`
	Errors          int64   `json:"errors"`
	LastError       string  `json:"last_error,omitempty"`
	ConfigVersion   int64   `json:"config_version"`
	// Results report commands carried out (or refused) since the last
	// heartbeat the server answered.
	Results []CommandResult `json:"results,omitempty"`
}

// FileInput is one file input: a glob, an optional multi-line start
// pattern and an optional parser name.
type FileInput struct {
	Glob      string `json:"glob"`
	Multiline string `json:"multiline,omitempty"`
	Format    string `json:"format,omitempty"`
}

// Config is what an agent collects; the server sends it with every
// heartbeat answer and the agent applies a new Version without restarting.
type Config struct {
	Version  int64       `json:"version"`
	Files    []FileInput `json:"files"`
	Journald bool        `json:"journald"`
	Audit    bool        `json:"audit"`
	// EventLog names the Windows Event Log channels to read (Windows
	// agents; others report that the API is missing).
	EventLog []string `json:"eventlog,omitempty"`
}

// HeartbeatResponse answers a heartbeat.
type HeartbeatResponse struct {
	Config   Config          `json:"config"`
	Commands []SignedCommand `json:"commands,omitempty"`
}

// BatchResponse answers a batch. Duplicate says the server had already
// stored this sequence number and stored nothing again.
type BatchResponse struct {
	Seq       uint64 `json:"seq"`
	Accepted  int    `json:"accepted"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Record is one log record in a batch.
type Record struct {
	Source string // where it came from: a file path, "journald"
	Format string // parser name; empty means auto-detect
	Data   []byte
}

// magic starts every batch; the digit is the format version.
var magic = []byte("YGA1")

// Limits that keep a hostile or broken body from costing memory.
const (
	MaxSources     = 4096
	MaxSourceBytes = 4096
)

// Builder accumulates the records of one batch.
type Builder struct {
	sources map[[2]string]uint64
	order   [][2]string
	records bytes.Buffer
	n       int
	scratch [binary.MaxVarintLen64]byte
}

// NewBuilder starts an empty batch.
func NewBuilder() *Builder { return &Builder{sources: map[[2]string]uint64{}} }

// Add appends one record.
func (b *Builder) Add(source, format string, data []byte) {
	key := [2]string{source, format}
	idx, ok := b.sources[key]
	if !ok {
		idx = uint64(len(b.order))
		b.sources[key] = idx
		b.order = append(b.order, key)
	}
	b.uvarint(&b.records, idx)
	b.uvarint(&b.records, uint64(len(data)))
	b.records.Write(data)
	b.n++
}

// Len is the number of records; Size their encoded bytes.
func (b *Builder) Len() int  { return b.n }
func (b *Builder) Size() int { return b.records.Len() }

func (b *Builder) uvarint(w *bytes.Buffer, v uint64) {
	n := binary.PutUvarint(b.scratch[:], v)
	w.Write(b.scratch[:n])
}

// Encode writes the uncompressed batch with its sequence number.
func (b *Builder) Encode(w io.Writer, seq uint64) error {
	var h bytes.Buffer
	h.Write(magic)
	b.uvarint(&h, seq)
	b.uvarint(&h, uint64(len(b.order)))
	for _, s := range b.order {
		for _, part := range s {
			b.uvarint(&h, uint64(len(part)))
			h.WriteString(part)
		}
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(b.records.Bytes())
	return err
}

// Reset empties the builder for the next batch.
func (b *Builder) Reset() {
	clear(b.sources)
	b.order = b.order[:0]
	b.records.Reset()
	b.n = 0
}

// Batch is a decoded batch.
type Batch struct {
	Seq     uint64
	Records []Record
}

// Decode reads an uncompressed batch. maxRecord bounds one record's size
// and maxRecords their number.
func Decode(r io.Reader, maxRecord, maxRecords int) (Batch, error) {
	br := bufio.NewReader(r)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || !bytes.Equal(head, magic) {
		return Batch{}, errors.New("not an agent batch (bad magic; is the agent newer than the server?)")
	}
	var b Batch
	var err error
	if b.Seq, err = binary.ReadUvarint(br); err != nil {
		return Batch{}, fmt.Errorf("batch sequence: %w", err)
	}
	if b.Seq == 0 {
		return Batch{}, errors.New("batch sequence must start at 1")
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > MaxSources {
		return Batch{}, fmt.Errorf("batch source table: bad count (at most %d)", MaxSources)
	}
	type src struct{ name, format string }
	sources := make([]src, n)
	for i := range sources {
		name, err := readString(br, MaxSourceBytes)
		if err != nil {
			return Batch{}, fmt.Errorf("batch source %d: %w", i, err)
		}
		format, err := readString(br, MaxSourceBytes)
		if err != nil {
			return Batch{}, fmt.Errorf("batch source %d format: %w", i, err)
		}
		sources[i] = src{name, format}
	}
	for {
		idx, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return Batch{}, fmt.Errorf("record %d: %w", len(b.Records), err)
		}
		if idx >= uint64(len(sources)) {
			return Batch{}, fmt.Errorf("record %d: source %d is not in the table", len(b.Records), idx)
		}
		if len(b.Records) >= maxRecords {
			return Batch{}, fmt.Errorf("batch has more than %d records", maxRecords)
		}
		data, err := readBytes(br, maxRecord)
		if err != nil {
			return Batch{}, fmt.Errorf("record %d: %w", len(b.Records), err)
		}
		b.Records = append(b.Records, Record{Source: sources[idx].name, Format: sources[idx].format, Data: data})
	}
}

func readBytes(br *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%d bytes is over the limit of %d", n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("truncated: %w", err)
	}
	return buf, nil
}

func readString(br *bufio.Reader, max int) (string, error) {
	b, err := readBytes(br, max)
	return string(b), err
}
