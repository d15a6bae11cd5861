package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// FontFiles are the TrueType fonts tried for PDF reports, first found
// wins. IPAGothic (Debian fonts-ipafont-gothic) covers Latin and Japanese;
// DejaVu Sans covers Latin only, enough for English reports.
var FontFiles = []string{
	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
	"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}

// ErrNoFont means no usable font was found for a PDF report.
var ErrNoFont = errors.New("no font for PDF reports: install fonts-ipafont-gothic (Japanese and English) or fonts-dejavu-core (English)")

func findFont(lang string) (string, error) {
	for _, f := range FontFiles {
		if lang == "ja" && strings.Contains(f, "DejaVu") {
			continue // no Japanese glyphs
		}
		if _, err := os.Stat(f); err == nil {
			return f, nil
		}
	}
	return "", ErrNoFont
}

// ReportPDF writes the incident report as PDF, with the same content as
// the HTML report.
func (s *Service) ReportPDF(ctx context.Context, tenant string, actor Actor, id, lang string, loc *time.Location, w io.Writer) error {
	msgs, ok := reportMessages[lang]
	if !ok {
		return fmt.Errorf("%w: report language must be en or ja", ErrInvalid)
	}
	font, err := findFont(lang)
	if err != nil {
		return err
	}
	if loc == nil {
		loc = time.UTC
	}
	v, err := s.Get(ctx, tenant, actor, id)
	if err != nil {
		return err
	}
	ts := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	stageName := func(i int) string { return v.StageDefs[i].Label(lang) }

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(msgs["report"]+": "+v.Title, true)
	pdf.SetCreator("Yagura", true)
	fontBytes, err := os.ReadFile(font)
	if err != nil {
		return fmt.Errorf("pdf font: %w", err)
	}
	pdf.AddUTF8FontFromBytes("body", "", fontBytes)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()
	heading := func(text string) {
		pdf.Ln(3)
		pdf.SetFont("body", "", 13)
		pdf.CellFormat(0, 8, text, "B", 1, "L", false, 0, "")
		pdf.SetFont("body", "", 9)
		pdf.Ln(1)
	}
	line := func(text string) { pdf.MultiCell(0, 5, text, "", "L", false) }
	row := func(label, value string) {
		pdf.CellFormat(45, 5, label, "", 0, "L", false, 0, "")
		pdf.MultiCell(0, 5, value, "", "L", false)
	}

	pdf.SetFont("body", "", 16)
	pdf.MultiCell(0, 8, msgs["report"]+": "+v.Title, "", "L", false)
	pdf.SetFont("body", "", 9)
	line(fmt.Sprintf("%s %s · %s %s · %s %s", msgs["case"], v.ID, msgs["tenant"], v.Tenant, msgs["generated"], ts(s.now())))

	heading(msgs["summary"])
	row(msgs["severity"], v.Severity)
	row(msgs["status"], fmt.Sprintf("%s — %s: %s", v.Status, msgs["stage"], stageName(v.Stage)))
	row(msgs["playbook"], s.playbookTitle(v, lang))
	row(msgs["opened"], ts(v.CreatedAt))
	if v.ClosedAt != nil {
		row(msgs["closed"], ts(*v.ClosedAt))
	}
	if v.FirstEventAt != nil {
		row(msgs["first_event"], ts(*v.FirstEventAt))
	}
	for _, e := range v.Escalations {
		row(msgs["escalations"], fmt.Sprintf("%s → %s (%s)", e.Stage, e.To, ts(e.At)))
	}

	heading(msgs["scope"])
	row(msgs["alerts"], fmt.Sprint(len(v.AlertIDs)))
	for _, e := range v.Entities {
		line("• " + e)
	}

	heading(msgs["stages"])
	for i, st := range v.Stages {
		done := "—"
		if st.CompletedAt != nil {
			done = ts(*st.CompletedAt) + " " + st.CompletedBy
		}
		if st.Override != "" {
			done += " (" + msgs["override"] + ": " + st.Override + ")"
		}
		row(stageName(i), done)
	}

	heading(msgs["timeline"])
	for _, e := range v.Timeline {
		line(fmt.Sprintf("%s  %s  %s", ts(e.At), e.Actor, e.Text))
	}

	heading(msgs["actions"])
	for _, a := range v.Actions {
		line(fmt.Sprintf("%s %s — %s (%s %s; %s %s) %s", a.Type, a.Target, a.Status, msgs["requested"], a.Requested, msgs["approved"], a.Approved, a.Result))
	}

	heading(msgs["evidence"])
	for _, e := range v.Evidence {
		line(fmt.Sprintf("[%s] %s — SHA-256 %s (%s, %s)", e.Stage, e.Name, e.SHA256, e.AddedBy, ts(e.AddedAt)))
	}

	heading(msgs["lessons"])
	for _, l := range lessonsOf(v) {
		line("• " + l)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return pdf.Output(w)
}
