package wire

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	b := NewBuilder()
	b.Add("/var/log/a.log", "", []byte("one"))
	b.Add("journald", "json", []byte(`{"MESSAGE":"two"}`))
	b.Add("/var/log/a.log", "", []byte(""))
	var buf bytes.Buffer
	if err := b.Encode(&buf, 42); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&buf, 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 42 || len(got.Records) != 3 {
		t.Fatalf("got seq %d, %d records", got.Seq, len(got.Records))
	}
	want := []Record{{"/var/log/a.log", "", []byte("one")}, {"journald", "json", []byte(`{"MESSAGE":"two"}`)}, {"/var/log/a.log", "", []byte{}}}
	for i, w := range want {
		r := got.Records[i]
		if r.Source != w.Source || r.Format != w.Format || !bytes.Equal(r.Data, w.Data) {
			t.Errorf("record %d: %+v, want %+v", i, r, w)
		}
	}
}

func TestDecodeRejectsBrokenInput(t *testing.T) {
	good := func() []byte {
		b := NewBuilder()
		b.Add("s", "", []byte("hello"))
		var buf bytes.Buffer
		b.Encode(&buf, 1)
		return buf.Bytes()
	}()
	cases := []struct {
		name, body, want string
	}{
		{"empty", "", "bad magic"},
		{"wrong magic", "XXXX", "bad magic"},
		{"seq zero", "YGA1\x00\x00", "start at 1"},
		{"too many sources", "YGA1\x01\xff\xff\x03", "source table"},
		{"truncated record", string(good[:len(good)-2]), "truncated"},
		{"unknown source", "YGA1\x01\x00\x05\x01x", "not in the table"},
		{"record too large", "YGA1\x01\x01\x01s\x00\x00\xff\xff\x7f", "over the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.body), 1024, 10)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("YGA1\x01\x01\x01s\x00\x00\x03abc"))
	f.Fuzz(func(t *testing.T, body []byte) {
		Decode(bytes.NewReader(body), 1024, 100)
	})
}
