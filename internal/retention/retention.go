// Package retention enforces each tenant's retention policy: event days
// older than the hot window are archived to compressed Parquet (the file's
// SHA-256 goes into the audit trail) and dropped from the event store as
// whole partitions; archives older than the deletion limit are deleted;
// closed alerts age out. A legal hold overrides all of it for the days it
// covers. Every action is recorded in the tenant's audit trail.
//
// The enforcer takes the time as an argument, never from the clock, so
// that tests (and a dry run for an auditor) can ask "what happens on day X".
package retention

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

const day = 24 * time.Hour

// Enforcer applies the policies.
type Enforcer struct {
	Events     store.EventStore
	State      store.State
	Blobs      store.Blobs // case evidence files; nil leaves them in place
	ArchiveDir string
	Log        *slog.Logger
}

// Report says what one run did for one tenant.
type Report struct {
	Tenant        string          `json:"tenant"`
	Archived      []store.Archive `json:"archived"`
	Dropped       []time.Time     `json:"dropped"` // deleted without archive (past the deletion limit already)
	Deleted       []store.Archive `json:"deleted"`
	Held          []time.Time     `json:"held"` // days kept because of a legal hold
	AlertsDeleted int64           `json:"alerts_deleted"`
	CasesDeleted  []string        `json:"cases_deleted"`
}

// Run enforces every tenant's policy as of now.
func (e *Enforcer) Run(ctx context.Context, now time.Time) ([]Report, error) {
	tenants, err := e.State.Tenants().List(ctx)
	if err != nil {
		return nil, err
	}
	var reports []Report
	var errs []error
	for _, t := range tenants {
		r, err := e.RunTenant(ctx, t.Name, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.Name, err))
		}
		reports = append(reports, r)
	}
	return reports, errors.Join(errs...)
}

// RunTenant enforces one tenant's policy as of now.
func (e *Enforcer) RunTenant(ctx context.Context, tenant string, now time.Time) (Report, error) {
	rep := Report{Tenant: tenant}
	scope := e.State.Scope(tenant)
	policy, err := scope.Retention().Policy(ctx)
	if err != nil {
		return rep, err
	}
	holds, err := scope.Retention().Holds(ctx)
	if err != nil {
		return rep, err
	}
	held := func(d time.Time) bool {
		for _, h := range holds {
			if h.Covers(d) {
				return true
			}
		}
		return false
	}
	today := now.UTC().Truncate(day)
	hotLimit := today.Add(-time.Duration(policy.HotDays) * day)
	deleteLimit := today.Add(-time.Duration(policy.DeleteAfterDays) * day)

	parts, err := e.Events.Partitions(ctx, tenant)
	if err != nil {
		return rep, err
	}
	for _, p := range parts {
		if !p.Day.Before(hotLimit) {
			continue
		}
		if held(p.Day) {
			rep.Held = append(rep.Held, p.Day)
			continue
		}
		if p.Day.Before(deleteLimit) {
			// Past the deletion limit already (e.g. a policy shortened):
			// nothing to keep, so no archive.
			if err := e.drop(ctx, scope, tenant, p, "retention.delete"); err != nil {
				return rep, err
			}
			rep.Dropped = append(rep.Dropped, p.Day)
			continue
		}
		a, err := e.archive(ctx, scope, tenant, p, now)
		if err != nil {
			return rep, err
		}
		rep.Archived = append(rep.Archived, a)
	}

	archives, err := scope.Retention().Archives(ctx)
	if err != nil {
		return rep, err
	}
	for _, a := range archives {
		if a.DeletedAt != nil || !a.Day.Before(deleteLimit) {
			continue
		}
		if held(a.Day) {
			rep.Held = append(rep.Held, a.Day)
			continue
		}
		if err := os.Remove(a.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return rep, fmt.Errorf("delete archive %s: %w", a.Path, err)
		}
		if err := scope.Retention().MarkArchiveDeleted(ctx, a.Day, now); err != nil {
			return rep, err
		}
		if err := e.audit(ctx, scope, "retention.delete_archive", a.Day, map[string]any{"path": a.Path, "sha256": a.SHA256, "events": a.Events}); err != nil {
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, a)
	}

	// Closed alerts: never delete into a held period.
	cutoff := today.Add(-time.Duration(policy.AlertDays) * day)
	for _, h := range holds {
		if h.ReleasedAt == nil && h.From.Before(cutoff) {
			cutoff = h.From
		}
	}
	n, err := scope.Alerts().DeleteClosedBefore(ctx, cutoff)
	if err != nil {
		return rep, err
	}
	if n > 0 {
		if err := e.audit(ctx, scope, "retention.delete_alerts", cutoff, map[string]any{"alerts": n, "closed_before": cutoff}); err != nil {
			return rep, err
		}
	}
	rep.AlertsDeleted = n
	if rep.CasesDeleted, err = e.expireCases(ctx, scope, policy, holds, today); err != nil {
		return rep, err
	}
	return rep, nil
}

// expireCases deletes closed cases last changed more than CaseDays ago,
// with their evidence — except a case a legal hold names or whose span a
// hold covers.
func (e *Enforcer) expireCases(ctx context.Context, scope store.Scoped, policy store.RetentionPolicy, holds []store.LegalHold, today time.Time) ([]string, error) {
	if policy.CaseDays <= 0 {
		return []string{}, nil
	}
	cutoff := today.Add(-time.Duration(policy.CaseDays) * day)
	old, _, err := scope.Cases().List(ctx, store.CaseFilter{Status: "closed", Stage: -1, UpdatedBefore: cutoff, Limit: 1000})
	if err != nil {
		return nil, err
	}
	deleted := []string{}
	for _, c := range old {
		end := c.UpdatedAt
		if c.ClosedAt != nil {
			end = *c.ClosedAt
		}
		held := false
		for _, h := range holds {
			if h.ReleasedAt == nil && (h.CaseID == c.ID || (h.From.Before(end) && c.CreatedAt.Before(h.To))) {
				held = true
			}
		}
		if held {
			continue
		}
		files, err := scope.Cases().Delete(ctx, c.ID)
		if err != nil {
			return deleted, err
		}
		if e.Blobs != nil {
			for _, sha := range files {
				if err := e.Blobs.Delete(ctx, scope.Tenant(), sha); err != nil {
					return deleted, err
				}
			}
		}
		if _, err := scope.Audit().Append(ctx, store.AuditRecord{Actor: "system", Role: "retention", Action: "retention.delete_case",
			Object: "case/" + c.ID, Details: map[string]any{"title": c.Title, "closed": end, "evidence_deleted": files}}); err != nil {
			return deleted, err
		}
		deleted = append(deleted, c.ID)
	}
	return deleted, nil
}

// archive writes a day to Parquet, records it with its hash, then drops the
// partition. A crash in between leaves the partition in place; the next run
// archives it again.
func (e *Enforcer) archive(ctx context.Context, scope store.Scoped, tenant string, p store.Partition, now time.Time) (store.Archive, error) {
	path := filepath.Join(e.ArchiveDir, tenant, p.Day.Format("2006-01-02")+".parquet")
	n, err := e.Events.ArchivePartition(ctx, tenant, p.Day, path)
	if err != nil {
		return store.Archive{}, err
	}
	sum, size, err := fileSHA256(path)
	if err != nil {
		return store.Archive{}, err
	}
	a := store.Archive{Tenant: tenant, Day: p.Day, Path: path, SHA256: sum, Events: n, Bytes: size, ArchivedAt: now}
	if err := scope.Retention().RecordArchive(ctx, a); err != nil {
		return a, err
	}
	if err := e.audit(ctx, scope, "retention.archive", p.Day, map[string]any{"path": path, "sha256": sum, "events": n, "bytes": size}); err != nil {
		return a, err
	}
	if err := e.Events.DropPartition(ctx, tenant, p.Day); err != nil {
		return a, err
	}
	e.Log.Info("archived events", "tenant", tenant, "day", p.Day.Format("2006-01-02"), "events", n, "sha256", sum)
	return a, nil
}

func (e *Enforcer) drop(ctx context.Context, scope store.Scoped, tenant string, p store.Partition, action string) error {
	if err := e.Events.DropPartition(ctx, tenant, p.Day); err != nil {
		return err
	}
	return e.audit(ctx, scope, action, p.Day, map[string]any{"events": p.Events})
}

func (e *Enforcer) audit(ctx context.Context, scope store.Scoped, action string, d time.Time, details map[string]any) error {
	_, err := scope.Audit().Append(ctx, store.AuditRecord{Actor: "system", Role: "retention", Action: action,
		Object: "events/" + d.Format("2006-01-02"), Details: details})
	return err
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
