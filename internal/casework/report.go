package casework

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
)

//go:embed report.html
var reportHTML string

// reportMessages are the report's words in each language.
var reportMessages = map[string]map[string]string{
	"en": {
		"report": "Incident report", "case": "Case", "tenant": "tenant", "generated": "generated", "summary": "Summary",
		"severity": "Severity", "status": "Status", "stage": "Stage", "playbook": "Playbook", "opened": "Opened", "closed": "Closed",
		"first_event": "First malicious event", "assignee": "Assignee", "escalations": "Escalations", "scope": "Scope and impact",
		"alerts": "Linked alerts", "stages": "Playbook stages", "completed": "Completed", "by": "By", "override": "Override",
		"timeline": "Timeline", "time": "Time", "who": "Who", "what": "What", "actions": "Response actions", "action": "Action",
		"target": "Target", "requested": "Requested", "approved": "Approved", "result": "Result", "evidence": "Evidence",
		"name": "Name", "lessons": "Lessons learned",
	},
	"ja": {
		"report": "インシデント報告書", "case": "ケース", "tenant": "テナント", "generated": "作成日時", "summary": "概要",
		"severity": "重大度", "status": "状態", "stage": "段階", "playbook": "プレイブック", "opened": "起票", "closed": "完了",
		"first_event": "最初の不審イベント", "assignee": "担当者", "escalations": "エスカレーション", "scope": "影響範囲",
		"alerts": "関連アラート", "stages": "対応段階", "completed": "完了日時", "by": "実施者", "override": "例外承認",
		"timeline": "時系列", "time": "日時", "who": "実施者", "what": "内容", "actions": "対処", "action": "対処",
		"target": "対象", "requested": "依頼", "approved": "承認", "result": "結果", "evidence": "証跡",
		"name": "名前", "lessons": "教訓と再発防止",
	},
}

// Languages of the report.
var Languages = []string{"en", "ja"}

// Report writes the incident report of a case as HTML in lang (en, ja),
// with times in loc.
func (s *Service) Report(ctx context.Context, tenant string, actor Actor, id, lang string, loc *time.Location, w io.Writer) error {
	msgs, ok := reportMessages[lang]
	if !ok {
		return fmt.Errorf("%w: report language must be en or ja", ErrInvalid)
	}
	if loc == nil {
		loc = time.UTC
	}
	v, err := s.Get(ctx, tenant, actor, id)
	if err != nil {
		return err
	}
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"t":         func(k string) string { return msgs[k] },
		"fmtTime":   func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04:05 MST") },
		"stageName": func(st incident.Stage) string { return st.Label(lang) },
	}).Parse(reportHTML)
	if err != nil {
		return err
	}
	lessons := lessonsOf(v)
	return tmpl.Execute(w, map[string]any{"Lang": lang, "V": v, "PlaybookTitle": s.playbookTitle(v, lang), "Lessons": lessons,
		"Now": s.now().In(loc).Format("2006-01-02 15:04:05 MST")})
}

// playbookTitle is the case's playbook name in lang, falling back to the
// title stored on the view when the playbook is no longer loaded.
func (s *Service) playbookTitle(v View, lang string) string {
	if p, ok := s.Playbooks[v.Playbook]; ok {
		return p.Label(lang)
	}
	return v.PlaybookTitle
}

// lessonsOf is what a case learned: what was filed as improvement
// proposals and response records, and the comments made in its last stage.
func lessonsOf(v View) []string {
	var lessons []string
	for _, e := range v.Evidence {
		if e.Requirement == "improvement_proposals" || e.Requirement == "response_record" {
			lessons = append(lessons, e.Name)
		}
	}
	var reviewStart *time.Time
	if i := len(v.Stages) - 1; i >= 0 {
		reviewStart = v.Stages[i].EnteredAt
	}
	for _, e := range v.Timeline {
		if e.Kind == "comment" && reviewStart != nil && !e.At.Before(*reviewStart) {
			lessons = append(lessons, e.Text)
		}
	}
	return lessons
}
