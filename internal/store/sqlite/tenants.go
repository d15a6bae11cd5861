package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yagura-soc/yagura/internal/store"
)

type tenants struct{ s *Store }

func (t tenants) Create(ctx context.Context, name string) (store.Tenant, error) {
	tn := store.Tenant{Name: name, CreatedAt: t.s.now()}
	_, err := t.s.db.ExecContext(ctx, `INSERT INTO tenants(name, created_at) VALUES (?, ?)`, name, toNanos(tn.CreatedAt))
	if isUniqueViolation(err) {
		return store.Tenant{}, store.ErrConflict
	}
	if err != nil {
		return store.Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	return tn, nil
}

func (t tenants) Get(ctx context.Context, name string) (store.Tenant, error) {
	var created int64
	err := t.s.db.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE name = ?`, name).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Tenant{}, store.ErrNotFound
	}
	if err != nil {
		return store.Tenant{}, fmt.Errorf("get tenant: %w", err)
	}
	return store.Tenant{Name: name, CreatedAt: fromNanos(created)}, nil
}

func (t tenants) List(ctx context.Context) ([]store.Tenant, error) {
	return queryAll(ctx, t.s.db, "list tenants", func(r scanner) (store.Tenant, error) {
		var tn store.Tenant
		var created int64
		err := r.Scan(&tn.Name, &created)
		tn.CreatedAt = fromNanos(created)
		return tn, err
	}, `SELECT name, created_at FROM tenants ORDER BY name`)
}
