// Package input holds what every input of the host agent hands to the
// batcher: records with the read position that follows each of them, so
// that the position saved with a buffered batch is exactly where reading
// resumes after a restart. It must stay free of I/O.
package input

// Record is one log record, or (with Forget set and no Data) the news that
// an input stopped following Key and its position can be dropped.
type Record struct {
	Source string // file path, "journald"
	Format string // parser name; empty means auto-detect
	Data   []byte
	// Key names the read position this record advances ("file:<dev>:<ino>",
	// "journald"); Pos is the position right after the record, saved as
	// JSON with the batch that carries it.
	Key    string
	Pos    any
	Forget bool
	// Sync, when set, is closed by the batcher once it has taken every
	// record sent before this one: a barrier for reconfiguration.
	Sync chan struct{}
}
