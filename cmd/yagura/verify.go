package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/yagura-soc/yagura/internal/bundle"
)

// runVerify checks an evidence bundle: exit 0 when every file matches the
// manifest, 1 naming each file that does not.
func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("verify takes one bundle file: yagura verify BUNDLE.zip")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	res, err := bundle.Verify(f, fi.Size())
	if errors.Is(err, bundle.ErrNotBundle) {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "bundle of case %s (tenant %s), made %s by %s\nmanifest SHA-256 %s (compare with the case.bundle record in the audit trail)\n",
		m.CaseID, m.Tenant, m.CreatedAt.Format("2006-01-02 15:04:05 MST"), m.CreatedBy, res.ManifestSHA256)
	if len(res.Problems) == 0 {
		fmt.Fprintf(stdout, "OK: all %d files match their SHA-256\n", res.Files)
		return nil
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, "TAMPERED:", p)
	}
	return exitError{1}
}
