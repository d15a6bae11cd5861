package inventory

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, format, in string
		assets           int
		problems         []string // substrings, in order
		err              string
	}{
		{"csv", CSV, "Kind,Name,Criticality,Owner,Tags,Networks\nhost,DC01,5,it,dc;tier0,10.1.0.10 10.1.2.0/24\nuser,alice,3,,,\n", 2, nil, ""},
		{"csv any column order", CSV, "name,kind,criticality\nweb1,host,2\n", 1, nil, ""},
		{"csv bad rows named by line", CSV, "kind,name,criticality\nhost,a,9\nprinter,b,1\nhost,c,x\nhost,d,1\n", 1,
			[]string{"line 2: asset \"a\": criticality 9", "line 3: asset kind \"printer\"", "line 4: criticality \"x\""}, ""},
		{"csv missing column", CSV, "kind,name\nhost,a\n", 0, nil, `no "criticality" column`},
		{"csv empty", CSV, "", 0, nil, "empty"},
		{"yaml", YAML, "- {kind: host, name: dc01, criticality: 5, networks: [10.1.0.10]}\n- kind: user\n  name: bob\n  criticality: 4\n  tags: admins; vip\n", 2, nil, ""},
		{"yaml bad entry", YAML, "- {kind: host, name: dc01, criticality: 5}\n- {kind: host, name: x, criticality: 2, networks: [nope]}\n", 1,
			[]string{"line 2: asset \"x\": \"nope\" is not a network"}, ""},
		{"yaml not a list", YAML, "kind: host\n", 0, nil, "must be a list"},
		{"unknown format", "xml", "<a/>", 0, nil, "use csv or yaml"},
	}
	for _, c := range cases {
		assets, probs, err := Parse([]byte(c.in), c.format)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(assets) != c.assets || len(probs) != len(c.problems) {
			t.Errorf("%s: %d assets %v, problems %v", c.name, len(assets), assets, probs)
			continue
		}
		for i, want := range c.problems {
			if !strings.Contains(probs[i].String(), want) {
				t.Errorf("%s: problem %d = %q, want %q", c.name, i, probs[i], want)
			}
		}
	}
	assets, _, _ := Parse([]byte("kind,name,criticality,owner,tags,networks\nhost,DC01.Corp,5,it,dc;tier0,10.1.0.10\n"), CSV)
	a := assets[0]
	if a.Name != "dc01.corp" || a.Owner != "it" || strings.Join(a.Tags, "|") != "dc|tier0" || a.Networks[0] != "10.1.0.10/32" {
		t.Errorf("parsed asset = %+v", a)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("kind,name,criticality\nhost,a,1\n"), true)
	f.Add([]byte("- {kind: host, name: a, criticality: 1}\n"), false)
	f.Fuzz(func(t *testing.T, b []byte, csv bool) {
		format := YAML
		if csv {
			format = CSV
		}
		Parse(b, format)
	})
}
