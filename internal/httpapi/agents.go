package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/agent/wire"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/respond/agentcmd"
	"github.com/yagura-soc/yagura/internal/store"
)

// agentRoutes serve the host agents (cmd/yagura-agent) and the people who
// watch them. Enroll, heartbeat and batch authenticate themselves: enroll
// with an enrollment token (so that it can say why a token is refused),
// the other two with the agent's own secret, which is not an API token.
func agentRoutes() []route {
	return []route{
		{"POST", wire.PathEnroll, "", (*Server).enrollAgent},
		{"POST", wire.PathHeartbeat, "", (*Server).agentHeartbeat},
		{"POST", wire.PathBatch, "", (*Server).agentBatch},
		{"GET", "/api/v1/agents", auth.PermAgentsRead, (*Server).listAgents},
		{"GET", "/api/v1/agents/config", auth.PermAgentsRead, (*Server).getAgentConfig},
		{"PUT", "/api/v1/agents/config", auth.PermAgentsManage, (*Server).putAgentConfig},
		{"POST", "/api/v1/agents/{id}/commands", auth.PermActionsRun, (*Server).queueAgentCommand},
		{"GET", "/api/v1/agents/{id}/commands", auth.PermAgentsRead, (*Server).listAgentCommands},
	}
}

// agentSource labels agent events and metrics.
const agentSource = "agent"

// Limits of one agent batch, after decompression.
const (
	maxAgentBatchBytes   = 64 << 20
	maxAgentBatchRecords = 100_000
	maxAgentRecordBytes  = 1 << 20
)

// agentLocks serialises the batches of one agent, so that a retry racing
// its own first attempt cannot store a batch twice.
type agentLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (l *agentLocks) lock(id string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*sync.Mutex{}
	}
	m, ok := l.locks[id]
	if !ok {
		m = &sync.Mutex{}
		l.locks[id] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// enrollAgent trades an enrollment token for an agent identity.
func (s *Server) enrollAgent(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	tok, ok := s.enrollmentToken(w, r)
	if !ok {
		return
	}
	var req wire.EnrollRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "enroll body: "+err.Error())
		return
	}
	req.Hostname = strings.TrimSpace(req.Hostname)
	if req.Hostname == "" || len(req.Hostname) > 255 {
		writeError(w, http.StatusBadRequest, "enroll: hostname is required (at most 255 bytes)")
		return
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		writeError(w, http.StatusInternalServerError, "enroll: no randomness; retry")
		return
	}
	secret := wire.SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.deps.Now()
	ag := store.Agent{ID: ulid.Make().String(), Tenant: tok.Tenant, Hostname: req.Hostname, OS: req.OS, Arch: req.Arch,
		SecretHash: auth.HashToken(secret), EnrolledAt: now, LastSeen: &now,
		Heartbeat: store.AgentHeartbeat{Version: req.Version}}
	if err := s.deps.State.Scope(tok.Tenant).Agents().Create(r.Context(), ag); err != nil {
		s.deps.Log.Error("agent enrollment failed", "tenant", tok.Tenant, "err", err)
		writeError(w, http.StatusInternalServerError, "enroll: storing the agent failed; retry")
		return
	}
	p := auth.Principal{TokenID: tok.ID, Tenant: tok.Tenant, Role: tok.Role}
	if !s.audited(w, r, p, "agent.enroll", ag.ID, map[string]any{"hostname": ag.Hostname, "os": ag.OS, "arch": ag.Arch}) {
		return
	}
	key, err := agentcmd.Key(r.Context(), s.deps.State)
	if err != nil {
		s.deps.Log.Error("agent signing key unavailable", "err", err)
		writeError(w, http.StatusServiceUnavailable, "enroll: the command key is unavailable; retry")
		return
	}
	writeJSON(w, http.StatusCreated, wire.EnrollResponse{AgentID: ag.ID, Tenant: ag.Tenant, Secret: secret,
		CommandKey: key.Public().(ed25519.PublicKey)})
}

// enrollmentToken checks the enrollment token and, unlike API
// authentication, says exactly why it is refused: the caller holds the
// secret, so naming its state reveals nothing to anyone else.
func (s *Server) enrollmentToken(w http.ResponseWriter, r *http.Request) (store.Token, bool) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		writeError(w, http.StatusUnauthorized, "enrollment needs 'Authorization: Bearer <enrollment token>' (create one with 'yagura token create --role enroll')")
		return store.Token{}, false
	}
	tok, err := s.deps.State.Tokens().ByHash(r.Context(), auth.HashToken(strings.TrimSpace(secret)))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusUnauthorized, "enrollment token unknown: check that it was copied whole, or create one with 'yagura token create --role enroll'")
		return store.Token{}, false
	case err != nil:
		s.deps.Log.Error("enrollment token lookup failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "enrollment is unavailable; retry")
		return store.Token{}, false
	case tok.Revoked:
		writeError(w, http.StatusUnauthorized, "enrollment token "+tok.ID+" was revoked: ask an admin for a new one ('yagura token create --role enroll')")
		return store.Token{}, false
	case tok.ExpiresAt != nil && !s.deps.Now().Before(*tok.ExpiresAt):
		writeError(w, http.StatusUnauthorized, "enrollment token "+tok.ID+" expired at "+tok.ExpiresAt.Format(time.RFC3339)+": ask an admin for a new one ('yagura token create --role enroll --ttl 24h')")
		return store.Token{}, false
	case !auth.Allowed(tok.Role, auth.PermAgentsEnroll):
		writeError(w, http.StatusForbidden, "a token of role "+tok.Role+" may not enroll agents; use one made with 'yagura token create --role enroll'")
		return store.Token{}, false
	}
	return tok, true
}

// agent authenticates a request by the agent's own secret.
func (s *Server) agent(w http.ResponseWriter, r *http.Request) (store.Agent, bool) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.HasPrefix(secret, wire.SecretPrefix) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="yagura-agent"`)
		writeError(w, http.StatusUnauthorized, "agent endpoints need 'Authorization: Bearer <agent secret>' (run 'yagura-agent enroll')")
		return store.Agent{}, false
	}
	ag, err := s.deps.State.AgentDirectory().ByHash(r.Context(), auth.HashToken(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusUnauthorized, "unknown agent secret: enroll the agent again")
		return store.Agent{}, false
	case err != nil:
		s.deps.Log.Error("agent lookup failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "agent authentication is unavailable; retry")
		return store.Agent{}, false
	}
	return ag, true
}

func agentPrincipal(ag store.Agent) auth.Principal {
	return auth.Principal{TokenID: "agent:" + ag.ID, Tenant: ag.Tenant, Role: auth.RoleIngest}
}

// agentHeartbeat records an agent's report and answers with its
// configuration.
func (s *Server) agentHeartbeat(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	ag, ok := s.agent(w, r)
	if !ok {
		return
	}
	var hb wire.Heartbeat
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&hb); err != nil {
		writeError(w, http.StatusBadRequest, "heartbeat body: "+err.Error())
		return
	}
	if len(hb.LastError) > 1024 {
		hb.LastError = hb.LastError[:1024]
	}
	sc := s.deps.State.Scope(ag.Tenant)
	now := s.deps.Now()
	report := store.AgentHeartbeat{Version: hb.Version, UptimeSeconds: hb.UptimeSeconds, EventsPerSecond: hb.EventsPerSecond,
		BufferBatches: hb.BufferBatches, BufferBytes: hb.BufferBytes, BufferFull: hb.BufferFull, Dropped: hb.Dropped,
		Errors: hb.Errors, LastError: hb.LastError, ConfigVersion: hb.ConfigVersion}
	if err := sc.Agents().Heartbeat(r.Context(), ag.ID, now, report); err != nil {
		s.deps.Log.Error("agent heartbeat not stored", "agent", ag.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, "heartbeat not stored; retry")
		return
	}
	if hb.BufferFull && !ag.Heartbeat.BufferFull {
		// The agent is dropping data: that needs a human now.
		if err := RaiseAgentAlert(r.Context(), sc, ag, "yagura-agent-buffer-full", "Agent disk buffer is full: events are being dropped", "high", now); err != nil {
			s.deps.Log.Error("agent buffer-full alert not stored", "agent", ag.ID, "err", err)
		}
	}
	for _, res := range hb.Results {
		if len(res.Error) > 1024 {
			res.Error = res.Error[:1024]
		}
		c, err := sc.Agents().Commands().Complete(r.Context(), ag.ID, res.ID, res.OK, res.Error, now)
		if errors.Is(err, store.ErrNotFound) {
			continue // reported before (the answer to that heartbeat was lost)
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "command result not stored; retry")
			return
		}
		details := map[string]any{"agent": ag.ID, "hostname": ag.Hostname, "action": c.Action, "targets": c.Targets, "ok": res.OK}
		if res.Error != "" {
			details["error"] = res.Error
		}
		if c.CaseID != "" {
			details["case_id"] = c.CaseID
		}
		if err := s.audit(r, agentPrincipal(ag), "agent.command.result", c.ID, details); err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	cfg, err := sc.Agents().Config(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "agent configuration unavailable; retry")
		return
	}
	pending, err := sc.Agents().Commands().Pending(r.Context(), ag.ID, now)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "agent commands unavailable; retry")
		return
	}
	resp := wire.HeartbeatResponse{Config: toWireConfig(cfg)}
	for _, c := range pending {
		var sc wire.SignedCommand
		if json.Unmarshal(c.Signed, &sc) == nil {
			resp.Commands = append(resp.Commands, sc)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// commandRequest asks for a containment command on one agent.
type commandRequest struct {
	Action     string   `json:"action"`
	Targets    []string `json:"targets"`
	TTLSeconds int64    `json:"ttl_seconds"`
	CaseID     string   `json:"case_id"`
}

func (s *Server) queueAgentCommand(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ag, err := s.deps.State.Scope(p.Tenant).Agents().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no agent "+r.PathValue("id"))
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "agent lookup failed; retry")
		return
	}
	var req commandRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "command: "+err.Error())
		return
	}
	c, err := agentcmd.Queue(r.Context(), s.deps.State, p.Tenant, agentcmd.Order{AgentID: ag.ID, Action: req.Action, Targets: req.Targets,
		TTL: time.Duration(req.TTLSeconds) * time.Second, Actor: p.Actor(), CaseID: req.CaseID}, s.deps.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "command: "+err.Error())
		return
	}
	details := map[string]any{"agent": ag.ID, "hostname": ag.Hostname, "action": c.Action, "targets": c.Targets, "expires": c.Expires}
	if c.CaseID != "" {
		details["case_id"] = c.CaseID
	}
	if !s.audited(w, r, p, "agent.command", c.ID, details) {
		return
	}
	writeJSON(w, http.StatusAccepted, c)
}

func (s *Server) listAgentCommands(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	cmds, err := s.deps.State.Scope(p.Tenant).Agents().Commands().List(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "agent commands unavailable; retry")
		return
	}
	writeJSON(w, http.StatusOK, list[store.AgentCommand]{Items: cmds, Total: len(cmds)})
}

func toWireConfig(c store.AgentConfig) wire.Config {
	out := wire.Config{Version: c.Version, Journald: c.Journald, Audit: c.Audit, EventLog: c.EventLog, Files: []wire.FileInput{}}
	for _, f := range c.Files {
		out.Files = append(out.Files, wire.FileInput(f))
	}
	return out
}

// RaiseAgentAlert stores an alert about an agent (silent, buffer full)
// through the alert store, deduplicated per agent and rule.
func RaiseAgentAlert(ctx context.Context, sc store.Scoped, ag store.Agent, rule, title, severity string, now time.Time) error {
	a := store.Alert{Tenant: ag.Tenant, Kind: store.KindDetection, RuleID: rule, RuleTitle: title, RuleLevel: severity,
		Severity: severity, RiskScore: 40, Status: store.StatusNew, Count: 1,
		Entities: map[string]string{"host.name": ag.Hostname, "agent.id": ag.ID}, Tags: []string{"yagura.agent"},
		Fingerprint: rule + ":" + ag.ID, EventIDs: []string{}, FirstSeen: now, LastSeen: now}
	_, err := sc.Alerts().Upsert(ctx, []store.Alert{a}, 24*time.Hour)
	return err
}

// agentBatch stores one batch of an agent, exactly once: a sequence number
// at or below the agent's last stored one is acknowledged without storing;
// a retry of a batch whose first attempt may have reached the event store
// (the server died before recording it) is looked up there first.
func (s *Server) agentBatch(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	ag, ok := s.agent(w, r)
	if !ok {
		return
	}
	max := s.deps.MaxBodyBytes
	if max < maxAgentBatchBytes {
		max = maxAgentBatchBytes
	}
	body, err := ingest.ReadBody(w, r, max)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ingest.ErrBodyTooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, code, "agent batch: "+err.Error())
		return
	}
	b, err := wire.Decode(bytes.NewReader(body), maxAgentRecordBytes, maxAgentBatchRecords)
	if err != nil {
		writeError(w, http.StatusBadRequest, "agent batch: "+err.Error())
		return
	}
	unlock := s.agentLocks.lock(ag.ID)
	defer unlock()
	// Work on from here even if the agent hangs up: the batch must end
	// either recorded or not begun.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
	defer cancel()
	agents := s.deps.State.Scope(ag.Tenant).Agents()
	if ag, err = agents.Get(ctx, ag.ID); err != nil { // fresh sequence numbers, under the lock
		writeError(w, http.StatusServiceUnavailable, "agent state unavailable; retry")
		return
	}
	now := s.deps.Now()
	agents.Seen(ctx, ag.ID, now)
	if b.Seq <= ag.LastSeq {
		writeJSON(w, http.StatusOK, wire.BatchResponse{Seq: b.Seq, Duplicate: true})
		return
	}
	chunks := agentChunks(ag, b)
	retry := b.Seq == ag.PendingSeq
	if !retry {
		if err := agents.BeginBatch(ctx, ag.ID, b.Seq); err != nil {
			writeError(w, http.StatusServiceUnavailable, "agent batch: recording the sequence failed; retry")
			return
		}
	}
	// Chunks go through the pipeline side by side (its workers share
	// them); each chunk is stored atomically, so after a crash a retry
	// looks each one up by its label and stores only the missing ones.
	var waiting []<-chan pipeline.Result
	stored := 0
	for _, c := range chunks {
		if retry {
			page, err := s.deps.Events.Search(ctx, store.EventQuery{Tenant: ag.Tenant, Limit: 1,
				Terms: []store.Term{{Field: "labels.agent_batch", Value: c.label}}})
			if err != nil {
				writeError(w, http.StatusServiceUnavailable, "agent batch: checking for an earlier delivery failed; retry")
				return
			}
			if page.Total > 0 {
				stored += len(c.items)
				continue
			}
		}
		ch, err := s.deps.Pipeline.Enqueue(ctx, pipeline.Batch{Tenant: ag.Tenant, Source: agentSource, Received: now, Items: c.items})
		if err != nil {
			s.agentBatchFailed(w, ag, b.Seq, err)
			return
		}
		waiting = append(waiting, ch)
	}
	for _, ch := range waiting {
		select {
		case r := <-ch:
			if r.Err != nil {
				s.agentBatchFailed(w, ag, b.Seq, r.Err)
				return
			}
		case <-ctx.Done():
			s.agentBatchFailed(w, ag, b.Seq, ctx.Err())
			return
		}
	}
	if retry && stored == len(b.Records) {
		if err := agents.CommitBatch(ctx, ag.ID, b.Seq); err != nil {
			writeError(w, http.StatusServiceUnavailable, "agent batch: recording the sequence failed; retry")
			return
		}
		writeJSON(w, http.StatusOK, wire.BatchResponse{Seq: b.Seq, Duplicate: true})
		return
	}
	if err := agents.CommitBatch(ctx, ag.ID, b.Seq); err != nil {
		// The events are stored; the retry will find them by label.
		writeError(w, http.StatusServiceUnavailable, "agent batch: recording the sequence failed; retry")
		return
	}
	writeJSON(w, http.StatusOK, wire.BatchResponse{Seq: b.Seq, Accepted: len(b.Records)})
}

func (s *Server) agentBatchFailed(w http.ResponseWriter, ag store.Agent, seq uint64, err error) {
	if errors.Is(err, pipeline.ErrClosed) {
		writeError(w, http.StatusServiceUnavailable, "server is shutting down; retry")
		return
	}
	s.deps.Log.Error("agent batch not stored; the agent will retry", "agent", ag.ID, "seq", seq, "err", err)
	writeError(w, http.StatusServiceUnavailable, "agent batch not stored; retry")
}

// agentChunk is how many records go through the pipeline as one job.
const agentChunk = 1000

type chunk struct {
	label string
	items []pipeline.Item
}

// agentChunks turns a batch into pipeline jobs. Every event carries its
// chunk's label (agent/seq/chunk), by which a retry finds what an earlier
// attempt stored.
func agentChunks(ag store.Agent, b wire.Batch) []chunk {
	var out []chunk
	for start := 0; start < len(b.Records); start += agentChunk {
		recs := b.Records[start:min(start+agentChunk, len(b.Records))]
		c := chunk{label: ag.ID + "/" + strconv.FormatUint(b.Seq, 10) + "/" + strconv.Itoa(len(out)), items: make([]pipeline.Item, len(recs))}
		metas := map[string]event.Fields{}
		for i, rec := range recs {
			m, ok := metas[rec.Source]
			if !ok {
				m = event.Fields{"host.name": ag.Hostname, "agent.id": ag.ID, "agent.type": "yagura-agent", "labels.agent_batch": c.label}
				if rec.Source == "journald" {
					m["event.module"] = "journald"
				} else {
					m["log.file.path"] = rec.Source
				}
				metas[rec.Source] = m
			}
			c.items[i] = ingest.Record(rec.Data, maxAgentRecordBytes, false)
			c.items[i].Format = rec.Format
			c.items[i].Meta = m
		}
		out = append(out, c)
	}
	return out
}

// agentView is one row of the agent list.
type agentView struct {
	store.Agent
	Status string `json:"status"`
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	all, err := s.deps.State.Scope(p.Tenant).Agents().List(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "listing agents failed; retry")
		return
	}
	now := s.deps.Now()
	out := list[agentView]{Items: make([]agentView, 0, len(all)), Total: len(all)}
	for _, a := range all {
		out.Items = append(out.Items, agentView{Agent: a, Status: a.Status(now)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAgentConfig(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	c, err := s.deps.State.Scope(p.Tenant).Agents().Config(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "agent configuration unavailable; retry")
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// putAgentConfig replaces what the tenant's agents collect; they pick it
// up with their next heartbeat.
func (s *Server) putAgentConfig(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var c store.AgentConfig
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&c); err != nil {
		writeError(w, http.StatusBadRequest, "agent configuration: "+err.Error())
		return
	}
	for i, f := range c.Files {
		if err := validFileInput(f); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("files[%d]: %v", i, err))
			return
		}
	}
	for i, ch := range c.EventLog {
		if strings.TrimSpace(ch) == "" || strings.ContainsAny(ch, "\x00*[]") {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("eventlog[%d]: %q is not a channel name (e.g. Security, Microsoft-Windows-Sysmon/Operational)", i, ch))
			return
		}
	}
	c, err := s.deps.State.Scope(p.Tenant).Agents().SetConfig(r.Context(), c)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "storing the agent configuration failed; retry")
		return
	}
	if !s.audited(w, r, p, "agent.config", "agents", map[string]any{"version": c.Version, "files": len(c.Files), "journald": c.Journald, "audit": c.Audit, "eventlog": c.EventLog}) {
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// validFileInput checks a file input before agents see it: a bad glob or
// pattern would otherwise fail on every host at once.
func validFileInput(f store.AgentFileInput) error {
	if strings.TrimSpace(f.Glob) == "" {
		return errors.New("glob is required (e.g. /var/log/*.log)")
	}
	if _, err := path.Match(f.Glob, ""); err != nil {
		return fmt.Errorf("glob %q: %v", f.Glob, err)
	}
	if f.Multiline != "" {
		if _, err := regexp.Compile(f.Multiline); err != nil {
			return fmt.Errorf("multiline pattern: %v", err)
		}
	}
	return nil
}
