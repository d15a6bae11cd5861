package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// medallion serves medallion_default_data.json the way the OASIS
// reference server (medallion) does: discovery, API roots, collections
// and objects with added_after, limit/next paging and the latest version
// of each object, behind basic authentication.
type medallion struct {
	data     map[string]json.RawMessage
	base     string
	requests []string
}

type mCollection struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	CanRead  bool              `json:"can_read"`
	CanWrite bool              `json:"can_write"`
	Media    []string          `json:"media_types"`
	Objects  []json.RawMessage `json:"objects"`
	Manifest []struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
	} `json:"manifest"`
}

type mRoot struct {
	Information json.RawMessage `json:"information"`
	Collections []mCollection   `json:"collections"`
}

func (m *medallion) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.requests = append(m.requests, r.URL.RequestURI())
	if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "Password0" {
		http.Error(w, `{"title":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", MediaType)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "taxii2" {
		var d map[string]any
		json.Unmarshal(m.data["/discovery"], &d)
		roots := []string{}
		for _, root := range d["api_roots"].([]any) {
			roots = append(roots, strings.Replace(root.(string), "http://localhost:5000", m.base, 1))
		}
		d["api_roots"], d["default"] = roots, roots[len(roots)-1]
		json.NewEncoder(w).Encode(d)
		return
	}
	var root mRoot
	if err := json.Unmarshal(m.data[parts[0]], &root); err != nil || m.data[parts[0]] == nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case len(parts) == 1:
		w.Write(root.Information)
	case len(parts) == 2 && parts[1] == "collections":
		cols := root.Collections
		for k := range cols {
			cols[k].Objects, cols[k].Manifest = nil, nil
		}
		json.NewEncoder(w).Encode(map[string]any{"collections": cols})
	case len(parts) == 4 && parts[1] == "collections" && parts[3] == "objects":
		for _, c := range root.Collections {
			if c.ID == parts[2] {
				m.objects(w, r, c)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (m *medallion) objects(w http.ResponseWriter, r *http.Request, c mCollection) {
	if !c.CanRead {
		http.Error(w, `{"title":"forbidden"}`, http.StatusForbidden)
		return
	}
	added := map[string]string{} // id|version → date_added
	for _, e := range c.Manifest {
		added[e.ID+"|"+e.Version] = e.DateAdded
	}
	type item struct {
		id, version, added string
		raw                json.RawMessage
	}
	latest := map[string]item{}
	for _, raw := range c.Objects {
		var o struct{ ID, Modified, Created string }
		json.Unmarshal(raw, &o)
		v := o.Modified
		if v == "" {
			v = o.Created
		}
		if v == "" {
			v = "2017-01-20T00:00:00.000Z" // the marking definition's manifest version
		}
		if cur, ok := latest[o.ID]; !ok || v > cur.version {
			latest[o.ID] = item{o.ID, v, added[o.ID+"|"+v], raw}
		}
	}
	var items []item
	after := r.URL.Query().Get("added_after")
	for _, it := range latest {
		if after == "" || it.added > after {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(a, b int) bool { return items[a].added < items[b].added })
	start, _ := strconv.Atoi(r.URL.Query().Get("next"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	end := min(start+limit, len(items))
	env := map[string]any{"more": end < len(items)}
	if end < len(items) {
		env["next"] = strconv.Itoa(end)
	}
	var objs []json.RawMessage
	for _, it := range items[start:end] {
		objs = append(objs, it.raw)
	}
	env["objects"] = objs
	if len(objs) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", items[start].added)
		w.Header().Set("X-TAXII-Date-Added-Last", items[end-1].added)
	}
	json.NewEncoder(w).Encode(env)
}

func newMedallion(t *testing.T) (*medallion, *httptest.Server) {
	b, err := os.ReadFile(shareddata.Path(t, "stix", "medallion_default_data.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := &medallion{}
	if err := json.Unmarshal(b, &m.data); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	m.base = srv.URL
	return m, srv
}

func TestPullFromMedallionFixture(t *testing.T) {
	m, srv := newMedallion(t)
	c := &Client{Discovery: srv.URL + "/taxii2/", User: "admin", Password: "Password0", PageSize: 2}
	ctx := context.Background()
	d, err := c.Discover(ctx)
	if err != nil || len(d.APIRoots) != 3 || d.APIRoots[2] != srv.URL+"/trustgroup1/" {
		t.Fatalf("discovery: %+v %v", d, err)
	}
	cols, err := c.Collections(ctx, d.APIRoots[2])
	if err != nil || len(cols) != 5 {
		t.Fatalf("collections: %+v %v", cols, err)
	}
	res, high, err := c.Pull(ctx, "", time.Time{}, feed.Options{Source: "medallion", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range res.IOCs {
		got = append(got, string(i.Type)+" "+i.Value)
	}
	sort.Strings(got)
	want := "sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c|url http://x4z9arb.cn/4712"
	if strings.Join(got, "|") != want || len(res.Rejected) != 0 {
		t.Errorf("pulled %v (rejected %v), want %s", got, res.Rejected, want)
	}
	if want := time.Date(2017, 12, 31, 13, 49, 53, 935000000, time.UTC); !high.Equal(want) {
		t.Errorf("high-water mark %v, want %v", high, want)
	}
	// Three pages of two objects were needed for the five latest versions
	// of the high-value collection (the two empty readable ones cost one each).
	pages := 0
	for _, r := range m.requests {
		if strings.Contains(r, "91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d object pages requested, want 3: %v", pages, m.requests)
	}
	// An incremental pull from the mark gets nothing new.
	res, _, err = c.Pull(ctx, "", high, feed.Options{Now: time.Unix(0, 0)})
	if err != nil || len(res.IOCs) != 0 {
		t.Errorf("incremental pull: %+v %v", res, err)
	}
	// added_after in the middle: only the later URL indicator version.
	res, _, err = c.Pull(ctx, "91a7b528-80eb-42ed-a74d-c6fbd5a26116", time.Date(2016, 12, 1, 0, 0, 0, 0, time.UTC), feed.Options{Now: time.Unix(0, 0)})
	if err != nil || len(res.IOCs) != 1 || res.IOCs[0].Value != "http://x4z9arb.cn/4712" {
		t.Errorf("pull after 2016-12-01: %+v %v", res, err)
	}
}

func TestErrors(t *testing.T) {
	_, srv := newMedallion(t)
	c := &Client{Discovery: srv.URL + "/taxii2/", User: "admin", Password: "wrong"}
	_, _, err := c.Pull(context.Background(), "", time.Time{}, feed.Options{})
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "password or token") {
		t.Errorf("wrong password: %v", err)
	}
	c = &Client{Discovery: srv.URL + "/nothing/", User: "admin", Password: "Password0"}
	if _, err := c.Discover(context.Background()); !errors.As(err, &he) || he.Status != http.StatusNotFound {
		t.Errorf("wrong discovery URL: %v", err)
	}
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"more":true,"next":"same","objects":[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.1']"}]}`))
	}))
	defer loop.Close()
	c = &Client{}
	if _, _, err := c.Objects(context.Background(), loop.URL+"/root/", "c", time.Time{}); err != nil {
		// first page has next "same", the second repeats it
		if !strings.Contains(err.Error(), "no new next") {
			t.Errorf("stuck paging: %v", err)
		}
	} else {
		t.Error("a server repeating next was followed forever")
	}
}
