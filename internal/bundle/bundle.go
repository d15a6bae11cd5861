// Package bundle writes and verifies evidence bundles: ZIP files whose
// manifest.json lists every other file with its SHA-256 and size. A bundle
// verifies when every listed file is present with that hash and nothing
// else is in it. The manifest's own SHA-256 is recorded in the audit trail
// when the bundle is exported, so replacing file and manifest together is
// caught too (compare Result.ManifestSHA256 with the audit record).
package bundle

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// Format names this layout in the manifest.
const Format = "yagura-evidence-bundle/1"

// ManifestName is the manifest's path in the ZIP.
const ManifestName = "manifest.json"

// File is one entry of the manifest.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest describes a bundle.
type Manifest struct {
	Format    string    `json:"format"`
	Tenant    string    `json:"tenant"`
	CaseID    string    `json:"case_id"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Files     []File    `json:"files"`
}

// Writer builds a bundle.
type Writer struct {
	zw    *zip.Writer
	files []File
	seen  map[string]bool
}

// NewWriter starts a bundle on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{zw: zip.NewWriter(w), seen: map[string]bool{}}
}

// Add writes one file, hashing it on the way.
func (b *Writer) Add(name string, r io.Reader) error {
	clean := path.Clean(name)
	if clean == ManifestName || strings.HasPrefix(clean, "../") || path.IsAbs(clean) || b.seen[clean] {
		return fmt.Errorf("bundle: bad or duplicate file name %q", name)
	}
	b.seen[clean] = true
	fw, err := b.zw.CreateHeader(&zip.FileHeader{Name: clean, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), r)
	if err != nil {
		return fmt.Errorf("bundle: %s: %w", name, err)
	}
	b.files = append(b.files, File{Path: clean, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
	return nil
}

// AddJSON writes v as indented JSON.
func (b *Writer) AddJSON(name string, v any) error {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return b.Add(name, strings.NewReader(string(body)+"\n"))
}

// Close writes the manifest and finishes the ZIP; it returns the
// manifest's SHA-256, to be recorded where the bundle cannot change it.
func (b *Writer) Close(m Manifest) (string, error) {
	m.Format = Format
	m.Files = b.files
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	fw, err := b.zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(body); err != nil {
		return "", err
	}
	if err := b.zw.Close(); err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// Result is what verification found.
type Result struct {
	Manifest       Manifest
	ManifestSHA256 string
	Files          int
	Problems       []string // empty when the bundle holds
}

// ErrNotBundle means the file is not a bundle at all.
var ErrNotBundle = errors.New("not an evidence bundle")

// Verify checks every hash of a bundle.
func Verify(r io.ReaderAt, size int64) (Result, error) {
	var res Result
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		entries[f.Name] = f
	}
	mf, ok := entries[ManifestName]
	if !ok {
		return res, fmt.Errorf("%w: no %s", ErrNotBundle, ManifestName)
	}
	body, err := readAll(mf)
	if err != nil {
		return res, fmt.Errorf("%w: %s: %v", ErrNotBundle, ManifestName, err)
	}
	if err := json.Unmarshal(body, &res.Manifest); err != nil || res.Manifest.Format != Format {
		return res, fmt.Errorf("%w: %s is not a %s manifest", ErrNotBundle, ManifestName, Format)
	}
	sum := sha256.Sum256(body)
	res.ManifestSHA256 = hex.EncodeToString(sum[:])
	listed := map[string]bool{}
	for _, want := range res.Manifest.Files {
		listed[want.Path] = true
		f, ok := entries[want.Path]
		if !ok {
			res.Problems = append(res.Problems, want.Path+": listed in the manifest but missing")
			continue
		}
		h := sha256.New()
		rc, err := f.Open()
		if err != nil {
			res.Problems = append(res.Problems, want.Path+": unreadable: "+err.Error())
			continue
		}
		n, err := io.Copy(h, rc)
		rc.Close()
		switch got := hex.EncodeToString(h.Sum(nil)); {
		case err != nil:
			res.Problems = append(res.Problems, want.Path+": unreadable: "+err.Error())
		case got != want.SHA256 || n != want.Size:
			res.Problems = append(res.Problems, fmt.Sprintf("%s: SHA-256 %s does not match the manifest's %s (modified)", want.Path, got, want.SHA256))
		default:
			res.Files++
		}
	}
	var extra []string
	for name := range entries {
		if name != ManifestName && !listed[name] {
			extra = append(extra, name+": not listed in the manifest (added)")
		}
	}
	sort.Strings(extra)
	res.Problems = append(res.Problems, extra...)
	return res, nil
}

func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}
