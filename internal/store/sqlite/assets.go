package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// Assets implements store.Scoped.
func (sc scoped) Assets() store.Assets { return assets(sc) }

// assets is one tenant's inventory; every statement binds the tenant.
type assets scoped

const assetColumns = `id, tenant, kind, name, criticality, owner, tags, networks, created_at, updated_at`

func scanAsset(row scanner) (store.Asset, error) {
	var a store.Asset
	var tags, nets string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.Tenant, &a.Kind, &a.Name, &a.Criticality, &a.Owner, &tags, &nets, &created, &updated); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
		return a, fmt.Errorf("asset %s: tags: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(nets), &a.Networks); err != nil {
		return a, fmt.Errorf("asset %s: networks: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return a, nil
}

func (as assets) Upsert(ctx context.Context, a store.Asset) (store.Asset, error) {
	if err := a.Normalize(); err != nil {
		return store.Asset{}, err
	}
	now := as.s.now()
	a.Tenant, a.UpdatedAt = as.tenant, now
	if a.ID == "" {
		a.ID = ulid.Make().String()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	tags, _ := json.Marshal(a.Tags)
	nets, _ := json.Marshal(a.Networks)
	// The same kind and name replace the stored asset, keeping its id.
	row := as.s.db.QueryRowContext(ctx, `INSERT INTO assets (`+assetColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (tenant, kind, name) DO UPDATE SET criticality = excluded.criticality, owner = excluded.owner,
			tags = excluded.tags, networks = excluded.networks, updated_at = excluded.updated_at
		RETURNING `+assetColumns,
		a.ID, a.Tenant, a.Kind, a.Name, a.Criticality, a.Owner, string(tags), string(nets), toNanos(a.CreatedAt), toNanos(a.UpdatedAt))
	out, err := scanAsset(row)
	if isUniqueViolation(err) {
		return store.Asset{}, store.ErrConflict // the id is taken by another asset
	}
	if err != nil {
		return store.Asset{}, fmt.Errorf("store asset: %w", err)
	}
	return out, nil
}

func (as assets) Get(ctx context.Context, id string) (store.Asset, error) {
	a, err := scanAsset(as.s.db.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE tenant = ? AND id = ?`, as.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	return a, err
}

func (as assets) List(ctx context.Context, kind string) ([]store.Asset, error) {
	return queryAll(ctx, as.s.db, "list assets", scanAsset, `SELECT `+assetColumns+` FROM assets
		WHERE tenant = ? AND (? = '' OR kind = ?) ORDER BY kind, name`, as.tenant, kind, kind)
}

func (as assets) Delete(ctx context.Context, id string) error {
	res, err := as.s.db.ExecContext(ctx, `DELETE FROM assets WHERE tenant = ? AND id = ?`, as.tenant, id)
	if err != nil {
		return fmt.Errorf("delete asset: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
