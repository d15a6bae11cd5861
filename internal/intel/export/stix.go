package export

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

// STIX media types of the TAXII 2.1 server.
const (
	TAXIIMediaType = "application/taxii+json;version=2.1"
	STIXMediaType  = "application/stix+json;version=2.1"
)

// Indicator is a STIX 2.1 indicator object as the TAXII server serves it.
type Indicator struct {
	Type           string   `json:"type"`
	SpecVersion    string   `json:"spec_version"`
	ID             string   `json:"id"`
	Created        string   `json:"created"`
	Modified       string   `json:"modified"`
	Name           string   `json:"name,omitempty"`
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until,omitempty"`
	Confidence     int      `json:"confidence"`
	Labels         []string `json:"labels,omitempty"`
	Markings       []string `json:"object_marking_refs,omitempty"`
}

// tlpMarking are the STIX TLP 2.0 marking definitions.
var tlpMarking = map[string]string{
	intel.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	intel.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	intel.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	intel.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	intel.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// Pattern is the STIX pattern of an indicator; ok is false for types STIX
// has no standard object path for (JA3/JA4).
func Pattern(i intel.IOC) (string, bool) {
	q := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(i.Value) + "'"
	switch i.Type {
	case intel.IPv4:
		return "[ipv4-addr:value = " + q + "]", true
	case intel.IPv6:
		return "[ipv6-addr:value = " + q + "]", true
	case intel.CIDR:
		if strings.Contains(i.Value, ":") {
			return "[ipv6-addr:value = " + q + "]", true
		}
		return "[ipv4-addr:value = " + q + "]", true
	case intel.Domain:
		return "[domain-name:value = " + q + "]", true
	case intel.URL:
		return "[url:value = " + q + "]", true
	case intel.MD5:
		return "[file:hashes.MD5 = " + q + "]", true
	case intel.SHA1:
		return "[file:hashes.'SHA-1' = " + q + "]", true
	case intel.SHA256:
		return "[file:hashes.'SHA-256' = " + q + "]", true
	case intel.Email:
		return "[email-addr:value = " + q + "]", true
	case intel.FileName:
		return "[file:name = " + q + "]", true
	case intel.UserAgent:
		return "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = " + q + "]", true
	}
	return "", false
}

// STIX renders an indicator of a tenant as a STIX indicator object.
func STIX(tenant string, i intel.IOC) (Indicator, bool) {
	p, ok := Pattern(i)
	if !ok {
		return Indicator{}, false
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	created := i.CreatedAt
	if created.IsZero() {
		created = i.FirstSeen
	}
	modified := i.UpdatedAt
	if modified.Before(created) {
		modified = created
	}
	out := Indicator{Type: "indicator", SpecVersion: "2.1", ID: intel.STIXID(tenant, i.Type, i.Value),
		Created: ts(created), Modified: ts(modified), Name: string(i.Type) + " " + i.Value, Description: i.Description,
		IndicatorTypes: []string{"malicious-activity"}, Pattern: p, PatternType: "stix", ValidFrom: ts(i.FirstSeen),
		Confidence: i.Confidence, Labels: i.Tags}
	if i.Expires != nil && i.Expires.After(i.FirstSeen) {
		out.ValidUntil = ts(*i.Expires)
	}
	if m, ok := tlpMarking[i.TLP]; ok {
		out.Markings = []string{m}
	}
	return out, true
}

// Envelope is a TAXII 2.1 envelope of STIX objects.
type Envelope struct {
	More    bool        `json:"more"`
	Next    string      `json:"next,omitempty"`
	Objects []Indicator `json:"objects,omitempty"`
}

// Page cuts one TAXII page from a list sorted by change number: objects
// modified after addedAfter (zero: all), starting after the change number
// next, at most limit. It returns the envelope and the first and last
// modification times (the X-TAXII-Date-Added-First/Last headers).
func Page(l List, addedAfter time.Time, next int64, limit int) (Envelope, time.Time, time.Time) {
	sort.Slice(l.IOCs, func(a, b int) bool { return l.IOCs[a].Seq < l.IOCs[b].Seq }) // the slice, not the IOCs
	var env Envelope
	var first, last time.Time
	for _, i := range l.IOCs {
		// TAXII timestamps carry microseconds; compare at that precision
		// so a client passing back X-TAXII-Date-Added-Last gets no repeats.
		added := i.UpdatedAt.Truncate(time.Microsecond)
		if i.Seq <= next || (!addedAfter.IsZero() && !added.After(addedAfter)) {
			continue
		}
		if len(env.Objects) == limit {
			env.More = true
			break
		}
		obj, ok := STIX(l.Tenant, *i)
		if !ok {
			continue
		}
		env.Objects = append(env.Objects, obj)
		if first.IsZero() || added.Before(first) {
			first = added
		}
		if added.After(last) {
			last = added
		}
		next = i.Seq
	}
	if env.More {
		env.Next = fmt.Sprint(next)
	}
	return env, first, last
}
