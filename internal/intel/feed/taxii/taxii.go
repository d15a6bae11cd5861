// Package taxii is a TAXII 2.1 client: it discovers a server's API roots,
// lists their collections and pulls a collection's objects page by page
// (limit/next, more), from an added_after point so a scheduled pull only
// fetches what is new. The STIX objects it gets are read by the stix
// package. Basic and bearer-token authentication are supported.
//
// It never retries on its own and never keeps state between calls: the
// caller keeps the added_after high-water mark (Pull returns it) and
// decides when to pull again.
package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/stix"
)

// Format is the name of TAXII envelopes in the import API.
const Format = "taxii"

// MediaType is what the client asks for.
const MediaType = "application/taxii+json;version=2.1"

// maxResponse bounds one response body.
const maxResponse = 256 << 20

// Client talks to one TAXII 2.1 server.
type Client struct {
	// Discovery is the server's discovery URL, e.g. https://host/taxii2/.
	Discovery string
	// User and Password set basic authentication; Token a bearer token.
	User, Password, Token string
	HTTP                  *http.Client
	// PageSize is the limit asked per objects page (default 1000).
	PageSize int
}

// Discovery is the server's discovery resource.
type Discovery struct {
	Title    string   `json:"title"`
	Default  string   `json:"default"`
	APIRoots []string `json:"api_roots"`
}

// Collection is one TAXII collection.
type Collection struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	CanRead    bool     `json:"can_read"`
	CanWrite   bool     `json:"can_write"`
	MediaTypes []string `json:"media_types"`
}

// HTTPError is a non-success answer of the server.
type HTTPError struct {
	URL    string
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = " (check the user/password or token and the collection's can_read)"
	case http.StatusNotFound:
		hint = " (check the API root and collection id)"
	}
	return fmt.Sprintf("taxii: %s answered %d%s: %s", e.URL, e.Status, hint, e.Body)
}

func (c *Client) get(ctx context.Context, u string, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	req.Header.Set("Accept", MediaType)
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxResponse)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(body, 512))
		return nil, &HTTPError{URL: u, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if err := json.NewDecoder(body).Decode(out); err != nil {
		return nil, fmt.Errorf("taxii: %s: not a TAXII JSON answer: %w", u, err)
	}
	return resp.Header, nil
}

// resolve makes a possibly relative URL absolute against base and gives
// it the trailing slash TAXII URLs have.
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("taxii: bad URL %q: %w", base, err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("taxii: bad URL %q: %w", ref, err)
	}
	u := b.ResolveReference(r).String()
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u, nil
}

// Discover reads the discovery resource.
func (c *Client) Discover(ctx context.Context) (Discovery, error) {
	var d Discovery
	_, err := c.get(ctx, c.Discovery, &d)
	for k, root := range d.APIRoots {
		if d.APIRoots[k], err = resolve(c.Discovery, root); err != nil {
			return d, err
		}
	}
	return d, err
}

// Collections lists the collections of an API root (a URL).
func (c *Client) Collections(ctx context.Context, root string) ([]Collection, error) {
	var out struct {
		Collections []Collection `json:"collections"`
	}
	_, err := c.get(ctx, strings.TrimSuffix(root, "/")+"/collections/", &out)
	return out.Collections, err
}

// envelope is one page of objects.
type envelope struct {
	More    bool          `json:"more"`
	Next    string        `json:"next"`
	Objects []stix.Object `json:"objects"`
}

// Objects pulls every object of a collection added after addedAfter
// (zero: all), following next while more is set. It returns the objects
// and the newest X-TAXII-Date-Added-Last seen, to pass as addedAfter next
// time (addedAfter itself when the server sends none).
func (c *Client) Objects(ctx context.Context, root, collection string, addedAfter time.Time) ([]stix.Object, time.Time, error) {
	base := strings.TrimSuffix(root, "/") + "/collections/" + url.PathEscape(collection) + "/objects/"
	limit := c.PageSize
	if limit <= 0 {
		limit = 1000
	}
	var all []stix.Object
	high := addedAfter
	next := ""
	for page := 0; ; page++ {
		if page == 100000 {
			return all, high, errors.New("taxii: more than 100000 pages; is the server's next advancing?")
		}
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if !addedAfter.IsZero() {
			q.Set("added_after", addedAfter.UTC().Format(time.RFC3339Nano))
		}
		if next != "" {
			q.Set("next", next)
		}
		var env envelope
		h, err := c.get(ctx, base+"?"+q.Encode(), &env)
		if err != nil {
			return all, high, err
		}
		all = append(all, env.Objects...)
		if t, err := time.Parse(time.RFC3339Nano, h.Get("X-TAXII-Date-Added-Last")); err == nil && t.After(high) {
			high = t
		}
		if !env.More || len(env.Objects) == 0 {
			return all, high, nil
		}
		if env.Next == "" || env.Next == next {
			return all, high, errors.New("taxii: the server says there is more but gives no new next")
		}
		next = env.Next
	}
}

// Pull reads every readable collection of every API root (or only the
// collection named, when collection is not empty) and turns the STIX
// indicators into indicators of compromise.
func (c *Client) Pull(ctx context.Context, collection string, addedAfter time.Time, o feed.Options) (feed.Result, time.Time, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return feed.Result{}, addedAfter, err
	}
	var objs []stix.Object
	high := addedAfter
	for _, root := range d.APIRoots {
		cols, err := c.Collections(ctx, root)
		if err != nil {
			return feed.Result{}, addedAfter, err
		}
		for _, col := range cols {
			if !col.CanRead || (collection != "" && col.ID != collection) {
				continue
			}
			got, h, err := c.Objects(ctx, root, col.ID, addedAfter)
			if err != nil {
				return feed.Result{}, addedAfter, err
			}
			objs = append(objs, got...)
			if h.After(high) {
				high = h
			}
		}
	}
	return stix.FromObjects(objs, o), high, nil
}
