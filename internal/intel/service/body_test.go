package service

import (
	"bytes"
	"strings"
	"testing"
)

// A body collected from writes and kept parts reads back as the
// document, whichever way it is read, and its ETag follows its bytes.
func TestBody(t *testing.T) {
	var w bodyWriter
	var want bytes.Buffer
	big := []byte(strings.Repeat("x", 3*bodyBlock+5))
	for k, p := range [][]byte{[]byte("head\n"), big, []byte("kept\n"), []byte("tail\n")} {
		if k == 2 {
			w.Keep(p)
		} else {
			w.Write(p)
		}
		want.Write(p)
	}
	b := w.done(7)
	var got bytes.Buffer
	if n, err := b.WriteTo(&got); err != nil || int(n) != want.Len() || b.Len() != want.Len() {
		t.Fatalf("WriteTo: %d of %d bytes, %v", n, want.Len(), err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || !bytes.Equal(b.Bytes(), want.Bytes()) {
		t.Fatal("the body reads back differently")
	}
	var w2 bodyWriter
	w2.Write(append(bytes.Clone(want.Bytes()[:want.Len()-2]), "X\n"...))
	if b2 := w2.done(7); b2.ETag == b.ETag || b2.Len() != b.Len() {
		t.Errorf("same ETag %s for different bodies of one size", b.ETag)
	}
	var w3 bodyWriter
	w3.Write(want.Bytes())
	if b3 := w3.done(7); b3.ETag != b.ETag {
		t.Errorf("ETag %s for the same bytes in other parts, %s before", b3.ETag, b.ETag)
	}
}
