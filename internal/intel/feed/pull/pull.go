// Package pull fetches configured feeds on a schedule: plain HTTP(S)
// documents (STIX, MISP event, CSV, text) with conditional requests
// (If-None-Match / If-Modified-Since, so an unchanged feed costs a 304) and
// TAXII 2.1 collections from the previous pull's added_after mark. Failures
// back off exponentially (a server's Retry-After wins) up to an hour.
//
// A puller never parses or stores by itself: it hands the document to the
// reader the service names and the result to the service's Store.
package pull

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/taxii"
)

// Source is one configured feed.
type Source struct {
	Name    string        // also the source name kept on the indicators
	Tenant  string        // the tenant the indicators go to
	URL     string        // document URL, or TAXII discovery URL
	Format  string        // stix, misp, csv, text, or taxii for a TAXII server
	Every   time.Duration // pull interval (default 1h)
	Options feed.Options  // confidence, TLP, to_block, TTL for the entries
	Mapping string        // csv column mapping
	Type    intel.Type    // text: type of every line
	// Authentication: a bearer token, or user and password (basic).
	Token, User, Password string
	Collection            string // taxii: one collection id; "" means every readable one
}

// Reader parses a fetched document (service.Read fits).
type Reader func(r io.Reader, s Source) (feed.Result, error)

// Storer keeps what a pull produced (service.Store fits).
type Storer func(ctx context.Context, tenant string, res feed.Result) error

// Puller pulls one source.
type Puller struct {
	src   Source
	read  Reader
	store Storer
	http  *http.Client
	log   *slog.Logger
	// sleep waits d or until ctx ends (replaced in tests).
	sleep func(ctx context.Context, d time.Duration) error

	etag, lastModified string
	addedAfter         time.Time
	failures           int
}

// New makes a puller.
func New(src Source, read Reader, store Storer, hc *http.Client, log *slog.Logger) *Puller {
	if src.Every <= 0 {
		src.Every = time.Hour
	}
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	src.Options.Source = src.Name
	return &Puller{src: src, read: read, store: store, http: hc, log: log, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryAfterError carries a server's Retry-After.
type RetryAfterError struct {
	Status int
	After  time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("feed answered %d; retry after %s", e.Status, e.After)
}

// Once pulls the source one time. changed is false when the server said
// nothing changed (304) or a TAXII pull found nothing new.
func (p *Puller) Once(ctx context.Context) (changed bool, err error) {
	if p.src.Format == taxii.Format {
		c := &taxii.Client{Discovery: p.src.URL, Token: p.src.Token, User: p.src.User, Password: p.src.Password, HTTP: p.http}
		res, high, err := c.Pull(ctx, p.src.Collection, p.addedAfter, p.src.Options)
		if err != nil {
			return false, err
		}
		if len(res.IOCs) == 0 && len(res.Rejected) == 0 {
			p.addedAfter = high
			return false, nil
		}
		if err := p.store(ctx, p.src.Tenant, res); err != nil {
			return false, err
		}
		p.addedAfter = high // only after the store kept them
		return true, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.src.URL, nil)
	if err != nil {
		return false, fmt.Errorf("feed %s: %w", p.src.Name, err)
	}
	if p.etag != "" {
		req.Header.Set("If-None-Match", p.etag)
	}
	if p.lastModified != "" {
		req.Header.Set("If-Modified-Since", p.lastModified)
	}
	switch {
	case p.src.Token != "":
		req.Header.Set("Authorization", "Bearer "+p.src.Token)
	case p.src.User != "":
		req.SetBasicAuth(p.src.User, p.src.Password)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("feed %s: %w", p.src.Name, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		after := time.Minute
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return false, &RetryAfterError{Status: resp.StatusCode, After: after}
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("feed %s: %s answered %s", p.src.Name, p.src.URL, resp.Status)
	}
	o := p.src
	o.Options.Now = time.Now().UTC()
	res, err := p.read(resp.Body, o)
	if err != nil {
		return false, fmt.Errorf("feed %s: %w", p.src.Name, err)
	}
	if err := p.store(ctx, p.src.Tenant, res); err != nil {
		return false, fmt.Errorf("feed %s: %w", p.src.Name, err)
	}
	// Remember the validators only once the content is stored, so a
	// failed store is fetched again in full.
	p.etag, p.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return true, nil
}

// Backoff is the wait after the n-th failure in a row: 30 s doubling,
// at most an hour.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for k := 1; k < n && d < time.Hour; k++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Run pulls until ctx ends: every src.Every, or after a backoff when a
// pull failed.
func (p *Puller) Run(ctx context.Context) {
	for {
		changed, err := p.Once(ctx)
		wait := p.src.Every
		if err != nil {
			p.failures++
			wait = Backoff(p.failures)
			if ra, ok := err.(*RetryAfterError); ok && ra.After > wait {
				wait = ra.After
			}
			p.log.Warn("feed pull failed", "feed", p.src.Name, "err", err, "retry_in", wait)
		} else {
			p.failures = 0
			p.log.Info("feed pulled", "feed", p.src.Name, "changed", changed)
		}
		if p.sleep(ctx, wait) != nil {
			return
		}
	}
}
