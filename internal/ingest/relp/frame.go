package relp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// frame is one RELP frame: TXNR SP COMMAND SP DATALEN [SP DATA] LF.
type frame struct {
	txnr    uint64
	command string
	data    []byte
	cut     bool // DATA was longer than the record limit and was cut
}

// Limits of the header fields (librelp uses the same).
const (
	maxTxnrDigits    = 9
	maxCommandLen    = 32
	maxDataLenDigits = 9
	// maxFrameBytes refuses absurd DATALEN values before reading them.
	maxFrameBytes = 64 << 20
)

var errFrame = errors.New("relp: malformed frame")

// readFrame reads one frame. Data beyond max bytes is read and discarded
// so that the stream stays in sync; the frame says it was cut.
func readFrame(r *bufio.Reader, max int) (frame, error) {
	var f frame
	txnr, err := readNumber(r, maxTxnrDigits, ' ')
	if err != nil {
		return f, err
	}
	f.txnr = txnr
	cmd := make([]byte, 0, 8)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return f, unexpected(err)
		}
		if b == ' ' {
			break
		}
		if b < 'a' || b > 'z' || len(cmd) >= maxCommandLen {
			return f, fmt.Errorf("%w: bad command name after txnr %d", errFrame, txnr)
		}
		cmd = append(cmd, b)
	}
	f.command = string(cmd)
	// DATALEN ends with SP when data follows, else with the trailer LF.
	var n uint64
	digits := 0
	var end byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return f, unexpected(err)
		}
		if b == ' ' || b == '\n' {
			end = b
			break
		}
		if b < '0' || b > '9' || digits >= maxDataLenDigits {
			return f, fmt.Errorf("%w: bad data length in txnr %d", errFrame, txnr)
		}
		n = n*10 + uint64(b-'0')
		digits++
	}
	if digits == 0 {
		return f, fmt.Errorf("%w: missing data length in txnr %d", errFrame, txnr)
	}
	if n > maxFrameBytes {
		return f, fmt.Errorf("%w: data length %d in txnr %d is over %d bytes", errFrame, n, txnr, maxFrameBytes)
	}
	if end == '\n' {
		if n != 0 {
			return f, fmt.Errorf("%w: data length %d but no data in txnr %d", errFrame, n, txnr)
		}
		return f, nil
	}
	keep := min(int(n), max)
	f.data = make([]byte, keep)
	if _, err := io.ReadFull(r, f.data); err != nil {
		return f, unexpected(err)
	}
	if int(n) > keep {
		f.cut = true
		if _, err := r.Discard(int(n) - keep); err != nil {
			return f, unexpected(err)
		}
	}
	if b, err := r.ReadByte(); err != nil {
		return f, unexpected(err)
	} else if b != '\n' {
		return f, fmt.Errorf("%w: txnr %d does not end with LF after its %d data bytes", errFrame, txnr, n)
	}
	return f, nil
}

// readNumber reads decimal digits up to the terminator. An EOF before the
// first byte is a clean end of stream (io.EOF).
func readNumber(r *bufio.Reader, maxDigits int, term byte) (uint64, error) {
	var n uint64
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i == 0 {
				return 0, err
			}
			return 0, unexpected(err)
		}
		// Tolerate stray line ends between frames.
		if i == 0 && (b == '\n' || b == '\r') {
			i--
			continue
		}
		if b == term && i > 0 {
			return n, nil
		}
		if b < '0' || b > '9' || i >= maxDigits {
			return 0, fmt.Errorf("%w: bad transaction number", errFrame)
		}
		n = n*10 + uint64(b-'0')
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
