// Package stix reads STIX 2.1 (and 2.0) JSON: bundles, TAXII envelopes
// and single indicator objects. Each indicator's pattern is parsed by the
// hand-written parser in pattern.go and turned into indicator values
// (Atoms); patterns or parts of patterns that cannot become indicators are
// reported in the result, never dropped silently.
//
// It must never panic on input and never fetch anything: reading from a
// TAXII server is the taxii package's job.
package stix

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

// Format is the name of this reader in the import API.
const Format = "stix"

// Object is the part of a STIX object this reader uses.
type Object struct {
	Type              string          `json:"type"`
	ID                string          `json:"id"`
	SpecVersion       string          `json:"spec_version,omitempty"`
	Created           string          `json:"created,omitempty"`
	Modified          string          `json:"modified,omitempty"`
	Name              string          `json:"name,omitempty"`
	Description       string          `json:"description,omitempty"`
	Pattern           string          `json:"pattern,omitempty"`
	PatternType       string          `json:"pattern_type,omitempty"`
	ValidFrom         string          `json:"valid_from,omitempty"`
	ValidUntil        string          `json:"valid_until,omitempty"`
	Confidence        *int            `json:"confidence,omitempty"`
	Labels            []string        `json:"labels,omitempty"`
	IndicatorTypes    []string        `json:"indicator_types,omitempty"`
	Revoked           bool            `json:"revoked,omitempty"`
	ObjectMarkingRefs []string        `json:"object_marking_refs,omitempty"`
	DefinitionType    string          `json:"definition_type,omitempty"`
	Definition        json.RawMessage `json:"definition,omitempty"`
}

// document covers a bundle, a TAXII envelope and a single object.
type document struct {
	Object
	Objects []json.RawMessage `json:"objects"`
}

// tlpMarkings are the TLP marking definitions with fixed ids (TLP 1.0 as
// in the STIX 2.1 specification, section 7.2.1.4, and TLP 2.0 from the
// OASIS extension).
var tlpMarkings = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": intel.TLPClear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": intel.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": intel.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": intel.TLPRed,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": intel.TLPClear,
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": intel.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": intel.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": intel.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": intel.TLPRed,
}

// Read reads one STIX JSON document.
func Read(r io.Reader, o feed.Options) (feed.Result, error) {
	o = o.Defaults()
	var doc document
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return feed.Result{}, fmt.Errorf("stix: not a JSON object: %w", err)
	}
	var objs []Object
	switch {
	case doc.Objects != nil:
		for k, raw := range doc.Objects {
			var obj Object
			if err := json.Unmarshal(raw, &obj); err != nil {
				return feed.Result{}, fmt.Errorf("stix: object %d: %w", k, err)
			}
			objs = append(objs, obj)
		}
	case doc.Type != "":
		objs = []Object{doc.Object}
	default:
		return feed.Result{}, fmt.Errorf("stix: want a bundle, a TAXII envelope or a STIX object (no \"objects\" and no \"type\")")
	}
	return FromObjects(objs, o), nil
}

// FromObjects turns the indicators among objs into indicators of compromise.
func FromObjects(objs []Object, o feed.Options) feed.Result {
	o = o.Defaults()
	tlp := map[string]string{}
	for id, level := range tlpMarkings {
		tlp[id] = level
	}
	for _, obj := range objs {
		if obj.Type == "marking-definition" {
			if level := markingTLP(obj); level != "" {
				tlp[obj.ID] = level
			}
		}
	}
	var res feed.Result
	for _, obj := range objs {
		if obj.Type != "indicator" {
			continue
		}
		readIndicator(&res, o, obj, tlp)
	}
	return res
}

func markingTLP(obj Object) string {
	if obj.DefinitionType == "tlp" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(obj.Definition, &d) == nil {
			if level, err := intel.ParseTLP(d.TLP); err == nil {
				return level
			}
		}
	}
	if strings.HasPrefix(strings.ToUpper(obj.Name), "TLP:") {
		if level, err := intel.ParseTLP(obj.Name); err == nil {
			return level
		}
	}
	return ""
}

func readIndicator(res *feed.Result, o feed.Options, obj Object, tlp map[string]string) {
	if obj.Revoked {
		res.Reject(obj.ID, obj.Pattern, "indicator is revoked")
		return
	}
	if obj.PatternType != "" && obj.PatternType != "stix" {
		res.Rejectf(obj.ID, obj.Pattern, "pattern type %q is not STIX patterning", obj.PatternType)
		return
	}
	pat, err := ParsePattern(obj.Pattern)
	if err != nil {
		res.Reject(obj.ID, obj.Pattern, err.Error())
		return
	}
	atoms, unsupported := Atoms(pat)
	for _, u := range unsupported {
		res.Reject(obj.ID, obj.Pattern, u)
	}
	base := intel.IOC{Description: obj.Name, Tags: append(append([]string(nil), obj.IndicatorTypes...), obj.Labels...)}
	if obj.Description != "" && base.Description == "" {
		base.Description = obj.Description
	}
	if obj.Confidence != nil {
		base.Confidence = *obj.Confidence
		if base.Confidence == 0 {
			// STIX confidence 0 means "no confidence"; keep it distinct
			// from the reader default.
			base.Confidence = 1
		}
	}
	for _, ref := range obj.ObjectMarkingRefs {
		if level, ok := tlp[ref]; ok {
			base.TLP = level
		}
	}
	if t, ok := parseTime(obj.ValidFrom); ok {
		base.FirstSeen = t
	}
	if t, ok := parseTime(obj.Modified); ok && t.After(base.FirstSeen) {
		base.LastSeen = t
	}
	if t, ok := parseTime(obj.ValidUntil); ok {
		base.Expires = &t
	}
	for _, a := range atoms {
		i := base
		i.Type, i.Value = a.Type, a.Value
		i.Tags = append([]string(nil), base.Tags...)
		res.Add(o, obj.ID, i)
	}
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}
