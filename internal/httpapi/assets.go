package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/inventory"
	"github.com/yagura-soc/yagura/internal/store"
)

func assetRoutes() []route {
	return []route{
		{"GET", "/api/v1/assets", auth.PermAssetsRead, (*Server).listAssets},
		{"POST", "/api/v1/assets", auth.PermAssetsWrite, (*Server).putAsset},
		{"POST", "/api/v1/assets/import", auth.PermAssetsWrite, (*Server).importAssets},
		{"GET", "/api/v1/assets/{id}", auth.PermAssetsRead, (*Server).getAsset},
		{"PUT", "/api/v1/assets/{id}", auth.PermAssetsWrite, (*Server).putAsset},
		{"DELETE", "/api/v1/assets/{id}", auth.PermAssetsWrite, (*Server).deleteAsset},
	}
}

// assetInput is the body of POST /assets and PUT /assets/{id}.
type assetInput struct {
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Criticality int      `json:"criticality"`
	Owner       string   `json:"owner"`
	Tags        []string `json:"tags"`
	Networks    []string `json:"networks"`
}

func (s *Server) assetStoreError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such asset")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "another asset has that id")
	default:
		s.deps.Log.Error("assets", "err", err)
		writeError(w, http.StatusInternalServerError, "the asset store failed")
	}
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != store.AssetHost && kind != store.AssetUser {
		writeError(w, http.StatusBadRequest, "kind: host or user")
		return
	}
	as, err := s.deps.State.Scope(p.Tenant).Assets().List(r.Context(), kind)
	if err != nil {
		s.assetStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Asset]{Items: as, Total: len(as)})
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	a, err := s.deps.State.Scope(p.Tenant).Assets().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.assetStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// putAsset creates or replaces an asset. POST upserts by kind and name;
// PUT replaces the asset with that id.
func (s *Server) putAsset(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in assetInput
	if !decodeJSON(w, r, &in, 1<<20, "the body must be an asset {kind, name, criticality, owner, tags, networks}") {
		return
	}
	a := store.Asset{Kind: in.Kind, Name: in.Name, Criticality: in.Criticality, Owner: in.Owner, Tags: in.Tags, Networks: in.Networks}
	if err := a.Normalize(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	assets := s.deps.State.Scope(p.Tenant).Assets()
	status := http.StatusOK
	if id := r.PathValue("id"); id != "" {
		old, err := assets.Get(r.Context(), id)
		if err != nil {
			s.assetStoreError(w, err)
			return
		}
		if old.Kind != a.Kind || old.Name != a.Name {
			// A rename: the new identity takes over the id.
			if err := assets.Delete(r.Context(), id); err != nil {
				s.assetStoreError(w, err)
				return
			}
		}
		a.ID, a.CreatedAt = id, old.CreatedAt
	} else {
		status = http.StatusCreated
	}
	out, err := assets.Upsert(r.Context(), a)
	if err != nil {
		s.assetStoreError(w, err)
		return
	}
	if !s.audited(w, r, p, "asset.put", "asset/"+out.ID, map[string]any{"kind": out.Kind, "name": out.Name,
		"criticality": out.Criticality}) {
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	if err := s.deps.State.Scope(p.Tenant).Assets().Delete(r.Context(), id); err != nil {
		s.assetStoreError(w, err)
		return
	}
	if !s.audited(w, r, p, "asset.delete", "asset/"+id, nil) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// importAssets takes a CSV (text/csv) or YAML (application/yaml) inventory.
// A file with any bad entry stores nothing and lists every problem.
func (s *Server) importAssets(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	format := map[string]string{"text/csv": inventory.CSV, "application/yaml": inventory.YAML,
		"application/x-yaml": inventory.YAML, "text/yaml": inventory.YAML}[mt]
	if format == "" {
		writeError(w, http.StatusUnsupportedMediaType, "send the inventory as text/csv or application/yaml")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "the inventory is too large: split it")
		return
	}
	parsed, problems, err := inventory.Parse(body, format)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":    fmt.Sprintf("%d entries are invalid; nothing was imported", len(problems)),
			"problems": problems,
		})
		return
	}
	assets := s.deps.State.Scope(p.Tenant).Assets()
	for _, a := range parsed {
		if _, err := assets.Upsert(r.Context(), a); err != nil {
			s.assetStoreError(w, err)
			return
		}
	}
	if !s.audited(w, r, p, "asset.import", "assets", map[string]any{"count": len(parsed), "format": format}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": len(parsed)})
}
