// Package misp reads MISP threat-sharing data: single event JSON documents
// ({"Event": …}), REST search results ({"response": [{"Event": …}]}) and
// MISP feeds (a folder or file system with manifest.json and one
// <uuid>.json per event). Attributes flagged to_ids=false are context,
// not detection material, and are reported instead of imported; composite
// attributes (domain|ip, filename|sha256, ip-dst|port) give the parts
// that are indicators.
//
// It must never panic on input and never fetch anything by itself.
package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

// Format is the name of this reader in the import API.
const Format = "misp"

// Event is the part of a MISP event this reader uses.
type Event struct {
	UUID          string      `json:"uuid"`
	Info          string      `json:"info"`
	Date          string      `json:"date"`
	ThreatLevelID flexString  `json:"threat_level_id"`
	Tag           []Tag       `json:"Tag"`
	Attribute     []Attribute `json:"Attribute"`
	Object        []Object    `json:"Object"`
}

// Attribute is one MISP attribute.
type Attribute struct {
	UUID      string     `json:"uuid"`
	Type      string     `json:"type"`
	Category  string     `json:"category"`
	Value     string     `json:"value"`
	ToIDs     flexBool   `json:"to_ids"`
	Comment   string     `json:"comment"`
	Timestamp flexString `json:"timestamp"`
	FirstSeen string     `json:"first_seen"`
	LastSeen  string     `json:"last_seen"`
	Deleted   flexBool   `json:"deleted"`
	Tag       []Tag      `json:"Tag"`
}

// Object groups attributes (a file with its hashes, a domain-ip pair).
type Object struct {
	Name      string      `json:"name"`
	Attribute []Attribute `json:"Attribute"`
}

// Tag is a MISP tag such as "tlp:amber" or a galaxy cluster.
type Tag struct {
	Name string `json:"name"`
}

// flexString accepts "3" and 3: MISP versions disagree.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", short(b))
	}
	*f = flexString(n.String())
	return nil
}

// flexBool accepts true, "1", 1 and their false forms.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(b), `"`) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("want a boolean, got %s", short(b))
	}
	return nil
}

func short(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// document covers the accepted shapes of one JSON body.
type document struct {
	Event    *Event `json:"Event"`
	Response []struct {
		Event *Event `json:"Event"`
	} `json:"response"`
}

// Read reads one MISP event document or a REST search result.
func Read(r io.Reader, o feed.Options) (feed.Result, error) {
	o = o.Defaults()
	var doc document
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return feed.Result{}, fmt.Errorf("misp: not a MISP event document: %w", err)
	}
	var res feed.Result
	switch {
	case doc.Event != nil:
		readEvent(&res, o, *doc.Event)
	case doc.Response != nil:
		for _, r := range doc.Response {
			if r.Event != nil {
				readEvent(&res, o, *r.Event)
			}
		}
	default:
		return feed.Result{}, fmt.Errorf(`misp: want {"Event": …} or {"response": [{"Event": …}]}; for a feed folder use the manifest`)
	}
	return res, nil
}

// ReadFeed reads a MISP feed: manifest.json lists the events, each in
// <uuid>.json beside it. Events the manifest names but the feed lacks are
// reported.
func ReadFeed(fsys fs.FS, dir string, o feed.Options) (feed.Result, error) {
	o = o.Defaults()
	b, err := fs.ReadFile(fsys, path.Join(dir, "manifest.json"))
	if err != nil {
		return feed.Result{}, fmt.Errorf("misp feed: %w (a MISP feed has a manifest.json)", err)
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(b, &manifest); err != nil {
		return feed.Result{}, fmt.Errorf("misp feed: manifest.json: %w", err)
	}
	uuids := make([]string, 0, len(manifest))
	for id := range manifest {
		uuids = append(uuids, id)
	}
	sort.Strings(uuids)
	var res feed.Result
	for _, id := range uuids {
		if strings.ContainsAny(id, `/\`) || id == ".." {
			res.Reject(id, "", "event id in the manifest is not a plain name")
			continue
		}
		f, err := fsys.Open(path.Join(dir, id+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			res.Reject(id, "", "event listed in the manifest but missing from the feed")
			continue
		}
		if err != nil {
			res.Rejectf(id, "", "event listed in the manifest but not readable: %v", err)
			continue
		}
		one, err := Read(f, o)
		f.Close()
		if err != nil {
			res.Reject(id, "", err.Error())
			continue
		}
		res.IOCs = append(res.IOCs, one.IOCs...)
		res.Rejected = append(res.Rejected, one.Rejected...)
	}
	return res, nil
}

// threatConfidence maps MISP threat levels (1 high … 4 undefined).
var threatConfidence = map[string]int{"1": 90, "2": 70, "3": 50}

func readEvent(res *feed.Result, o feed.Options, ev Event) {
	base := intel.IOC{Description: ev.Info, Confidence: threatConfidence[string(ev.ThreatLevelID)]}
	base.TLP, base.Tags = splitTags(ev.Tag)
	if t, err := time.Parse(time.DateOnly, ev.Date); err == nil {
		base.FirstSeen = t.UTC()
	}
	for _, a := range ev.Attribute {
		readAttribute(res, o, base, a)
	}
	for _, obj := range ev.Object {
		for _, a := range obj.Attribute {
			readAttribute(res, o, base, a)
		}
	}
}

func splitTags(tags []Tag) (tlp string, rest []string) {
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Name), "tlp:") {
			if level, err := intel.ParseTLP(t.Name); err == nil {
				tlp = level
				continue
			}
		}
		rest = append(rest, t.Name)
	}
	return tlp, rest
}

// attributeTypes maps MISP attribute types to indicator types; composite
// types map each part ("" for a part that is not an indicator).
var attributeTypes = map[string][]intel.Type{
	"ip-dst": {intel.IPv4}, "ip-src": {intel.IPv4}, "ip-dst|port": {intel.IPv4, ""}, "ip-src|port": {intel.IPv4, ""},
	"domain": {intel.Domain}, "hostname": {intel.Domain}, "domain|ip": {intel.Domain, intel.IPv4},
	"hostname|port": {intel.Domain, ""}, "url": {intel.URL},
	"md5": {intel.MD5}, "sha1": {intel.SHA1}, "sha256": {intel.SHA256},
	"filename|md5": {"", intel.MD5}, "filename|sha1": {"", intel.SHA1}, "filename|sha256": {"", intel.SHA256},
	"email": {intel.Email}, "email-src": {intel.Email}, "email-dst": {intel.Email}, "email-reply-to": {intel.Email},
	"filename": {intel.FileName}, "user-agent": {intel.UserAgent}, "ja3-fingerprint-md5": {intel.JA3},
}

func readAttribute(res *feed.Result, o feed.Options, base intel.IOC, a Attribute) {
	if a.Deleted {
		return // deleted in MISP: not part of the event any more
	}
	if !a.ToIDs {
		res.Rejectf(a.UUID, a.Value, "%s attribute has to_ids=false (context, not for detection)", a.Type)
		return
	}
	types, ok := attributeTypes[a.Type]
	if !ok {
		res.Rejectf(a.UUID, a.Value, "MISP attribute type %q has no indicator type", a.Type)
		return
	}
	parts := []string{a.Value}
	if len(types) > 1 {
		parts = strings.SplitN(a.Value, "|", len(types))
		if len(parts) != len(types) {
			res.Rejectf(a.UUID, a.Value, "%s value needs %d parts separated by |", a.Type, len(types))
			return
		}
	}
	i := base
	i.Tags = append([]string(nil), base.Tags...)
	tlp, tags := splitTags(a.Tag)
	if tlp != "" {
		i.TLP = tlp
	}
	i.Tags = append(i.Tags, tags...)
	if a.Comment != "" {
		i.Description = a.Comment
	}
	if n, err := strconv.ParseInt(string(a.Timestamp), 10, 64); err == nil && n > 0 {
		i.LastSeen = time.Unix(n, 0).UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, a.FirstSeen); err == nil {
		i.FirstSeen = t.UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, a.LastSeen); err == nil {
		i.LastSeen = t.UTC()
	}
	for k, t := range types {
		if t == "" {
			continue
		}
		one := i
		one.Type, one.Value = t, parts[k]
		if t == intel.IPv4 && strings.Contains(one.Value, ":") {
			one.Type = intel.IPv6
		}
		res.Add(o, a.UUID, one)
	}
}
