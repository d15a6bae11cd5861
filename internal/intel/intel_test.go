package intel

import (
	"testing"
	"time"
)

func TestCanonical(t *testing.T) {
	cases := []struct {
		typ      Type
		in       string
		wantType Type
		want     string
		err      bool
	}{
		{IPv4, " 203.0.113.7 ", IPv4, "203.0.113.7", false},
		{IPv4, "::ffff:203.0.113.7", IPv4, "203.0.113.7", false},
		{IPv6, "2001:DB8::1", IPv6, "2001:db8::1", false},
		{CIDR, "223.166.0.0/15", CIDR, "223.166.0.0/15", false},
		{CIDR, "223.167.1.2/15", CIDR, "223.166.0.0/15", false},
		{CIDR, "198.51.100.9/32", IPv4, "198.51.100.9", false},
		{IPv4, "10.0.0.0/8", CIDR, "10.0.0.0/8", false},
		{IPv4, "999.1.1.1", "", "", true},
		{IPv6, "fe80::1%eth0", "", "", true},
		{Domain, "WWW.Evil.Example.", Domain, "www.evil.example", false},
		{Domain, "localhost", "", "", true},
		{Domain, "bad domain.example", "", "", true},
		{Domain, "1.2.3.4", "", "", true},
		{URL, "HTTP://Evil.Example/Path?Q=1", URL, "http://evil.example/Path?Q=1", false},
		{URL, "evil.example/path", "", "", true},
		{URL, "http://evil.example/a b", "", "", true},
		{MD5, "001DD76872D80801692FF942308C64E6", MD5, "001dd76872d80801692ff942308c64e6", false},
		{SHA1, "abc", "", "", true},
		{SHA256, "zz537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", "", "", true},
		{Email, "Bad.Actor@Evil.Example", Email, "bad.actor@evil.example", false},
		{Email, "@evil.example", "", "", true},
		{FileName, "invoice.pdf.exe", FileName, "invoice.pdf.exe", false},
		{FileName, `C:\x\invoice.exe`, "", "", true},
		{UserAgent, "Mozilla/5.0 (evil)", UserAgent, "Mozilla/5.0 (evil)", false},
		{UserAgent, "a\nb", "", "", true},
		{JA3, "E7D705A3286E19EA42F587B344EE6865", JA3, "e7d705a3286e19ea42f587b344ee6865", false},
		{JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", false},
		{JA4, "t13-d", "", "", true},
		{"bogus", "x", "", "", true},
		{Domain, "", "", "", true},
	}
	for _, c := range cases {
		gotType, got, err := Canonical(c.typ, c.in)
		if c.err {
			if err == nil {
				t.Errorf("Canonical(%s, %q) = %s %q, want an error", c.typ, c.in, gotType, got)
			}
			continue
		}
		if err != nil || gotType != c.wantType || got != c.want {
			t.Errorf("Canonical(%s, %q) = %s %q, %v; want %s %q", c.typ, c.in, gotType, got, err, c.wantType, c.want)
		}
	}
}

func TestGuess(t *testing.T) {
	for in, want := range map[string]Type{
		"1.2.3.4": IPv4, "2001:db8::1": IPv6, "10.0.0.0/8": CIDR, "http://x.example/": URL,
		"a@b.example": Email, "001dd76872d80801692ff942308c64e6": MD5,
		"ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c": SHA256,
		"da39a3ee5e6b4b0d3255bfef95601890afd80709":                         SHA1, "evil.example": Domain,
	} {
		if got := Guess(in); got != want {
			t.Errorf("Guess(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestMerge(t *testing.T) {
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	e1, e2 := t1.Add(48*time.Hour), t1.Add(96*time.Hour)
	old := IOC{ID: "x", Type: IPv4, Value: "203.0.113.7", Confidence: 50, TLP: "green", Tags: []string{"b"},
		Sources: []Source{{Name: "feodo", Confidence: 50, FirstSeen: t1, LastSeen: t1}}, FirstSeen: t1, LastSeen: t1,
		Expires: &e1, Hits: 4}
	in := IOC{Type: IPv4, Value: "203.0.113.7", Confidence: 80, TLP: "amber", ToBlock: true, Tags: []string{"a", "b"},
		Sources: []Source{{Name: "misp", Confidence: 80, FirstSeen: t2, LastSeen: t2}}, FirstSeen: t2, LastSeen: t2, Expires: &e2}
	m := Merge(old, in)
	if m.ID != "x" || m.Hits != 4 || m.Confidence != 80 || m.TLP != "amber" || !m.ToBlock ||
		len(m.Sources) != 2 || m.Source() != "misp" || len(m.Tags) != 2 || !m.FirstSeen.Equal(t1) ||
		!m.LastSeen.Equal(t2) || !m.Expires.Equal(e2) {
		t.Errorf("Merge = %+v", m)
	}
	if !Changed(old, m) {
		t.Error("Changed missed a merge")
	}
	if Changed(m, Merge(m, in)) {
		t.Error("merging the same report twice counts as a change")
	}
	// A lower-confidence report keeps the winner's verdict but adds its source.
	low := Merge(m, IOC{Confidence: 10, TLP: "clear", Sources: []Source{{Name: "csv", Confidence: 10}}})
	if low.Confidence != 80 || low.TLP != "amber" || len(low.Sources) != 3 {
		t.Errorf("low report: %+v", low)
	}
	// No expiry from one source means no expiry.
	if Merge(old, IOC{Confidence: 1}).Expires != nil {
		t.Error("a source without expiry must keep the indicator in force")
	}
}

func TestWarningListsAndPolicy(t *testing.T) {
	w := DefaultWarningLists()
	for _, c := range []struct {
		t    Type
		v    string
		want string
	}{
		{IPv4, "8.8.8.8", "public-resolvers"},
		{CIDR, "8.8.0.0/16", "public-resolvers"},
		{IPv4, "127.0.0.1", "special-purpose-addresses"},
		{IPv6, "2606:4700:4700::1111", "public-resolvers"},
		{Domain, "microsoft.com", "major-services"},
		{Domain, "evil.cloudfront.net", ""},
		{URL, "https://github.com/", "major-services"},
		{URL, "https://github.com/evil/payload", ""},
		{IPv4, "203.0.113.7", ""},
	} {
		if got := w.Hit(c.t, c.v); got != c.want {
			t.Errorf("Hit(%s %s) = %q, want %q", c.t, c.v, got, c.want)
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past := now.Add(-time.Second)
	p := Policy{MinConfidence: 50, Warn: w}
	base := IOC{Type: IPv4, Value: "203.0.113.7", Confidence: 60, ToBlock: true}
	for name, c := range map[string]struct {
		edit func(*IOC)
		want bool
	}{
		"distributable":   {func(*IOC) {}, true},
		"not to_block":    {func(i *IOC) { i.ToBlock = false }, false},
		"expired":         {func(i *IOC) { i.Expires = &past }, false},
		"revoked":         {func(i *IOC) { i.Revoked = true }, false},
		"below threshold": {func(i *IOC) { i.Confidence = 49 }, false},
		"warning list":    {func(i *IOC) { i.Value = "1.1.1.1" }, false},
	} {
		i := base
		c.edit(&i)
		if got := p.Distributable(&i, now); got != c.want {
			t.Errorf("%s: Distributable = %v", name, got)
		}
	}
}

func TestSTIXIDIsStable(t *testing.T) {
	a := STIXID("default", IPv4, "203.0.113.7")
	if a != STIXID("default", IPv4, "203.0.113.7") || a == STIXID("acme", IPv4, "203.0.113.7") {
		t.Error("STIXID must depend on tenant, type and value only")
	}
	if len(a) != len("indicator--")+36 || a[len("indicator--")+14] != '5' {
		t.Errorf("STIXID %s is not a version 5 UUID", a)
	}
}
