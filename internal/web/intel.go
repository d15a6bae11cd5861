package web

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/export"
	"github.com/yagura-soc/yagura/internal/store"
)

// feed is one source of indicators as seen in the store: how many active
// indicators it reports and when it last reported one (the last pull that
// brought something).
type feed struct {
	Name     string
	IOCs     int
	LastSeen time.Time
}

type exportURL struct{ Name, URL string }

type intelData struct {
	Search, Type string
	Types        []intel.Type
	Items        []intel.IOC
	Total        int
	Searched     bool
	Feeds        []feed
	Exports      []exportURL
	Err          string
}

func (s *Server) intel(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	q := r.URL.Query()
	d := intelData{Search: q.Get("q"), Type: q.Get("type"), Types: intel.Types}
	iocs := s.deps.State.Scope(v.Tenant).IOCs()
	f := store.IOCFilter{Search: d.Search, Limit: 200}
	if d.Type != "" {
		t, err := intel.ParseType(d.Type)
		if err != nil {
			d.Err = err.Error()
		}
		f.Type = t
	}
	var err error
	if d.Items, d.Total, err = iocs.List(ctx, f); err != nil {
		s.fail(w, v, err)
		return
	}
	d.Searched = d.Search != "" || d.Type != ""
	now := s.deps.Now()
	by := map[string]*feed{}
	err = iocs.Each(ctx, func(i intel.IOC) error {
		if !i.Active(now) {
			return nil
		}
		for _, src := range i.Sources {
			fd := by[src.Name]
			if fd == nil {
				fd = &feed{Name: src.Name}
				by[src.Name] = fd
			}
			fd.IOCs++
			if src.LastSeen.After(fd.LastSeen) {
				fd.LastSeen = src.LastSeen
			}
		}
		return nil
	})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	for _, fd := range by {
		d.Feeds = append(d.Feeds, *fd)
	}
	slices.SortFunc(d.Feeds, func(a, b feed) int { return cmp.Or(cmp.Compare(b.IOCs, a.IOCs), cmp.Compare(a.Name, b.Name)) })
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	for _, name := range export.Names() {
		d.Exports = append(d.Exports, exportURL{name, scheme + "://" + r.Host + "/api/v1/intel/export/" + name})
	}
	d.Exports = append(d.Exports, exportURL{"taxii2", scheme + "://" + r.Host + "/api/v1/intel/taxii2/"})
	v.Title, v.Data = v.T("intel"), d
	s.render(w, "intel", v)
}
